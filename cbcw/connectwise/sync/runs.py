"""Sync runs: request one (at most one queued-or-running per organisation), claim a queued one,
decide full or incremental, finish, and read the history."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from cbcw.connectwise.sync.models import ACTIVE_STATUSES, SyncRun
from cbcw.db import utcnow
from cbcw.extensions import db

# A queued or running row whose heartbeat stopped this long ago was interrupted (process killed,
# or no scheduler process picking requests up); it no longer blocks a new run.
STALE_AFTER = timedelta(minutes=10)
# Incremental runs miss deletions; a full run at least this often deactivates their devices.
FULL_EVERY = timedelta(days=7)
# Incremental runs look back a little before the last run's start, for clock skew with ConnectWise.
SINCE_OVERLAP = timedelta(minutes=2)
HISTORY_SHOWN = 20


class SyncBusy(Exception):
    """Another sync of the organisation is queued or running."""

    def __str__(self) -> str:
        return "A configuration sync is already queued or running for this organisation."


def request_run(organisation_id: int, trigger: str, *, user_id: int | None = None, full: bool = False,
                start_now: bool = False) -> SyncRun:
    """A new run, committed at once so that it holds the organisation's one sync slot.

    Queued (for the scheduler process to pick up) or, with `start_now`, already running in this
    process. Raises `SyncBusy` when another run holds the slot.
    """
    _expire_stale(organisation_id)
    now = utcnow()
    run = SyncRun(organisation_id=organisation_id, trigger=trigger, requested_by_id=user_id, full=full,
                  status="running" if start_now else "queued", requested_at=now, heartbeat_at=now,
                  started_at=now if start_now else None, scope={}, skip_reasons={}, renamed=[])
    db.session.add(run)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise SyncBusy() from None
    return run


def claim(run_id: int) -> bool:
    """Move a queued run to running; exactly one process wins (an atomic UPDATE)."""
    now = utcnow()
    claimed = db.session.execute(
        update(SyncRun).where(SyncRun.id == run_id, SyncRun.status == "queued")
        .values(status="running", started_at=now, heartbeat_at=now)
    ).rowcount
    db.session.commit()
    return claimed == 1


def queued_run_ids() -> list[int]:
    return list(db.session.scalars(select(SyncRun.id).where(SyncRun.status == "queued").order_by(SyncRun.id)))


def active_run(organisation_id: int) -> SyncRun | None:
    return db.session.scalar(select(SyncRun).where(
        SyncRun.organisation_id == organisation_id, SyncRun.status.in_(ACTIVE_STATUSES)))


def history(organisation_id: int, limit: int = HISTORY_SHOWN) -> list[SyncRun]:
    """The latest runs, newest first."""
    return list(db.session.scalars(select(SyncRun).where(SyncRun.organisation_id == organisation_id)
                                   .options(selectinload(SyncRun.requested_by))
                                   .order_by(SyncRun.id.desc()).limit(limit)))


def plan(run: SyncRun, scope: dict) -> None:
    """Full, or incremental since the last successful run: full when asked, when there is no
    earlier success, when the last full run is a week old, or when a type or company was
    mapped since (its older configurations were never fetched)."""
    last = _last_success(run.organisation_id)
    last_full = _last_success(run.organisation_id, full_only=True)
    grown = last is not None and not (set(scope["types"]) <= set(last.scope.get("types", []))
                                      and set(scope["companies"]) <= set(last.scope.get("companies", [])))
    run.scope = scope
    run.full = run.full or last is None or grown or last_full is None or last_full.started_at < utcnow() - FULL_EVERY
    run.since = None if run.full else last.started_at - SINCE_OVERLAP


def finish(run: SyncRun, error: str | None = None) -> None:
    run.status = "failed" if error else "succeeded"
    run.error = error[:500] if error else None
    run.finished_at = run.heartbeat_at = utcnow()
    db.session.commit()


def _last_success(organisation_id: int, full_only: bool = False) -> SyncRun | None:
    stmt = select(SyncRun).where(SyncRun.organisation_id == organisation_id, SyncRun.status == "succeeded")
    if full_only:
        stmt = stmt.where(SyncRun.full)
    return db.session.scalar(stmt.order_by(SyncRun.started_at.desc()).limit(1))


def _expire_stale(organisation_id: int) -> None:
    now = utcnow()
    db.session.execute(
        update(SyncRun).where(SyncRun.organisation_id == organisation_id, SyncRun.status.in_(ACTIVE_STATUSES),
                              SyncRun.heartbeat_at < now - STALE_AFTER)
        .values(status="failed", finished_at=now, error="Interrupted: the sync stopped making progress.")
    )
    db.session.commit()
