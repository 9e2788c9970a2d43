"""Every error is the product's own page; HTMX gets the message alone (PRODUCT §4)."""
import sqlite3
import time
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask_login import current_user, login_required

from app import create_app
from cbcw.config import TestConfig
from cbcw.extensions import db as _db
from tests.conftest import PASSWORD
from tests.fixtures.shared_database import add_user_in_new_organisation


def assert_product_page(response, code, message):
    page = response.get_data(as_text=True)
    assert response.status_code == code
    assert 'class="brand"' in page and "error-page" in page, "not the product's page"
    assert message in page


def test_404_is_the_product_page(client):
    """An unknown URL gets the styled 404."""
    assert_product_page(client.get("/no/such/page"), 404, "That page does not exist.")


def test_get_on_logout_is_the_product_405(client, login, admin):
    """GET on a POST-only URL (/logout) is the product's 405 with an Allow header."""
    login(admin)
    response = client.get("/logout")
    assert_product_page(response, 405, "cannot be opened this way")
    assert "POST" in response.headers["Allow"]


def test_403_is_the_product_page(client, login, engineer):
    """A page the role may not open is the styled 403."""
    login(engineer)
    assert_product_page(client.get("/settings/users"), 403, "You do not have permission")


def test_missing_csrf_token_is_the_product_400(client, admin):
    """A form without its CSRF token is the styled 400 asking to reload."""
    assert_product_page(client.post("/login", data={"email": admin.email}), 400, "Reload the page")


def test_request_over_2_mb_is_refused_with_413(post, login, admin):
    """A request body over 2 MB is refused with the product's 413 before anything is stored."""
    login(admin)
    response = post("/profile", {"display_name": "x" * (2 * 1024 * 1024 + 1), "timezone": "UTC"})
    assert_product_page(response, 413, "too large")


def test_429_is_the_product_login_page_with_retry_after(post, admin):
    """Throttled logins get 429, the login page and Retry-After."""
    for _ in range(5):
        post("/login", {"email": admin.email, "password": "wrong"})
    response = post("/login", {"email": admin.email, "password": PASSWORD})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert b'class="brand"' in response.data


@pytest.fixture
def failing_client():
    """A client of an app of its own with a route that fails, exceptions handled as in production
    (not re-raised to the test)."""
    app = create_app(TestConfig)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/_fail")
    def fail():
        raise RuntimeError("boom")

    return app.test_client()


def test_unhandled_error_is_the_product_500(failing_client):
    """An unexpected exception is the styled 500, not Werkzeug's page."""
    assert_product_page(failing_client.get("/_fail"), 500, "Something went wrong on our side.")


def test_htmx_error_is_a_short_fragment(failing_client):
    """An HTMX request that fails gets only the message, for the page to show where the user looks."""
    response = failing_client.get("/_fail", headers={"HX-Request": "true"})
    assert response.status_code == 500
    assert response.get_data(as_text=True).startswith('<p class="error-message" role="alert"')
    assert b"<html" not in response.data


def test_expired_csrf_on_htmx_post_says_the_session_expired(client, login, admin):
    """An HTMX POST whose CSRF token is no longer valid says to reload the page."""
    login(admin)
    response = client.post("/profile", data={"csrf_token": "stale"}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert b"Your session expired; reload the page." in response.data


def test_huge_number_in_a_query_is_a_clear_400_not_a_500(client, login, admin):
    """A number no database column holds, reaching a query, is answered 400 with a message."""
    login(admin)
    response = client.get("/changes?company=99999999999999999999")
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert b"A number in the request is out of range." in response.data


LOCKED_PAGE_SECONDS = 5  # a page people wait for; gunicorn's worker timeout (30 s) is far behind


@pytest.fixture
def file_app(tmp_path):
    """An app on a SQLite file of its own (default lock waits) whose test client has Lee logged in,
    a `/_write` view that saves Lee's name, and `/_busy_timeout` telling a request's lock wait."""
    config = type("FileConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'file.sqlite'}", "INSTANCE_DIR": tmp_path,
        "WTF_CSRF_ENABLED": False,
    })
    app = create_app(config)

    @app.post("/_write")
    @login_required
    def write():
        _db.session.commit()  # expires the user, as a real unit of work would
        current_user.display_name = "changed"
        _db.session.commit()  # the file is locked: OperationalError
        return "written"

    app.add_url_rule("/_busy_timeout", "busy_timeout",
                     lambda: str(_db.session.execute(sa.text("PRAGMA busy_timeout")).scalar()))
    with app.app_context():
        _db.create_all()
        add_user_in_new_organisation("l@example.test", PASSWORD, display_name="Lee")
    app.client = app.test_client()
    assert app.client.post("/login", data={"email": "l@example.test", "password": PASSWORD}).status_code == 302
    yield app
    with app.app_context():
        _db.engine.dispose()


@contextmanager
def file_locked(app, mode):
    """Another connection holds the file's write lock: "IMMEDIATE" lets others read, "EXCLUSIVE" not."""
    with app.app_context():
        path = _db.engine.url.database
    locker = sqlite3.connect(path)
    try:
        locker.execute(f"BEGIN {mode}")
        locker.execute("UPDATE organisations SET name = 'locked'")
        yield
    finally:
        locker.rollback()
        locker.close()


def test_locked_database_is_a_styled_503_within_seconds(file_app):
    """A SQLite file another process keeps locked answers a write with the styled 503 (user menu
    included: the session is rolled back first, so the page can read the user again) in under 5 s."""
    with file_locked(file_app, "IMMEDIATE"):
        started = time.monotonic()
        response = file_app.client.post("/_write")
        seconds = time.monotonic() - started
    assert_product_page(response, 503, "The database is busy or unavailable.")
    assert b"Lee" in response.data and response.headers["Retry-After"]
    assert seconds < LOCKED_PAGE_SECONDS


def test_database_locked_even_for_reading_is_a_503_within_seconds(file_app):
    """When even reading waits (an exclusive lock), the 503 still comes in under 5 s: the page
    does not wait a second time to read the user it could not read."""
    with file_locked(file_app, "EXCLUSIVE"):
        started = time.monotonic()
        response = file_app.client.get("/changes")
        seconds = time.monotonic() - started
    assert response.status_code == 503 and "The database is busy or unavailable." in response.text
    assert seconds < LOCKED_PAGE_SECONDS


def test_background_work_waits_thirty_seconds_for_a_lock_and_a_request_three(file_app):
    """Outside a request (the scheduler, `flask deliver`) a connection waits up to 30 s for another
    process's write, not pysqlite's 5 s, which a busy machine exceeds; a web request 3 s."""
    with file_app.app_context():
        assert _db.session.execute(sa.text("PRAGMA busy_timeout")).scalar() == 30_000
        _db.session.remove()
    assert file_app.client.get("/_busy_timeout").text == "3000"
