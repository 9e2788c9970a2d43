"""Database leases that make each scheduled job run once per schedule across processes and hosts."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from cbcw.db import utcnow
from cbcw.extensions import db
from cbcw.scheduler.models import JobLease

HEARTBEAT_JOB_ID = "heartbeat"
_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


def try_acquire(job_id: str, holder: str, hold_for: timedelta) -> bool:
    """Take the job's lease if it has expired; one atomic UPDATE, so two processes never both win."""
    _ensure_row(job_id)
    now = utcnow()
    taken = db.session.execute(
        update(JobLease)
        .where(JobLease.job_id == job_id, JobLease.leased_until <= now)
        .values(holder=holder, leased_until=now + hold_for, last_started_at=now)
    ).rowcount
    db.session.commit()
    return taken == 1


def record_finish(job_id: str, error: str = "") -> None:
    """Note the end of a run. The lease is kept until it expires so the same period never runs twice."""
    db.session.execute(
        update(JobLease).where(JobLease.job_id == job_id).values(last_finished_at=utcnow(), last_error=error[:2000])
    )
    db.session.commit()


def heartbeat_age() -> float | None:
    """Seconds since a scheduler process last ran its heartbeat job, or None if none ever did."""
    lease = db.session.get(JobLease, HEARTBEAT_JOB_ID)
    if lease is None or lease.last_finished_at is None:
        return None
    return max(0.0, (utcnow() - lease.last_finished_at).total_seconds())


def _ensure_row(job_id: str) -> None:
    if db.session.get(JobLease, job_id) is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(JobLease(job_id=job_id, holder="", leased_until=_EPOCH))
    except IntegrityError:
        pass  # another process created it first: fine, the UPDATE decides who runs
    db.session.commit()
