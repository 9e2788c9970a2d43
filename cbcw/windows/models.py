from datetime import datetime, time
from typing import Optional

from sqlalchemy import DateTime, ForeignKey, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cbcw.db import UTCDateTime, one_of, utcnow
from cbcw.extensions import db

KINDS = ("blackout", "maintenance")
RECURRENCES = ("once", "weekly", "monthly")
# Monthly patterns: a day of the month, or the first or last business day (Monday to Friday).
MONTHLY_RULES = ("day", "first_business_day", "last_business_day")


class ScheduleWindow(db.Model):
    """A blackout or maintenance window, read in its own IANA timezone.

    A one-off window runs from `starts_local` to `ends_local` (wall-clock times in `timezone`).
    A recurring one opens at `start_time` on each matching local day (weekly: the weekdays in
    `weekdays`, "0" = Monday; monthly: `monthly_rule`, with `month_day` for "day") and closes at
    `end_time`, on the next day when `end_time` is not after `start_time` (18:00–00:00 is
    "18:00–24:00"). Blackouts belong to the organisation (no company) or to one company;
    maintenance windows to one company.
    """

    __tablename__ = "schedule_windows"
    __table_args__ = (
        one_of("kind", KINDS),
        one_of("recurrence", RECURRENCES),
        one_of("monthly_rule", MONTHLY_RULES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    company_id: Mapped[Optional[int]] = mapped_column(ForeignKey("companies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    recurrence: Mapped[str] = mapped_column(String(16), default="once")
    starts_local: Mapped[Optional[datetime]] = mapped_column(DateTime)
    ends_local: Mapped[Optional[datetime]] = mapped_column(DateTime)
    weekdays: Mapped[str] = mapped_column(String(7), default="")
    monthly_rule: Mapped[str] = mapped_column(String(24), default="day")
    month_day: Mapped[Optional[int]]
    start_time: Mapped[Optional[time]] = mapped_column(Time)
    end_time: Mapped[Optional[time]] = mapped_column(Time)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    company = relationship("Company")

    def __str__(self) -> str:
        return self.name
