"""Deliver outbox writes to ConnectWise (PRODUCT §3.8): the scheduler's worker (`worker.py`)
and `flask deliver` call this; no web request does.

- Per ticket, writes go in `id` order: only the oldest pending write of a ticket may be claimed,
  so a write waiting for a retry holds the later ones of that ticket (and no other ticket's).
- A deliverer claims a write by leasing it; on PostgreSQL the candidates are read with
  `FOR UPDATE SKIP LOCKED`, and on every database the lease is taken by a conditional UPDATE, so
  two deliverers never send the same write. Leases are short and renewed while their owner
  works (`renewing`), so a deliverer that dies mid-write is taken over within a minute; the
  taker looks for the write on the ticket first (`maybe_sent`), so it is not sent twice.
- A 404 is believed to mean "the ticket is gone" only when ConnectWise's own `NotFound` body
  says so and the credentials still work (`/system/info`, once per run and organisation):
  cloud ConnectWise answers bad or expired keys with 404 too, and then the write waits.
- Transient failures back off exponentially with jitter (Retry-After on 429 is honoured, and
  pauses the whole organisation); permanent ones are marked failed and stop blocking the ticket.
"""
from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import aliased

from cbcw.changes import timeline
from cbcw.connectwise.api import errors
from cbcw.connectwise.automation import executors
from cbcw.connectwise.automation.models import OutboxWrite
from cbcw.connectwise.automation.pace import pacer_for
from cbcw.connectwise.settings.mappings import active_settings
from cbcw.connectwise.api.http import time_budget
from cbcw.connectwise.settings.connection import client_for
from cbcw.crypto import SecretUnreadable
from cbcw.db import utcnow
from cbcw.extensions import db

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 5.0
BACKOFF_CAP_SECONDS = 900.0
# An unreachable ConnectWise costs nothing to ask again, and must be caught up with within a
# minute of coming back.
UNREACHABLE_CAP_SECONDS = 30.0
CLAIM_BATCH = 20


@dataclass
class Report:
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    held: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.skipped} not needed, {self.failed} failed, {self.held} to retry later"


def deliver(*, tickets: set | None = None, organisation_id: int | None = None, budget: float | None = None,
            wait: bool = False) -> Report:
    """Send what is due, oldest first per ticket, until nothing is due or `budget` seconds are spent.

    `tickets` limits the run to those (organisation, ticket) pairs; with `wait`, writes that come
    due within the budget (a short Retry-After, a backoff) are waited for.
    """
    owner = new_owner()
    deadline = None if budget is None else time.monotonic() + budget
    report = Report()
    run = _Run(report)
    with renewing(current_app._get_current_object(), owner):
        while deadline is None or time.monotonic() < deadline:
            claimed = claim(owner, tickets, organisation_id)
            if not claimed:
                pause = until_next_due(tickets, organisation_id) if wait else None
                left = None if deadline is None else deadline - time.monotonic()
                if pause is None or (left is not None and pause >= left):
                    break
                time.sleep(max(pause, 0.05))
                continue
            for write_id, check_first in claimed:
                left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
                with time_budget(left):
                    run.deliver_one(_load(write_id), check_first)
    return report


def deliver_claimed(write_id: int, check_first: bool) -> Report:
    """Send one write this process has claimed (a worker thread's task)."""
    report = Report()
    _Run(report).deliver_one(_load(write_id), check_first)
    return report


