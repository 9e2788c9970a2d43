"""Every foreign key has an index leading with its columns, in the models and in the migrated database.

Neither PostgreSQL nor SQLite indexes the referencing side of a foreign key by itself. Without
one, "My work" (changes by implementer, approver or requester) reads the whole changes table, and
deleting or re-keying a user, change or device type makes the database scan each referencing
table to check nothing still points at it. An index counts when its leading columns are exactly
the key's, in order; a primary key or unique constraint is an index too. A partial index does
not count: it cannot find the rows outside its condition.
"""
from typing import Iterable, NamedTuple

import pytest
from flask_migrate import upgrade
from sqlalchemy import Column, Index, MetaData, PrimaryKeyConstraint, Table, UniqueConstraint, inspect

from cbcw.extensions import db as _db
from tests.fixtures.shared_database import SQLITE_EXPRESSION_INDEX


class Reference(NamedTuple):
    """A foreign key: the referencing table and columns, and the table they point at."""

    table: str
    columns: tuple[str, ...]
    referred_table: str

    def __str__(self) -> str:
        return f"{self.table}({', '.join(self.columns)}) -> {self.referred_table}"


# Each table's indexes and keys as their column names in order; None stands for an expression.
Leads = dict[str, list[tuple[str | None, ...]]]


def unindexed(foreign_keys: Iterable[Reference], leads: Leads) -> list[str]:
    """The foreign keys no index of their table leads with."""
    return sorted(
        str(key) for key in foreign_keys
        if not any(lead[:len(key.columns)] == key.columns for lead in leads.get(key.table, ()))
    )


def _is_partial(dialect_options) -> bool:
    """Whether an index has a WHERE clause (postgresql_where, sqlite_where), declared or reflected."""
    return any(name.endswith("_where") and value is not None for name, value in dialect_options.items())


def _model_leads(table: Table) -> list[tuple[str | None, ...]]:
    indexes = [
        tuple(e.name if isinstance(e, Column) else None for e in index.expressions)
        for index in table.indexes if not _is_partial(index.dialect_kwargs)
    ]
    keys = [
        tuple(column.name for column in constraint.columns)
        for constraint in table.constraints if isinstance(constraint, (PrimaryKeyConstraint, UniqueConstraint))
    ]
    return indexes + keys


def _database_leads(inspector, table: str) -> list[tuple[str | None, ...]]:
    indexes = [
        tuple(index["column_names"])
        for index in inspector.get_indexes(table) if not _is_partial(index.get("dialect_options", {}))
    ]
    keys = [tuple(unique["column_names"]) for unique in inspector.get_unique_constraints(table)]
    return [*indexes, *keys, tuple(inspector.get_pk_constraint(table)["constrained_columns"])]


def test_every_foreign_key_of_the_models_is_indexed(session_app):
    """Every model the app registers (the metadata Alembic compares with)."""
    tables = _db.metadata.tables.values()
    foreign_keys = [
        Reference(table.name, tuple(column.name for column in key.columns), key.referred_table.name)
        for table in tables for key in table.foreign_key_constraints
    ]
    assert foreign_keys, "the models declare no foreign key: the check would prove nothing"
    missing = unindexed(foreign_keys, {table.name: _model_leads(table) for table in tables})
    assert not missing, f"no index leads with these foreign keys: {'; '.join(missing)}"


@pytest.mark.filterwarnings(*SQLITE_EXPRESSION_INDEX)
def test_every_foreign_key_of_the_migrated_database_is_indexed(empty_database):
    """`flask db upgrade` builds the indexes too: a migration that forgets one fails here."""
    upgrade()
    with _db.engine.connect() as connection:
        inspector = inspect(connection)
        tables = inspector.get_table_names()
        foreign_keys = [
            Reference(table, tuple(key["constrained_columns"]), key["referred_table"])
            for table in tables for key in inspector.get_foreign_keys(table)
        ]
        leads = {table: _database_leads(inspector, table) for table in tables}
    assert foreign_keys, "the migrated database has no foreign key: the check would prove nothing"
    missing = unindexed(foreign_keys, leads)
    assert not missing, f"no index leads with these foreign keys: {'; '.join(missing)}"


def test_an_index_counts_only_when_it_leads_with_the_key_columns_in_order():
    """The rule itself: (a, b) is served by (a, b, c), not by (b, a), (a) or (c, a, b)."""
    key = Reference("t", ("a", "b"), "parent")
    assert unindexed([key], {"t": [("a", "b", "c")]}) == []
    assert unindexed([key], {"t": [("b", "a"), ("a",), ("c", "a", "b"), ("a", None)]}) == ["t(a, b) -> parent"]
    assert unindexed([key], {"other": [("a", "b")]}) == ["t(a, b) -> parent"]


def test_a_partial_index_does_not_count():
    """An index with a WHERE clause is left out; an expression index stays, its expression as None."""
    table = Table("partial_example", MetaData(), Column("id", primary_key=True), Column("a"))
    Index("ix_partial", table.c.a, postgresql_where=table.c.a > 1)
    Index("ix_expression", table.c.a + 1)
    assert sorted(_model_leads(table), key=str) == [("id",), (None,)]
