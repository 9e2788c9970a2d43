"""Authentication: checks a password under the login throttle; the caller commits."""
from functools import cache

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from cbcw.accounts import known_browser, throttle
from cbcw.accounts.models import User
from cbcw.extensions import db

ADDRESS_KEY_LENGTH = 64


@cache
def _dummy_hash(method: str) -> str:
    """Checked when the email is unknown, so both paths cost one password hash (no timing oracle)."""
    return generate_password_hash("no-such-user", method=method)


def authenticate(email: str, password: str, remote_addr: str | None, browser_cookie: str | None) -> User | None:
    """The active user with these credentials, or None (unknown email, wrong password and an
    inactive account look the same). Raises `throttle.LoginThrottled` when rate limited;
    `browser_cookie` (the request's `known_browser` cookie) spares the owner the email's delay.

    Records the attempt in the throttle's rows and leaves the commit to the caller; on
    LoginThrottled the caller rolls back, which releases the rows."""
    email_key = User.normalise_email(email)
    attempt = throttle.begin(email_key, _address_key(remote_addr))
    user = db.session.scalar(select(User).where(User.email == email_key))
    throttle.admit(attempt, known_browser=user is not None and known_browser.recognises(browser_cookie, user))
    if user is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
    elif user.check_password(password) and user.active:
        throttle.succeeded(attempt)
        return user
    throttle.failed(attempt)
    return None


def check_current_password(user: User, password: str, remote_addr: str | None, browser_cookie: str | None) -> bool:
    """Whether a signed-in user typed their current password (to change it), counted like a login
    attempt so a stolen session cannot guess it quickly. Raises `throttle.LoginThrottled`; leaves
    the commit to the caller, as `authenticate` does."""
    attempt = throttle.begin(user.email, _address_key(remote_addr))
    throttle.admit(attempt, known_browser=known_browser.recognises(browser_cookie, user))
    if user.check_password(password):
        throttle.succeeded(attempt)
        return True
    throttle.failed(attempt)
    return False


def _address_key(remote_addr: str | None) -> str:
    return (remote_addr or "unknown")[:ADDRESS_KEY_LENGTH]
