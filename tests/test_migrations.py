"""The Alembic migrations build exactly the schema the models describe."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from cbcw.extensions import db as _db


def test_upgrade_from_empty_matches_the_models(app):
    """`flask db upgrade` on an empty database leaves no difference from the models, and downgrades cleanly."""
    _db.drop_all()
    with _db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade()
    with _db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), _db.metadata)
    assert differences == []
    downgrade(revision="base")
    with _db.engine.connect() as connection:
        remaining = set(_db.inspect(connection).get_table_names()) - {"alembic_version"}
    assert remaining == set()
