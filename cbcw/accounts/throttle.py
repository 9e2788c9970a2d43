"""Login throttling (PRODUCT §1), shared by every web worker through the database.

Three keys are counted for each failed login:
- the email *and* client address: a hard limit of LOGIN_MAX_ATTEMPTS failures per
  LOGIN_WINDOW_SECONDS; it only ever stops that address guessing that email;
- the email alone: after as many failures from anywhere, a growing delay (1 s, 2 s, 4 s … up to
  LOGIN_MAX_DELAY_SECONDS) before its next attempt from any address, so a burst spread over many
  addresses is slowed down as one from a single address is. A browser the user has logged in from
  (`known_browser`) is exempt, so the owner is never held up, let alone locked out; from any other
  browser the delay passes, and the right password then works;
- the client address alone: after four times as many failures, the same growing delay. An office
  (or a proxy whose hops are not configured) shares one address: made-up emails sent from it slow
  that address down, they never lock its users out for good.

A delay is never slept in the request (that would let an attacker hold every worker cheaply): the
attempt is refused with `LoginThrottled`, which the views answer 429 with Retry-After.

Atomicity: the rows of the three keys are locked (an INSERT … ON CONFLICT DO UPDATE … RETURNING
takes the row lock on PostgreSQL and the write lock on SQLite) before anything else is read and
before the password is checked, and stay locked until the caller's transaction ends, so parallel
attempts against one key are counted one after another and 40 parallel guesses get at most
LOGIN_MAX_ATTEMPTS tries. The caller commits (the login view's unit of work).
"""
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from cbcw.accounts.models import LoginThrottle
from cbcw.db import utcnow
from cbcw.extensions import db

ADDRESS_FACTOR = 4  # an address (an office, a proxy) gets more room than one account


class LoginThrottled(Exception):
    """Too many failed attempts; `retry_after` seconds until the next may be tried."""

    def __init__(self, retry_after: int):
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass
class Attempt:
    """The locked rows of one login attempt, to be settled once the password is checked."""

    address: LoginThrottle
    pair: LoginThrottle
    email: LoginThrottle
    now: datetime


def begin(email_key: str, remote_addr: str) -> Attempt:
    """Lock this attempt's keys; `admit` then says whether it may go on."""
    now = utcnow()
    # Always the same order (address, pair, email): two attempts can never wait on each other.
    # Pruning comes after: a row it deletes stays locked until the commit, so pruning first
    # would hold rows while waiting for these, and deadlock with an attempt waiting for those.
    attempt = Attempt(
        address=_locked(f"address:{remote_addr}", now),
        pair=_locked(f"pair:{email_key}|{remote_addr}", now),
        email=_locked(f"email:{email_key}", now),
        now=now,
    )
    _prune(now, keep=(attempt.address.key, attempt.pair.key, attempt.email.key))
    return attempt


def admit(attempt: Attempt, known_browser: bool) -> None:
    """Refuse the attempt (LoginThrottled) if any of its keys is throttled. A browser the email's
    user has logged in from is spared the email's and the address's delays, so neither a burst
    against the email nor someone failing behind the same address keeps its owner out; the limit
    per (email, address) holds for it too."""
    waits = []
    if attempt.pair.failures >= _limit():
        waits.append(_seconds(attempt.pair.window_started_at + _window() - attempt.now))
    if not known_browser:
        waits += [_not_before_wait(attempt.email, attempt.now), _not_before_wait(attempt.address, attempt.now)]
    retry_after = max(waits, default=0)
    if retry_after > 0:
        raise LoginThrottled(retry_after)


def failed(attempt: Attempt) -> None:
    """Count a wrong password (or unknown email) against every key of the attempt."""
    _count_failure(attempt.pair, attempt.now, delay_after=None)
    _count_failure(attempt.email, attempt.now, delay_after=_limit())
    _count_failure(attempt.address, attempt.now, delay_after=_limit() * ADDRESS_FACTOR)


def succeeded(attempt: Attempt) -> None:
    """The owner proved who they are: their email's and this pair's failures are forgotten.
    The address keeps its count: it may be shared with someone guessing."""
    for row in (attempt.pair, attempt.email):
        _reset(row, attempt.now)


def _locked(key: str, now: datetime) -> LoginThrottle:
    """The row for `key`, created if missing, locked until the transaction ends."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(LoginThrottle).values(
        key=key, failures=0, window_started_at=now, not_before=None, expires_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[LoginThrottle.key], set_={"failures": LoginThrottle.failures}
    ).returning(LoginThrottle)
    row = db.session.scalars(stmt, execution_options={"populate_existing": True}).one()
    if row.window_started_at + _window() <= now:  # the counting window ended: start a new one
        row.failures = 0
        row.window_started_at = now
    return row


def _count_failure(row: LoginThrottle, now: datetime, delay_after: int | None) -> None:
    row.failures += 1
    if delay_after is not None and row.failures >= delay_after:
        exponent = min(row.failures - delay_after, 16)
        row.not_before = now + timedelta(seconds=min(2**exponent, _max_delay()))
    row.expires_at = max(row.window_started_at + _window(), row.not_before or now)


def _reset(row: LoginThrottle, now: datetime) -> None:
    row.failures = 0
    row.window_started_at = now
    row.not_before = None
    row.expires_at = now


def _prune(now: datetime, keep: tuple[str, ...]) -> None:
    """Forget rows that no longer throttle anything (the table would otherwise grow forever).
    Rows another attempt holds are skipped, never waited for; `keep` (this attempt's own rows,
    which it is about to update) are left alone."""
    expired = (select(LoginThrottle.key).where(LoginThrottle.expires_at < now, LoginThrottle.key.not_in(keep))
               .with_for_update(skip_locked=True))
    db.session.execute(
        delete(LoginThrottle).where(LoginThrottle.key.in_(expired)),
        execution_options={"synchronize_session": False},
    )


def _not_before_wait(row: LoginThrottle, now: datetime) -> int:
    return _seconds(row.not_before - now) if row.not_before else 0


def _seconds(delta: timedelta) -> int:
    return max(0, math.ceil(delta.total_seconds()))


def _limit() -> int:
    return current_app.config["LOGIN_MAX_ATTEMPTS"]


def _window() -> timedelta:
    return timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])


def _max_delay() -> int:
    return current_app.config["LOGIN_MAX_DELAY_SECONDS"]
