"""Every error is the product's own page; HTMX gets the message alone (PRODUCT §4)."""
import sqlite3

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


def test_locked_database_gives_a_styled_page_after_rollback(tmp_path):
    """A locked SQLite file is a styled 503 (with the user menu): the session is rolled back first,
    so the page can read the user again instead of failing with PendingRollbackError."""
    config = type("LockedConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'locked.sqlite'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"timeout": 0.1}},
        "INSTANCE_DIR": tmp_path, "WTF_CSRF_ENABLED": False,
    })
    app = create_app(config)

    @app.post("/_write")
    @login_required
    def write():
        _db.session.commit()  # expires the user, as a real unit of work would
        current_user.display_name = "changed"
        _db.session.commit()  # the file is locked: OperationalError
        return "written"

    with app.app_context():
        _db.create_all()
        add_user_in_new_organisation("l@example.test", PASSWORD, display_name="Lee")
    client = app.test_client()
    assert client.post("/login", data={"email": "l@example.test", "password": PASSWORD}).status_code == 302
    locker = sqlite3.connect(tmp_path / "locked.sqlite")
    try:
        locker.execute("BEGIN IMMEDIATE")
        locker.execute("UPDATE organisations SET name = 'locked'")
        response = client.post("/_write")
    finally:
        locker.rollback()
        locker.close()
        with app.app_context():
            _db.engine.dispose()
    assert_product_page(response, 503, "The database is busy or unavailable.")
    assert b"Lee" in response.data and response.headers["Retry-After"]


def test_sqlite_connections_wait_thirty_seconds_for_the_writer(tmp_path):
    """On SQLite the app waits up to 30 s for another process's write (the scheduler beside the app)
    instead of failing after pysqlite's 5 s with "database is locked"."""
    config = type("FileConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'file.sqlite'}", "INSTANCE_DIR": tmp_path})
    with create_app(config).app_context():
        assert _db.session.execute(sa.text("PRAGMA busy_timeout")).scalar() == 30_000
        _db.session.remove()
