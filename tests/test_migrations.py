"""The Alembic migrations build exactly the schema the models describe."""
import re

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import CheckConstraint, inspect, text

from cbcw.extensions import db as _db

# SQLite cannot reflect an expression index (lower(name)); SQLAlchemy and Alembic's comparison skip
# it with these warnings, so the index names are compared below from the catalogue instead.
SQLITE_EXPRESSION_INDEX = (
    "ignore:Skipped unsupported reflection of expression-based index:sqlalchemy.exc.SAWarning",
    "ignore:autogenerate skipping metadata-specified expression-based index:UserWarning",
)


def _drop_every_table():
    _db.drop_all()
    with _db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture
def empty_database(shared_app):
    """The shared test database without any table, inside the app's context; the session's
    schema is put back afterwards for the tests that follow."""
    with shared_app.app_context():
        _drop_every_table()
        try:
            yield shared_app
        finally:
            _db.session.remove()
            _drop_every_table()
            _db.create_all()


def _index_names(connection) -> set[str]:
    """Indexes made by CREATE INDEX (not those behind primary keys and UNIQUE constraints)."""
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    else:
        query = """SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                   JOIN pg_namespace n ON n.oid = i.relnamespace
                   WHERE n.nspname = current_schema()
                     AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"""
    return set(connection.execute(text(query)).scalars())


def _allowed_values(connection) -> dict[str, set[str]]:
    """Each CHECK constraint's name and the quoted values its condition lists."""
    inspector = inspect(connection)
    return {
        check["name"]: set(re.findall(r"'([^']*)'", check["sqltext"]))
        for table in inspector.get_table_names()
        for check in inspector.get_check_constraints(table)
    }


@pytest.mark.filterwarnings(*SQLITE_EXPRESSION_INDEX)
def test_upgrade_from_empty_matches_the_models(empty_database):
    """`flask db upgrade` on an empty database leaves no difference from the models, and downgrades cleanly."""
    upgrade()
    with _db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), _db.metadata)
    assert differences == []
    downgrade(revision="base")
    with _db.engine.connect() as connection:
        remaining = set(_db.inspect(connection).get_table_names()) - {"alembic_version"}
    assert remaining == set()


def test_upgrade_builds_every_index_and_check_of_the_models(empty_database):
    """Indexes (expression ones included) and CHECK constraints, with the allowed values, are as the models say.

    Alembic's comparison sees neither CHECK constraints nor, on SQLite, expression indexes."""
    upgrade()
    tables = _db.metadata.tables.values()
    with _db.engine.connect() as connection:
        assert _index_names(connection) == {index.name for table in tables for index in table.indexes}
        assert _allowed_values(connection) == {
            check.name: set(check.info["allowed"])
            for table in tables for check in table.constraints if isinstance(check, CheckConstraint)
        }