def new_owner() -> str:
    """Who holds a lease: host, process id and a token of this deliverer (an operator can tell)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@contextmanager
def renewing(app: Flask, owner: str):
    """Keep `owner`'s leases alive (three times per lease, from a thread of its own) for the block."""
    done = threading.Event()
    every = app.config["CW_DELIVERY_LEASE_SECONDS"] / 3

    def renew():
        while not done.wait(every):
            with app.app_context():
                try:
                    renew_leases(owner)
                except Exception:  # noqa: BLE001 - a missed renewal only shortens the lease
                    log.exception("could not renew the outbox leases of %s", owner)
                finally:
                    db.session.remove()

    thread = threading.Thread(target=renew, name=f"lease-renewer {owner}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(every)


def renew_leases(owner: str) -> int:
    """Push back the lease of every pending write `owner` holds; returns how many."""
    renewed = db.session.execute(
        update(OutboxWrite).where(OutboxWrite.lease_owner == owner, OutboxWrite.state == "pending")
        .values(lease_until=utcnow() + _lease())
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return renewed


def release(write_id: int, owner: str) -> None:
    """Give up `owner`'s lease of a write whose delivery broke off unexpectedly: it is tried again
    after a backoff, and looked for on the ticket first (`maybe_sent` stays as the claim set it)."""
    db.session.execute(
        update(OutboxWrite).where(OutboxWrite.id == write_id, OutboxWrite.lease_owner == owner)
        .values(lease_owner=None, lease_until=None,
                next_attempt_at=utcnow() + timedelta(seconds=backoff(1, UNREACHABLE_CAP_SECONDS)))
        .execution_options(synchronize_session=False))
    db.session.commit()


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config["CW_DELIVERY_LEASE_SECONDS"])


def _load(write_id: int) -> OutboxWrite:
    return db.session.scalars(select(OutboxWrite).where(OutboxWrite.id == write_id)
                              .execution_options(populate_existing=True)).one()


def _due_filter(tickets, organisation_id):
    row, earlier = OutboxWrite, aliased(OutboxWrite)
    older_pending = select(earlier.id).where(
        earlier.organisation_id == row.organisation_id, earlier.ticket_id == row.ticket_id,
        earlier.state == "pending", earlier.id < row.id).exists()
    conditions = [row.state == "pending", ~older_pending]
    if tickets:
        conditions.append(or_(*(and_(row.organisation_id == org, row.ticket_id == ticket) for org, ticket in tickets)))
    if organisation_id is not None:
        conditions.append(row.organisation_id == organisation_id)
    return conditions


def claim(owner: str, tickets=None, organisation_id=None, limit: int = CLAIM_BATCH) -> list[tuple[int, bool]]:
    """Lease the oldest due write of up to `limit` tickets; returns (write id, check_first) pairs in
    id order, check_first being whether an earlier attempt may have reached ConnectWise."""
    now = utcnow()
    free = or_(OutboxWrite.lease_until.is_(None), OutboxWrite.lease_until < now)
    stmt = (select(OutboxWrite.id, OutboxWrite.maybe_sent)
            .where(*_due_filter(tickets, organisation_id), OutboxWrite.next_attempt_at <= now, free)
            .order_by(OutboxWrite.id).limit(limit))
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=OutboxWrite)
    candidates = db.session.execute(stmt).all()
    claimed = {}
    for write_id, maybe_sent in candidates:
        taken = db.session.execute(
            update(OutboxWrite)
            .where(OutboxWrite.id == write_id, OutboxWrite.state == "pending", free,
                   OutboxWrite.maybe_sent.is_(maybe_sent))
            .values(lease_owner=owner, lease_until=now + _lease(),
                    attempts=OutboxWrite.attempts + 1, maybe_sent=True)
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken:
            claimed[write_id] = bool(maybe_sent)
    db.session.commit()
    return sorted(claimed.items())


def until_next_due(tickets, organisation_id) -> float | None:
    """Seconds until the next pending head-of-ticket write comes due, or None if there is none."""
    now = utcnow()
    soonest = db.session.scalar(select(OutboxWrite.next_attempt_at)
                                .where(*_due_filter(tickets, organisation_id))
                                .order_by(OutboxWrite.next_attempt_at).limit(1))
    db.session.commit()
    return None if soonest is None else (soonest - now).total_seconds()


class _Run:
    """Clients, member lookups and ticket facts shared by the writes of one deliver() call."""

    def __init__(self, report: Report):
        self.report = report
        self.clients: dict[int, tuple] = {}
        self.tickets: dict[tuple, executors.Ticket] = {}
        self.credentials: dict[int, bool] = {}

    def ticket(self, row: OutboxWrite) -> executors.Ticket:
        if row.organisation_id not in self.clients:
            settings = active_settings(row.organisation_id)
            if settings is None:
                raise errors.ConnectWiseError("The ConnectWise integration is switched off or not fully configured; "
                                              "this write waits until it is on again.")
            client = client_for(settings, interactive=False)
            client.pace = pacer_for(row.organisation_id, current_app.config["CW_REQUESTS_PER_SECOND"])
            self.clients[row.organisation_id] = (client, executors.Members(row.organisation_id, client))
        client, members = self.clients[row.organisation_id]
        key = (row.organisation_id, row.ticket_id)
        if key not in self.tickets:
            self.tickets[key] = executors.Ticket(row.ticket_id, client, row.organisation_id, members)
        return self.tickets[key]

    def deliver_one(self, row: OutboxWrite, check_first: bool) -> None:
        try:
            outcome = executors.send(row, self.ticket(row), check_first)
        except executors.Permanent as refusal:
            self._fail(row, str(refusal), check_first)
        except errors.NotFound as error:
            if error.record_gone and self.credentials_work(row.organisation_id):
                self._fail(row, f"ConnectWise no longer has ticket #{row.ticket_id} (it was deleted or merged), "
                                "so this cannot be delivered.", check_first)
            else:
                self._hold(row, CheckTheConnection(), check_first)
        except errors.ValidationFailed as error:
            self._fail(row, f"ConnectWise refused it as invalid: {error.detail or error}", check_first)
        except (errors.ConnectWiseError, SecretUnreadable) as error:
            self._hold(row, error, check_first)
        except (AttributeError, KeyError, TypeError, ValueError):
            log.exception("outbox write %s: ConnectWise answered in an unexpected shape", row.id)
            self._hold(row, errors.BadResponse(detail="a record of an unexpected shape"), check_first)
        else:
            self._finish(row, outcome)
        db.session.commit()

    def credentials_work(self, organisation_id: int) -> bool:
        """Whether ConnectWise answers `/system/info` with these keys (asked once per run)."""
        if organisation_id not in self.credentials:
            client, _ = self.clients[organisation_id]
            try:
                client.system_info()
                self.credentials[organisation_id] = True
            except errors.ConnectWiseError:
                self.credentials[organisation_id] = False
        return self.credentials[organisation_id]

    def _finish(self, row: OutboxWrite, outcome: executors.Outcome) -> None:
        row.state, row.maybe_sent, row.last_error = outcome.state, False, None
        row.result = {**(row.result or {}), "summary": outcome.summary, "requests": outcome.requests}
        row.finished_at, row.lease_owner, row.lease_until = utcnow(), None, None
        if outcome.state == "sent":
            self.report.sent += 1
            _timeline(row, "integration_sent", f"ConnectWise: {outcome.summary}")
        else:
            self.report.skipped += 1

    def _fail(self, row: OutboxWrite, message: str, check_first: bool) -> None:
        """A refusal of this attempt's request: an earlier attempt's doubt (if any) remains."""
        row.state, row.last_error, row.maybe_sent = "failed", message, check_first
        row.finished_at, row.lease_owner, row.lease_until = utcnow(), None, None
        self.report.failed += 1
        self.report.errors.append(message)
        _timeline(row, "integration_failed", f"ConnectWise: {row.kind_label.lower()} not delivered: {message}")

    def _hold(self, row: OutboxWrite, error: Exception, check_first: bool) -> None:
        """Try again later. `maybe_sent` stays set when this attempt may have reached ConnectWise."""
        if not _may_have_applied(error):
            row.maybe_sent = check_first
        if isinstance(error, errors.BudgetSpent):
            row.attempts -= 1  # nothing was tried; the scheduler picks it up at once
            delay = 0.0
        elif isinstance(error, errors.RateLimited) and error.retry_after is not None:
            delay = error.retry_after * random.uniform(1.0, 1.1)
            pacer_for(row.organisation_id, current_app.config["CW_REQUESTS_PER_SECOND"]).pause(error.retry_after)
        else:
            unreachable = isinstance(error, CheckTheConnection) or (
                isinstance(error, (errors.Unavailable, errors.Timeout)) and error.status is None)
            delay = backoff(row.attempts, UNREACHABLE_CAP_SECONDS if unreachable else BACKOFF_CAP_SECONDS)
        row.last_error = str(error)
        row.next_attempt_at = utcnow() + timedelta(seconds=delay)
        row.lease_owner, row.lease_until = None, None
        self.report.held += 1


def _may_have_applied(error: Exception) -> bool:
    """A timeout, a cut connection or a server error leaves the outcome unknown; a refusal or a
    failure before sending does not."""
    if isinstance(error, (errors.Timeout, errors.BadResponse)):
        return True
    if isinstance(error, errors.Unavailable):
        return error.status is None or error.status >= 500
    return False


def backoff(attempts: int, cap: float = BACKOFF_CAP_SECONDS) -> float:
    """Exponential backoff with jitter: about 5 s, 10 s, 20 s … up to `cap`."""
    ceiling = min(cap, BACKOFF_BASE_SECONDS * 2 ** min(max(attempts - 1, 0), 20))
    return random.uniform(ceiling / 2, ceiling)


class CheckTheConnection(errors.ConnectWiseError):
    """A 404 that does not prove the record gone: cloud ConnectWise answers bad or expired keys
    with 404. The write waits and goes out by itself once ConnectWise answers normally."""

    default_message = ("ConnectWise answered 404 (not found), which is also its answer to wrong or expired "
                       "API keys: check the connection (Test Connection in the ConnectWise settings). "
                       "This write is sent by itself once ConnectWise answers normally.")


def _timeline(row: OutboxWrite, kind: str, message: str) -> None:
    timeline.record_system(row.organisation_id, row.change_id, kind, message,
                           write_id=row.id, ticket_id=row.ticket_id, write_kind=row.kind)
