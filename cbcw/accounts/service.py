"""Authentication with a login rate limit that every web worker shares (through the database)."""
from datetime import timedelta
from functools import cache

from flask import current_app
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from cbcw.accounts.models import LoginAttempt, User
from cbcw.db import utcnow
from cbcw.extensions import db



@cache
def _dummy_hash(method: str) -> str:
    """Checked when the email is unknown, so both paths cost one password hash (no timing oracle)."""
    return generate_password_hash("no-such-user", method=method)


class LoginThrottled(Exception):
    """Too many failed attempts for this email or address."""


def authenticate(email: str, password: str, remote_addr: str) -> User | None:
    """The active user with these credentials, or None. Raises LoginThrottled when rate limited."""
    email_key = User.normalise_email(email)
    _check_throttle(email_key, remote_addr)
    user = db.session.scalar(select(User).where(User.email == email_key))
    if user is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
    elif user.check_password(password) and user.active:
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == email_key))
        db.session.commit()
        return user
    db.session.add(LoginAttempt(email=email_key, remote_addr=remote_addr or "unknown"))
    db.session.commit()
    return None


def _check_throttle(email_key: str, remote_addr: str) -> None:
    window = timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    limit = current_app.config["LOGIN_MAX_ATTEMPTS"]
    since = utcnow() - window
    recent_for_email = db.session.scalar(
        select(func.count()).where(LoginAttempt.email == email_key, LoginAttempt.created_at > since)
    )
    # An address gets more room than one account: an office shares one public IP.
    recent_for_addr = db.session.scalar(
        select(func.count()).where(
            LoginAttempt.remote_addr == (remote_addr or "unknown"), LoginAttempt.created_at > since
        )
    )
    if recent_for_email >= limit or recent_for_addr >= limit * 4:
        raise LoginThrottled()

