"""The known-browser cookie (PRODUCT §1): a browser its user has logged in from is not slowed by
the per-email delay of the login throttle, so a burst of wrong passwords against an email from
many addresses cannot keep its owner out (`throttle.admit`).

Set on every successful login (and after a password change), for a year, HttpOnly, `SameSite=Lax`,
Secure as the session cookie is. It holds the user's id signed with SECRET_KEY (itsdangerous);
the signature also covers a value of that user alone (their password hash, never sent), so it is
worth nothing for another account and a new password, or an admin's reset, retires the cookies
issued before it. It logs no one in and lifts no other limit: the per-(email, address) and
per-address limits apply to a known browser as to any other.
"""
from datetime import timedelta

from flask import Response, current_app
from itsdangerous import BadData, URLSafeSerializer

from cbcw.accounts.models import User

COOKIE_NAME = "cbcw_known_browser"
LIFETIME = timedelta(days=365)


def remember(response: Response, user: User) -> None:
    """Mark the browser receiving `response` as one `user` has logged in from."""
    response.set_cookie(
        COOKIE_NAME, _serializer(user).dumps(user.id), max_age=LIFETIME, httponly=True, samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )


def recognises(cookie: str | None, user: User) -> bool:
    """Whether `cookie` (the request's known-browser cookie, if any) was issued to `user` since
    their password was last set."""
    if not cookie:
        return False
    try:
        return _serializer(user).loads(cookie) == user.id
    except BadData:
        return False


def _serializer(user: User) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=f"known-browser|{user.password_hash}")
