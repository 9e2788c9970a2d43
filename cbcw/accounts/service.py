"""Authentication: checks a password under the login throttle; the caller commits."""
from functools import cache

from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from cbcw.accounts import throttle
from cbcw.accounts.models import User
from cbcw.extensions import db

ADDRESS_KEY_LENGTH = 64


@cache
def _dummy_hash(method: str) -> str:
    """Checked when the email is unknown, so both paths cost one password hash (no timing oracle)."""
    return generate_password_hash("no-such-user", method=method)


def authenticate(email: str, password: str, remote_addr: str | None) -> User | None:
    """The active user with these credentials, or None (unknown email, wrong password and an
    inactive account look the same). Raises `throttle.LoginThrottled` when rate limited.

    Records the attempt in the throttle's rows and leaves the commit to the caller; on
    LoginThrottled the caller rolls back, which releases the rows."""
    email_key = User.normalise_email(email)
    attempt = throttle.begin(email_key, (remote_addr or "unknown")[:ADDRESS_KEY_LENGTH])
    user = db.session.scalar(select(User).where(User.email == email_key))
    if user is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
    elif user.check_password(password) and user.active:
        throttle.succeeded(attempt)
        return user
    throttle.failed(attempt)
    return None


def check_current_password(user: User, password: str, remote_addr: str | None) -> bool:
    """Whether a signed-in user typed their current password (to change it), counted like a login
    attempt so a stolen session cannot guess it quickly. Raises `throttle.LoginThrottled`; leaves
    the commit to the caller, as `authenticate` does."""
    attempt = throttle.begin(user.email, (remote_addr or "unknown")[:ADDRESS_KEY_LENGTH])
    if user.check_password(password):
        throttle.succeeded(attempt)
        return True
    throttle.failed(attempt)
    return False
