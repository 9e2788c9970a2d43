"""The Alembic migrations build exactly the schema the models describe."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from cbcw.extensions import db as _db


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
