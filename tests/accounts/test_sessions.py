"""Revocable sessions (PRODUCT §1): logout, password change or reset and deactivation end every
session and remember-me cookie of the user; login starts a fresh session with a new CSRF token."""
from datetime import datetime, timedelta, timezone
from http.cookies import SimpleCookie

import flask_login.login_manager
import pytest

from cbcw.config import Config
from tests.conftest import PASSWORD
from tests.helpers.clock import FROZEN_NOW


@pytest.fixture
def second_client(app, csrf_token):
    """Another browser: its own cookies, logged in through the real form."""

    def open_as(user, remember=False):
        browser = app.test_client()
        with browser.session_transaction() as session:
            session["csrf_token"] = "second-browser"
        from itsdangerous import URLSafeTimedSerializer

        token = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps("second-browser")
        data = {"email": user.email, "password": PASSWORD, "csrf_token": token}
        if remember:
            data["remember"] = "y"
        assert browser.post("/login", data=data).status_code == 302
        return browser

    return open_as


def logged_in(browser) -> bool:
    return browser.get("/changes").status_code == 200


def remember_cookie_only(app, browser):
    """A new browser holding only `browser`'s remember-me cookie (the session cookie was closed)."""
    cookie = browser.get_cookie("remember_token")
    assert cookie is not None
    fresh = app.test_client()
    fresh.set_cookie("remember_token", cookie.value)
    return fresh


def test_logout_ends_sessions_and_remember_cookies_on_every_device(app, client, post, login, admin, second_client):
    """Logging out on one device logs the user out on every other, remember-me included."""
    login(admin)
    other = second_client(admin, remember=True)
    remembered = remember_cookie_only(app, other)
    assert logged_in(other) and logged_in(remembered)
    post("/logout")
    assert not logged_in(other)
    assert not logged_in(remembered)


def test_remember_cookie_alone_keeps_the_user_logged_in(app, admin, second_client):
    """Without a session, the remember-me cookie logs the user back in (until revoked)."""
    remembered = remember_cookie_only(app, second_client(admin, remember=True))
    assert logged_in(remembered)


class _StoppedClock(datetime):
    """`datetime` for Flask-Login, which dates the remember-me cookie by the clock: stopped at FROZEN_NOW."""

    @classmethod
    def now(cls, tz=None):
        return FROZEN_NOW.astimezone(tz) if tz else FROZEN_NOW.replace(tzinfo=None)

    @classmethod
    def utcnow(cls):
        return FROZEN_NOW.replace(tzinfo=None)


def test_remember_cookie_lasts_at_most_30_days_lax_and_httponly(app, client, post, admin, monkeypatch):
    """Remember-me is HttpOnly, SameSite=Lax and expires within 30 days of logging in."""
    monkeypatch.setattr(flask_login.login_manager, "datetime", _StoppedClock)
    response = post("/login", {"email": admin.email, "password": PASSWORD, "remember": "y"})
    header = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("remember_token="))
    morsel = SimpleCookie(header)["remember_token"]
    expires = datetime.strptime(morsel["expires"], "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=timezone.utc)
    assert timedelta(0) < expires - FROZEN_NOW <= timedelta(days=30)
    assert morsel["httponly"] and morsel["samesite"] == "Lax"


def test_cookies_are_secure_outside_development():
    """The production configuration sends session and remember-me cookies over HTTPS only."""
    assert Config.SESSION_COOKIE_SECURE and Config.REMEMBER_COOKIE_SECURE
    assert Config.REMEMBER_COOKIE_DURATION <= timedelta(days=30)


def test_password_change_ends_other_sessions_but_keeps_this_one(client, post, login, admin, second_client):
    """Changing one's password logs out every other device; this browser stays logged in."""
    login(admin)
    other = second_client(admin)
    response = post("/profile/password", {
        "current_password": PASSWORD, "new_password": "a brand new secret", "confirm_password": "a brand new secret",
    })
    assert response.status_code == 302
    assert logged_in(client)
    assert not logged_in(other)


def test_admin_reset_ends_the_users_sessions(app, client, post, login, admin, make_user, second_client):
    """A password set by an admin logs the user out everywhere, remember-me included."""
    user = make_user("engineer")
    other = second_client(user, remember=True)
    remembered = remember_cookie_only(app, other)
    login(admin)
    post(f"/settings/users/{user.id}/edit", {
        "display_name": user.display_name, "email": user.email, "role": "engineer", "timezone": "UTC",
        "active": "y", "password": "temporary secret 1",
    })
    assert not logged_in(other) and not logged_in(remembered)


def test_deactivation_ends_the_users_sessions(client, post, login, admin, make_user, second_client, db):
    """Deactivating a user logs them out everywhere; reactivating does not revive old sessions."""
    user = make_user("engineer")
    other = second_client(user)
    login(admin)
    form = {"display_name": user.display_name, "email": user.email, "role": "engineer", "timezone": "UTC"}
    post(f"/settings/users/{user.id}/edit", form)
    assert not logged_in(other)
    post(f"/settings/users/{user.id}/edit", {**form, "active": "y"})
    assert not logged_in(other)


def test_login_starts_a_fresh_session_with_a_new_csrf_token(client, admin, csrf_token):
    """Nothing of the anonymous session survives login (no fixation), and the CSRF token is renewed."""
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        anonymous_token = session["csrf_token"]
    client.post("/login", data={"email": admin.email, "password": PASSWORD, "csrf_token": csrf_token()})
    client.get("/profile")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["csrf_token"] != anonymous_token


def test_session_from_before_revocable_sessions_is_refused(app, client, admin):
    """A session holding only a user id (an old or forged cookie) is not a login."""
    with client.session_transaction() as session:
        session["_user_id"] = str(admin.id)
    assert not logged_in(client)


def test_expired_session_during_htmx_request_redirects_the_whole_page(client):
    """HTMX without a session gets HX-Redirect to the login page, not a login form to swap in."""
    response = client.get("/changes?q=x", headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/changes?q=x"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=")
    assert b"<form" not in response.data
