"""When ConnectWise last told us a ticket changed (a verified callback, acted on), in the database
every web worker and the scheduler share.

The ticket widget's cache is per process (`tickets/cache.py`); a callback is acted on in the
scheduler. So the callback leaves a mark here, and every worker's widget treats a cached copy
older than the mark as a miss, and an open widget polls the mark to redraw itself (PRODUCT §3.11).
"""
from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from cbcw.db import UTCDateTime
from cbcw.extensions import db


class TicketMark(db.Model):
    __tablename__ = "cw_ticket_marks"
    __table_args__ = (UniqueConstraint("organisation_id", "ticket_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))  # led by the unique pair
    ticket_id: Mapped[int]
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


def marked_at(organisation_id: int, ticket_id: int) -> datetime | None:
    return db.session.scalar(select(TicketMark.changed_at).where(
        TicketMark.organisation_id == organisation_id, TicketMark.ticket_id == ticket_id))


def mark(organisation_id: int, ticket_id: int, when: datetime) -> None:
    """Record that the ticket changed at `when` (in the caller's transaction)."""
    row = db.session.scalar(select(TicketMark).where(
        TicketMark.organisation_id == organisation_id, TicketMark.ticket_id == ticket_id).with_for_update())
    if row is not None:
        row.changed_at = max(row.changed_at, when)
        return
    try:
        with db.session.begin_nested():
            db.session.add(TicketMark(organisation_id=organisation_id, ticket_id=ticket_id, changed_at=when))
    except IntegrityError:  # another worker marked it first
        mark(organisation_id, ticket_id, when)
