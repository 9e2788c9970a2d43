from datetime import datetime, timedelta
from typing import Any, Optional

from sqlalchemy import JSON, ColumnElement, ForeignKey, Index, String, Text, UniqueConstraint, and_, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbcw.changes.labels import Named
from cbcw.db import UTCDateTime, one_of, utcnow
from cbcw.extensions import db

STATES = (
    "draft",
    "pending_approval",
    "approved",
    "scheduled",
    "in_progress",
    "completed",
    "failed",
    "cancelled",
)
RISKS = ("low", "medium", "high")
# PRODUCT §2.7: normal follows the approval policy, standard comes from an approved template,
# emergency needs one ECAB approval and a post-implementation review.
CHANGE_TYPES = ("normal", "standard", "emergency")
# "ecab": the one approval an emergency change needs, from any ECAB member (PRODUCT §2.7).
APPROVAL_KINDS = ("technical", "operational", "vcab", "ecab")
DECISIONS = ("approved", "rejected")
# PRODUCT §2.1: an implementation window lasts at most this long (refused where windows are written,
# cbcw/changes/fields.py). So a window overlapping a period starts less than this before it, and
# `Change.window_overlaps` reads one short range of the window index instead of every earlier window.
MAX_WINDOW = timedelta(days=31)


class Change(Named, db.Model):
    """A change control (PRODUCT §2.1)."""

    __tablename__ = "changes"
    __table_args__ = (
        UniqueConstraint("organisation_id", "number"),
        Index("ix_changes_organisation_id_updated_at", "organisation_id", "updated_at"),  # the list's order
        # The calendar reads only its visible range (`Change.window_overlaps`): a range of window starts,
        # each window's end checked in the index, so only the windows shown are read from the table.
        Index("ix_changes_organisation_id_window_start_end", "organisation_id", "window_start", "window_end"),
        Index("ix_changes_organisation_id_window_end", "organisation_id", "window_end"),
        # The dashboard's period (cbcw/dashboard/stats.py), read from the index alone.
        Index("ix_changes_organisation_id_created_at", "organisation_id", "created_at", "change_type", "state",
              "actual_end_at"),
        # Changes in one state, e.g. pending approval: the navigation's count, the approvers' queues.
        Index("ix_changes_organisation_id_state", "organisation_id", "state"),
        one_of("state", STATES),
        one_of("risk", RISKS),
        one_of("change_type", CHANGE_TYPES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    company_id: Mapped[Optional[int]] = mapped_column(ForeignKey("companies.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    change_type: Mapped[str] = mapped_column(String(16), default="normal", server_default="normal")
    risk: Mapped[str] = mapped_column(String(8), default="low")
    # PRODUCT §2.7/§2.8: the template version a change came from; the questionnaire's answers
    # ({question key: answer value}), the score they gave and the answers that drove it.
    template_version_id: Mapped[Optional[int]] = mapped_column(ForeignKey("template_versions.id"), index=True)
    risk_answers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, server_default="{}")
    risk_score: Mapped[Optional[int]]
    risk_drivers: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    impact: Mapped[str] = mapped_column(Text, default="")
    implementation_plan: Mapped[str] = mapped_column(Text, default="")
    rollback_plan: Mapped[str] = mapped_column(Text, default="")
    test_plan: Mapped[str] = mapped_column(Text, default="")
    window_start: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    window_end: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # An emergency change scheduled into a blackout says why (PRODUCT §2.5); empty otherwise.
    blackout_override: Mapped[str] = mapped_column(Text, default="", server_default="")
    implementer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    technical_approver_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    operational_approver_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    requires_vcab: Mapped[bool] = mapped_column(default=False)
    # The ticket this change is linked to in a PSA, as last seen; an integration fills these,
    # the change only remembers them. `linked_ticket_system` is the key of the integration's
    # ticket system (no CHECK: the keys come from the loaded integrations, not from a fixed list).
    linked_ticket_id: Mapped[Optional[int]]
    linked_ticket_system: Mapped[Optional[str]] = mapped_column(String(32))
    linked_ticket_summary: Mapped[Optional[str]] = mapped_column(String(200))
    linked_ticket_board: Mapped[Optional[str]] = mapped_column(String(100))
    linked_ticket_status: Mapped[Optional[str]] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    # Approvals belong to a round; a rejection starts a new one on the next submit.
    approval_round: Mapped[int] = mapped_column(default=1)
    actual_start_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    actual_end_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    completion_notes: Mapped[str] = mapped_column(Text, default="")
    test_results: Mapped[str] = mapped_column(Text, default="")
    failure_reason: Mapped[str] = mapped_column(Text, default="")
    rollback_notes: Mapped[str] = mapped_column(Text, default="")
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    unresolved_mentions: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Optimistic lock: every write bumps it, so two concurrent writers cannot both commit.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    company = relationship("Company")
    implementer = relationship("User", foreign_keys=[implementer_id])
    technical_approver = relationship("User", foreign_keys=[technical_approver_id])
    operational_approver = relationship("User", foreign_keys=[operational_approver_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    # Loaded by the query that needs them (cbcw/changes/queries.py), never for every page.
    approvals = relationship("Approval", back_populates="change", order_by="Approval.decided_at")
    devices = relationship("ChangeDevice", back_populates="change")
    template_version = relationship("TemplateVersion")
    review = relationship("ChangeReview", uselist=False, viewonly=True)

    @property
    def current_decisions(self) -> list["Approval"]:
        """The decisions of the current approval round."""
        return [a for a in self.approvals if a.round == self.approval_round]

    @property
    def review_due(self) -> bool:
        """An emergency change that completed or failed counts as closed only once its
        post-implementation review is recorded (PRODUCT §2.7)."""
        return self.change_type == "emergency" and self.state in ("completed", "failed") and self.review is None

    @classmethod
    def window_overlaps(cls, start: datetime, end: datetime) -> ColumnElement[bool]:
        """The window overlaps `start`–`end` (touching end to start does not): it starts before the
        end and ends after the start, and so, no window being longer than MAX_WINDOW, starts after
        `start - MAX_WINDOW`, the bound that keeps the index range short."""
        return and_(cls.window_start < end, cls.window_start > start - MAX_WINDOW, cls.window_end > start)

    def window_position(self, moment: datetime) -> str | None:
        """"before" or "after" when `moment` falls outside the implementation window, else None
        (inside it, or no window set)."""
        if self.window_start and moment < self.window_start:
            return "before"
        if self.window_end and moment > self.window_end:
            return "after"
        return None

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class Approval(db.Model):
    """One approver's decision in one approval round."""

    __tablename__ = "approvals"
    __table_args__ = (
        UniqueConstraint("change_id", "round", "kind", "approver_id"),
        one_of("kind", APPROVAL_KINDS),
        one_of("decision", DECISIONS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("changes.id"), index=True)
    round: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    approver_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The requester approved their own change, as the organisation's small-team setting allows.
    self_approved: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Set when a delegate decided for the approver (`approver_id`) while they were away.
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)

    change = relationship("Change", back_populates="approvals")
    approver = relationship("User", foreign_keys=[approver_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])


class TimelineEntry(db.Model):
    """Append-only history of a change: transitions, approvals, comments, links, integration."""

    __tablename__ = "timeline_entries"
    # When each change of the dashboard's period was fully approved (its lead time).
    __table_args__ = (Index("ix_timeline_entries_organisation_id_kind_created_at",
                            "organisation_id", "kind", "created_at", "change_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("changes.id"), index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor = relationship("User")


class ChangeDevice(db.Model):
    """A device a change references (through an @hostname mention)."""

    __tablename__ = "change_devices"
    __table_args__ = (UniqueConstraint("change_id", "device_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("changes.id"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    mention: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    change = relationship("Change", back_populates="devices")
    device = relationship("Device")
