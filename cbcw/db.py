"""Declarative base, naming convention and UTC timestamps shared by every model."""
from datetime import datetime, timezone

from sqlalchemy import CheckConstraint, DateTime, MetaData, TypeDecorator, column
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime stored in UTC.

    SQLite drops tzinfo, PostgreSQL keeps it; this type makes both hand back aware UTC values
    and refuses naive ones so a local time can never be stored by mistake.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: convert to UTC before storing")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def one_of(column_name: str, allowed: tuple[str, ...]) -> CheckConstraint:
    """A CHECK that the column holds one of `allowed`, named ck_<table>_<column>_allowed.

    Built from the same tuple the model and its forms use, so the database refuses a value the
    code would never write (a typo in a data fix, a stray script)."""
    return CheckConstraint(column(column_name).in_(allowed), name=f"{column_name}_allowed", info={"allowed": allowed})


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def render_migration_type(type_, obj, autogen_context):
    """Alembic autogenerate hook: migrations spell UTCDateTime as a plain DateTime(timezone=True),
    so they never import application code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
