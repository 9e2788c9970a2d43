"""The last drift check of each organisation and what it found, so the page shows the nightly
result without asking ConnectWise while it renders."""
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbcw.db import UTCDateTime, utcnow
from cbcw.extensions import db


class DriftRun(db.Model):
    """One row per organisation: its last check. When a check fails (ConnectWise down), `error`
    says why and the findings of the last successful check (`findings_at`) stay on show."""

    __tablename__ = "cw_drift_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    findings_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    changes_checked: Mapped[int] = mapped_column(default=0)
    error: Mapped[Optional[str]] = mapped_column(Text)


class DriftFinding(db.Model):
    """One open change whose ticket does not match (`problems`, see `compare.Problem`), or whose
    writes were still on their way when checked (`pending`, nothing compared)."""

    __tablename__ = "cw_drift_findings"
    __table_args__ = (UniqueConstraint("organisation_id", "change_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))  # led by the unique pair
    change_id: Mapped[int] = mapped_column(ForeignKey("changes.id"), index=True)
    ticket_id: Mapped[int]
    pending: Mapped[bool] = mapped_column(default=False)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    failed_writes: Mapped[int] = mapped_column(default=0)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reapplied_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    change = relationship("Change")
