"""An app loading ConnectWise and the fake PSA (`fake.py`) on the shared test database; `app` here
is that app, so the usual factories (`org`, `make_user`, `client`, `login` …) build its data,
rolled back after each test as in `tests/fixtures/database.py`."""
import pytest

from cbcw.extensions import db as _db
from tests.fixtures.database import _make_sqlite_savepoints_work, is_sqlite, rolled_back
from tests.fixtures.shared_database import make_shared_app
from tests.integrations import fake

CONNECTWISE = "cbcw.connectwise.integration.CONNECTWISE"
FAKE = "tests.integrations.fake.FAKE"


@pytest.fixture(scope="module")
def fake_app(shared_database_url):
    """ConnectWise first, the fake PSA second, in INTEGRATIONS."""
    app = make_shared_app(shared_database_url, INTEGRATIONS=(CONNECTWISE, FAKE))
    with app.app_context():
        if is_sqlite(shared_database_url):
            _make_sqlite_savepoints_work(_db.engine)
    yield app
    fake.unsubscribe()
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture
def app(fake_app):
    with rolled_back(fake_app):
        yield fake_app


@pytest.fixture(autouse=True)
def _fake_psa_off():
    """The fake PSA starts switched off for every organisation and has heard nothing."""
    fake.TICKETS.enabled.clear()
    fake.created.clear()
    yield
    fake.TICKETS.enabled.clear()
    fake.created.clear()
