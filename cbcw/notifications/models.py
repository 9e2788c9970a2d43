from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbcw.db import UTCDateTime, one_of, utcnow
from cbcw.extensions import db
from cbcw.notifications.kinds import CHANNELS, KINDS


class Notification(db.Model):
    """One item of a user's in-app inbox."""

    __tablename__ = "notifications"
    __table_args__ = (
        one_of("kind", tuple(KINDS)),
        # The bell's count: unread items of one user.
        Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    change_id: Mapped[Optional[int]] = mapped_column(ForeignKey("changes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # When what the item asked for stopped waiting on its reader (`settled`): read, and kept as history.
    resolved_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    change = relationship("Change")


class NotificationPreference(db.Model):
    """A user's channel for one kind; no row means the default (e-mail and in-app)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (
        UniqueConstraint("user_id", "kind"),
        one_of("kind", tuple(KINDS)),
        one_of("channel", tuple(CHANNELS)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))


class CalendarInvitation(db.Model):
    """The implementer's invitation of a change: one UID for its life, a SEQUENCE raised on every
    update (RFC 5546), so calendars replace the event instead of adding another."""

    __tablename__ = "calendar_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("changes.id"), unique=True)
    sequence: Mapped[int] = mapped_column(default=0)
    # Who holds the invitation now: a new implementer gets it, the previous one a cancellation.
    attendee_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"), index=True)


class SentReminder(db.Model):
    """A reminder or digest already given: the key's uniqueness makes each happen once, whatever
    the number of scheduler processes ("window:<change>:<start>", "digest:<user>:<day>")."""

    __tablename__ = "sent_reminders"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
