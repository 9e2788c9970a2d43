"""The outbox: every ConnectWise write a change event causes, stored with the event (PRODUCT §3.8)."""
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbcw.db import UTCDateTime, one_of, utcnow
from cbcw.extensions import db

# pending: waiting to be sent (or retried); sent: ConnectWise has it; skipped: nothing needed
# sending (e.g. the member is already on the ticket); failed: permanently refused, see last_error.
STATES = ("pending", "sent", "skipped", "failed")
STATE_LABELS = {"pending": "Pending", "sent": "Sent", "skipped": "Not needed", "failed": "Failed"}
KIND_LABELS = {"status": "Ticket status", "note": "Internal note", "resource": "Resource",
               "unmatched": "Users not in ConnectWise", "plan": "Implementation plan",
               "unschedule": "Schedule entries closed"}
KINDS = tuple(KIND_LABELS)


class OutboxWrite(db.Model):
    """One ConnectWise write, delivered in `id` order per (organisation, ticket).

    `payload` holds what the write needs (texts, names, user ids), never secrets. `reference` is
    the short token ending a note's text (or naming a schedule entry) so a write whose outcome was
    unknown can be found on the ticket before it is sent again; `maybe_sent` says the last attempt
    may have reached ConnectWise. A deliverer owns a row while `lease_until` is in the future.
    """

    __tablename__ = "cw_outbox"
    __table_args__ = (one_of("state", STATES), one_of("kind", KINDS),
                      Index("ix_cw_outbox_due", "state", "next_attempt_at"),
                      Index("ix_cw_outbox_ticket", "organisation_id", "ticket_id", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    change_id: Mapped[int] = mapped_column(ForeignKey("changes.id"), index=True)
    ticket_id: Mapped[int]
    event: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reference: Mapped[str] = mapped_column(String(24))
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    maybe_sent: Mapped[bool] = mapped_column(default=False)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_owner: Mapped[Optional[str]] = mapped_column(String(64))
    lease_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    change = relationship("Change")

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)
