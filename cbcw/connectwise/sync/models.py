"""One configuration sync of one organisation: history, progress and the one-at-a-time guard."""
from datetime import datetime, timedelta
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbcw.db import UTCDateTime, one_of, utcnow
from cbcw.extensions import db

STATUSES = ("queued", "running", "succeeded", "failed")
ACTIVE_STATUSES = ("queued", "running")
TRIGGER_LABELS = {"manual": "Sync Configurations Now", "scheduled": "Nightly", "cli": "Command line"}
TRIGGERS = tuple(TRIGGER_LABELS)
# The scheduler looks for requests every few seconds; a request waiting longer means it is not running.
SCHEDULER_PICKUP = timedelta(seconds=30)
_ACTIVE_CONDITION = "status IN ('queued', 'running')"
COUNTS = ("created", "updated", "unchanged", "skipped", "deactivated")


class SyncRun(db.Model):
    """A sync requested (queued), running, or finished (succeeded / failed).

    The partial unique index lets an organisation hold at most one queued-or-running row, so
    two syncs of one organisation can never run at once, whichever process asks.
    """

    __tablename__ = "cw_sync_runs"
    __table_args__ = (
        Index("uq_cw_sync_runs_one_active", "organisation_id", unique=True,
              sqlite_where=text(_ACTIVE_CONDITION), postgresql_where=text(_ACTIVE_CONDITION)),
        one_of("status", STATUSES),
        one_of("trigger", TRIGGERS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    trigger: Mapped[str] = mapped_column(String(10))
    requested_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    full: Mapped[bool] = mapped_column(default=False)
    # Incremental runs fetch configurations changed after this moment.
    since: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # {"types": [cw type ids], "companies": [cw company ids]} mapped when the run started.
    scope: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Moved on at every committed page: a queued or running row that stops moving was interrupted.
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    pages_fetched: Mapped[int] = mapped_column(default=0)
    records_processed: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    deactivated: Mapped[int] = mapped_column(default=0)
    # {reason: count}, e.g. {"company not mapped: Contoso Ltd": 12}
    skip_reasons: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # [{"name", "hostname", "company"}]: configurations whose hostname had to differ (first 50).
    renamed: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    members_matched: Mapped[Optional[int]]
    error: Mapped[Optional[str]] = mapped_column(String(500))

    requested_by = relationship("User")

    @property
    def trigger_label(self) -> str:
        return TRIGGER_LABELS.get(self.trigger, self.trigger)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def scheduler_late(self) -> bool:
        """Queued for longer than the scheduler process takes to pick a request up."""
        return self.status == "queued" and utcnow() - self.heartbeat_at > SCHEDULER_PICKUP

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
