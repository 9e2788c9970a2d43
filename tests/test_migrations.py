"""The Alembic migrations build exactly the schema the models describe."""
import re

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import CheckConstraint, inspect, text

from cbcw.extensions import db as _db
from tests.fixtures.shared_database import SQLITE_EXPRESSION_INDEX


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


INITIAL_REVISION = "1eebf8b65e37"
LINKED_TICKET_RENAME = "7d3347727ee1"
BEFORE_RENAME = f"{LINKED_TICKET_RENAME}-1"


LINKED_TICKET_SYSTEM = "5b8e0c4d2f61"


def _insert_at_initial_revision(tickets: dict[int, int | None]) -> None:
    """An organisation, a user and one change per id in `tickets` (its cw_ticket_id, or None),
    written with the initial revision's columns, which never change."""
    with _db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO organisations (id, name, change_counter, created_at) "
            "VALUES (1, 'Org', 1, '2026-01-01 00:00:00+00')"))
        connection.execute(text(
            "INSERT INTO users (id, organisation_id, email, display_name, password_hash, role, active, "
            "vcab_member, timezone, created_at) "
            "VALUES (1, 1, 'a@b.test', 'A', 'x', 'admin', true, false, 'UTC', '2026-01-01 00:00:00+00')"))
        for change_id, ticket in tickets.items():
            connection.execute(text(
                "INSERT INTO changes (id, organisation_id, number, title, description, reason, risk, impact, "
                "implementation_plan, rollback_plan, test_plan, requires_vcab, cw_ticket_id, "
                "cw_ticket_summary, cw_ticket_board, cw_ticket_status, state, approval_round, "
                "completion_notes, test_results, failure_reason, rollback_notes, cancel_reason, "
                "unresolved_mentions, created_by_id, created_at, updated_at, version) VALUES "
                "(:id, 1, :id, 'T', '', '', 'low', '', '', '', '', false, :ticket, 'Printer jams', 'Help Desk', "
                "'New', 'draft', 1, '', '', '', '', '', '[]', 1, '2026-01-01 00:00:00+00', "
                "'2026-01-01 00:00:00+00', 1)"), {"id": change_id, "ticket": ticket})


@pytest.mark.filterwarnings(*SQLITE_EXPRESSION_INDEX)
def test_linked_ticket_rename_keeps_the_ticket_data(empty_database):
    """Upgrading renames cw_ticket_* to linked_ticket_* with the values kept, and back on downgrade.

    The rows are written at the initial revision and carried through every later revision."""
    upgrade(revision=INITIAL_REVISION)
    _insert_at_initial_revision({1: 4711})
    upgrade(revision=LINKED_TICKET_RENAME)
    with _db.engine.connect() as connection:
        row = connection.execute(text(
            "SELECT linked_ticket_id, linked_ticket_summary, linked_ticket_board, linked_ticket_status "
            "FROM changes")).one()
    assert tuple(row) == (4711, "Printer jams", "Help Desk", "New")
    downgrade(revision=BEFORE_RENAME)
    with _db.engine.connect() as connection:
        assert connection.execute(text("SELECT cw_ticket_id FROM changes")).scalar_one() == 4711
    downgrade(revision="base")


@pytest.mark.filterwarnings(*SQLITE_EXPRESSION_INDEX)
def test_tickets_linked_before_systems_are_connectwise_tickets(empty_database):
    """Every ticket linked before changes recorded their ticket system was a ConnectWise ticket:
    the upgrade says so on those changes only, and the downgrade drops the column."""
    upgrade(revision=INITIAL_REVISION)
    _insert_at_initial_revision({1: 4711, 2: None})
    upgrade(revision=LINKED_TICKET_SYSTEM)
    with _db.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, linked_ticket_system FROM changes ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [(1, "connectwise"), (2, None)]
    downgrade(revision=f"{LINKED_TICKET_SYSTEM}-1")
    with _db.engine.connect() as connection:
        columns = {column["name"] for column in _db.inspect(connection).get_columns("changes")}
    assert "linked_ticket_system" not in columns and "linked_ticket_id" in columns
    downgrade(revision="base")


SETTLED_ITEMS = "ce2f8f1348eb"


@pytest.mark.filterwarnings(*SQLITE_EXPRESSION_INDEX)
def test_approval_items_of_changes_no_longer_pending_are_settled(empty_database):
    """The upgrade marks done (and read) the "awaits your approval" items of changes that no longer
    await approval, and only those: the bell drops at once for what was decided before it."""
    upgrade(revision=INITIAL_REVISION)
    _insert_at_initial_revision({1: None, 2: None})
    upgrade(revision=f"{SETTLED_ITEMS}-1")
    with _db.engine.begin() as connection:
        connection.execute(text("UPDATE changes SET state = 'pending_approval' WHERE id = 2"))
        for item_id, change_id, kind in ((1, 1, "awaiting_approval"), (2, 2, "awaiting_approval"), (3, 1, "rejected")):
            connection.execute(text(
                "INSERT INTO notifications (id, organisation_id, user_id, change_id, kind, title, created_at) "
                "VALUES (:id, 1, 1, :change, :kind, 'T', '2026-01-01 00:00:00+00')"),
                {"id": item_id, "change": change_id, "kind": kind})
    upgrade(revision=SETTLED_ITEMS)
    with _db.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, read_at IS NOT NULL, resolved_at IS NOT NULL FROM notifications "
                                       "ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [(1, True, True), (2, False, False), (3, False, False)]
    downgrade(revision="base")
