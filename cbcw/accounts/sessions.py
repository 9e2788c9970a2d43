"""Who is logged in: revocable sessions, the HTMX-aware login redirect, temporary passwords.

A session (and a remember-me cookie) holds `"<user id>:<session token>"` (`User.get_id`); the
loader accepts it only while the user is active and the token is still theirs. Replacing the token
(`User.end_sessions`: logout, password change or reset, deactivation) ends every session and
remember-me cookie of that user at once (PRODUCT §1).
"""
import hmac

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_login import COOKIE_NAME, current_user, login_url, login_user
from sqlalchemy import select

from cbcw.accounts.models import User
from cbcw.extensions import db, htmx, login_manager

# What a user with a temporary password may still open before choosing their own.
OPEN_WITH_TEMPORARY_PASSWORD = frozenset({"accounts.change_password", "accounts.logout", "static", "main.healthz"})


def init_app(app: Flask) -> None:
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)
    app.before_request(require_own_password)


def load_user(session_id: str) -> User | None:
    user_id, _, token = session_id.partition(":")
    if not user_id.isdecimal() or not token:
        return None  # a cookie from before revocable sessions, or a forged one
    user = db.session.scalar(select(User).where(User.id == int(user_id)))
    if user is None or not user.active or not hmac.compare_digest(user.session_token, token):
        return None
    return user


def start_session(user: User, remember: bool) -> None:
    """Log `user` in on a fresh session: nothing of the anonymous one survives (no fixation),
    and the CSRF token is issued anew."""
    session.clear()
    login_user(user, remember=remember)


def renew_session(user: User) -> None:
    """After `user.end_sessions()` keep this browser logged in (with its remember-me, if it had one)."""
    had_remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies
    start_session(user, remember=had_remember_cookie)


def unauthorized():
    """Not logged in: HTMX is told to load the login page as a whole (never a login form inside
    a table); anything else is redirected there with `next` set."""
    if htmx:
        response = redirect(login_url(login_manager.login_view, htmx.current_url or request.url))
        response.status_code = 401
        response.headers["HX-Redirect"] = response.headers.pop("Location")
        return response
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(login_url(login_manager.login_view, request.url))


def require_own_password():
    """A user holding a temporary password chooses their own before anything else."""
    if (
        request.endpoint not in OPEN_WITH_TEMPORARY_PASSWORD
        and current_user.is_authenticated
        and current_user.must_change_password
    ):
        target = url_for("accounts.change_password")
        if htmx:
            return "", 200, {"HX-Redirect": target}
        return redirect(target)
    return None
