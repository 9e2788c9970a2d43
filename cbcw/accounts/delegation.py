"""Approval delegation (PRODUCT §2.9): a user away names a delegate for a span of days.

While a delegation runs, approvals awaiting the absent user are offered to the delegate, who
decides *for* them (cbcw.changes.policy keeps segregation of duties for delegates too). Days
are UTC calendar days, both ends included.
"""
from datetime import date, timedelta
from typing import Optional

from sqlalchemy import Date, ForeignKey, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbcw.db import utcnow
from cbcw.extensions import db


class Delegation(db.Model):
    """`user` is away from `starts_on` to `ends_on`; `delegate` decides their approvals meanwhile."""

    __tablename__ = "delegations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # One delegation per user: setting a new one replaces it.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    delegate_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)

    user = relationship("User", foreign_keys=[user_id])
    delegate = relationship("User", foreign_keys=[delegate_id])

    def runs_on(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


# How far from today a delegation's days may lie: an absence already under way, or planned.
EARLIEST = timedelta(days=366)
LATEST = timedelta(days=2 * 366)


def today() -> date:
    return utcnow().date()


def allowed_days() -> tuple[date, date]:
    """The first and last day a delegation may name (a typo like 0001 or 9999 is refused)."""
    now = today()
    return now - EARLIEST, now + LATEST


def delegation_of(user_id: int) -> Optional[Delegation]:
    return db.session.scalar(select(Delegation).where(Delegation.user_id == user_id))


def stands_in_for(delegate_id: int, user_id: int, day: Optional[date] = None) -> bool:
    """Whether `delegate_id` decides for `user_id` on `day` (today by default)."""
    day = day or today()
    return db.session.scalar(
        select(Delegation.id).where(
            Delegation.user_id == user_id, Delegation.delegate_id == delegate_id,
            Delegation.starts_on <= day, Delegation.ends_on >= day,
        )
    ) is not None


def absent_for(delegate_id: int, day: Optional[date] = None):
    """A subquery of the users for whom `delegate_id` decides on `day` (for list filters)."""
    day = day or today()
    return select(Delegation.user_id).where(
        Delegation.delegate_id == delegate_id, Delegation.starts_on <= day, Delegation.ends_on >= day,
    )


def delegates_of(user_ids: list[int], day: Optional[date] = None) -> dict[int, int]:
    """{absent user id: delegate id} for those of `user_ids` away on `day` (one statement)."""
    if not user_ids:
        return {}
    day = day or today()
    rows = db.session.execute(
        select(Delegation.user_id, Delegation.delegate_id).where(
            Delegation.user_id.in_(user_ids), Delegation.starts_on <= day, Delegation.ends_on >= day,
        )
    )
    return {user_id: delegate_id for user_id, delegate_id in rows}
