"""What callbacks keep: the callbacks registered in ConnectWise, every verified callback received
(once), and the alerts a ticket's fate raises on an open change. The secret callback address is a
setting (`settings.models.CallbackEndpoint`), re-encrypted by `flask rotate-keys` with the keys."""
from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbcw.db import UTCDateTime, one_of, utcnow
from cbcw.extensions import db

# pending: to act on (or retry); done: acted on; ignored: about nothing this organisation holds;
# failed: gave up after repeated ConnectWise failures (the nightly sync and drift check catch up).
RECEIVED_STATES = ("pending", "done", "ignored", "failed")
ALERT_KINDS = ("closed", "merged", "moved", "deleted")


class CallbackRegistration(db.Model):
    """One CallbackEntry we created on `base_url`'s site (its id there: `cw_callback_id`)."""

    __tablename__ = "cw_callback_registrations"
    __table_args__ = (UniqueConstraint("organisation_id", "base_url", "type", "level", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))  # led by the unique key
    base_url: Mapped[str] = mapped_column(String(300))
    cw_callback_id: Mapped[int]
    type: Mapped[str] = mapped_column(String(20))
    level: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[int]
    description: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReceivedCallback(db.Model):
    """A verified callback, recorded once: `digest` is the SHA-256 of its raw body, so a replay or
    a duplicate delivery of the same body is the same row. The body itself is not kept."""

    __tablename__ = "cw_callbacks_received"
    __table_args__ = (UniqueConstraint("organisation_id", "digest"), one_of("state", RECEIVED_STATES),
                      Index("ix_cw_callbacks_received_due", "state", "next_attempt_at"),
                      Index("ix_cw_callbacks_received_entity", "organisation_id", "entity_type", "entity_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    digest: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(10))
    entity_id: Mapped[int]
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)


class TicketAlert(db.Model):
    """A linked ticket closed, merged, moved to another company or deleted in ConnectWise while its
    change was open; `cleared_at` once ConnectWise shows it otherwise again."""

    __tablename__ = "cw_ticket_alerts"
    __table_args__ = (UniqueConstraint("change_id", "ticket_id", "kind"), one_of("kind", ALERT_KINDS))

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("changes.id"))  # led by the unique key
    ticket_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))
    detail: Mapped[str] = mapped_column(String(200), default="")
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cleared_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    change = relationship("Change")
