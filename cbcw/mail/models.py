from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cbcw.db import UTCDateTime, one_of, utcnow
from cbcw.extensions import db

MAIL_STATUSES = ("pending", "sent", "failed")
CALENDAR_METHODS = ("REQUEST", "CANCEL")


class MailMessage(db.Model):
    """One e-mail waiting to be sent, or sent: added in the transaction of what caused it.

    `pending` rows are sent by the scheduler's `send-mail` job. A sender claims a row by moving
    `claimed_until` forward with a conditional UPDATE, so two processes never send it both;
    a failed attempt sets `next_attempt_at` later (backoff). Only a permanent refusal by the
    server (5xx for the recipient) makes a row `failed`; nothing is ever deleted.
    """

    __tablename__ = "mail_messages"
    __table_args__ = (
        one_of("status", MAIL_STATUSES),
        Index("ix_mail_messages_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    # An iCalendar attachment (text/calendar; method=…), for the implementer's invitation.
    calendar: Mapped[Optional[str]] = mapped_column(Text)
    calendar_method: Mapped[Optional[str]] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    @property
    def message_id(self) -> str:
        """Stable per row, so a resend after a lost acknowledgement is recognisably the same mail."""
        return f"<cb-mail-{self.id}@changebreeze>"
