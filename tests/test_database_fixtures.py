"""The rolled-back test transaction really isolates tests (tests/fixtures/database.py)."""
from sqlalchemy import func, select

from cbcw.extensions import db
from cbcw.organisations.models import Organisation
from tests.fixtures.database import rolled_back


def _count(name):
    return db.session.scalar(select(func.count()).select_from(Organisation).filter_by(name=name))


def test_a_tests_commits_are_gone_when_it_ends(session_app):
    """A commit inside a test is seen by that test and by no later one."""
    with rolled_back(session_app):
        db.session.add(Organisation(name="Committed in a test"))
        db.session.commit()
        db.session.remove()
        assert _count("Committed in a test") == 1
    with rolled_back(session_app):
        assert _count("Committed in a test") == 0


def test_the_codes_rollback_undoes_only_what_followed_its_last_commit(session_app):
    """Inside a test, commit and rollback behave as on a real database (savepoints)."""
    with rolled_back(session_app):
        db.session.add(Organisation(name="Kept"))
        db.session.commit()
        db.session.add(Organisation(name="Rolled back"))
        db.session.flush()
        db.session.rollback()
        assert (_count("Kept"), _count("Rolled back")) == (1, 0)


def test_config_changes_end_with_the_test(session_app):
    """A test that changes app.config leaves the next test the original value."""
    original = session_app.config["CW_READ_TIMEOUT"]
    with rolled_back(session_app):
        session_app.config["CW_READ_TIMEOUT"] = original + 99
    assert session_app.config["CW_READ_TIMEOUT"] == original
