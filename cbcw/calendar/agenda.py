"""Which changes' implementation windows fall on which days, in the viewer's timezone."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import joinedload

from cbcw.changes.conflicts import conflicting_ids
from cbcw.changes.models import Change
from cbcw.extensions import db
from cbcw.tenancy import current_org_id, scoped

VIEWS = ("week", "month")
# Far enough from year 1 and 9999 that a day's bounds exist in every timezone.
FIRST_DAY, LAST_DAY = date(2, 1, 1), date(9998, 12, 1)


@dataclass(frozen=True)
class Entry:
    """A change on one day of the agenda, with its window as that day sees it.

    A window crossing midnight shows on each day it touches: the day it starts reads
    "22:00–00:30", a later day "until 00:30" (or "all day" in between), and `note` says when it
    started and ends, for the title and for screen readers.
    """

    change: Change
    label: str
    note: str = ""


@dataclass
class Day:
    day: date
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Agenda:
    view: str
    first: date
    last: date
    days: list[Day]
    conflicts: set[int]
    previous: date
    following: date


def period(view: str, anchor: date) -> tuple[date, date, date, date]:
    """(first day, last day, previous period's anchor, next period's anchor) of the week (from
    Monday) or the month that holds `anchor`."""
    anchor = min(max(anchor, FIRST_DAY), LAST_DAY)
    if view == "month":
        first = anchor.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return first, following - timedelta(days=1), (first - timedelta(days=1)).replace(day=1), following
    first = anchor - timedelta(days=anchor.weekday())
    return first, first + timedelta(days=6), first - timedelta(days=7), first + timedelta(days=7)


def build(view: str, anchor: date, zone: ZoneInfo, company_id: int | None = None) -> Agenda:
    """The agenda of one week or month: each day with the changes whose window touches it."""
    first, last, previous, following = period(view, anchor)
    start = datetime.combine(first, time.min, zone)
    end = datetime.combine(last + timedelta(days=1), time.min, zone)
    stmt = (scoped(Change).where(Change.window_start.is_not(None), Change.window_end.is_not(None),
                                 Change.state != "cancelled", Change.window_start < end, Change.window_end > start)
            .options(joinedload(Change.company), joinedload(Change.implementer))
            .order_by(Change.window_start, Change.id))
    if company_id:
        stmt = stmt.where(Change.company_id == company_id)
    changes = list(db.session.scalars(stmt))
    days = [Day(first + timedelta(days=n)) for n in range((last - first).days + 1)]
    for change in changes:
        opens = change.window_start.astimezone(zone).date()
        closes = (change.window_end - timedelta(microseconds=1)).astimezone(zone).date()
        for day in days:
            if opens <= day.day <= closes:
                day.entries.append(entry_on(day.day, change, zone))
    return Agenda(view, first, last, days, conflicting_ids(current_org_id(), [c.id for c in changes]),
                  previous, following)


WHEN = "%A %-d %B %H:%M"


def entry_on(day: date, change: Change, zone: ZoneInfo) -> Entry:
    """How `change`'s window reads on `day` (a day the window touches), in `zone`."""
    start, end = change.window_start.astimezone(zone), change.window_end.astimezone(zone)
    opens, closes = start.date(), (end - timedelta(microseconds=1)).date()
    span = f"{start:%H:%M}–{end:%H:%M}"
    if opens == closes:
        return Entry(change, span)
    if day == opens:
        return Entry(change, span, f"Ends {end.strftime(WHEN)}")
    started = f"Started {start.strftime(WHEN)}"
    if day == closes:
        return Entry(change, f"until {end:%H:%M}", started)
    return Entry(change, "all day", f"{started}, ends {end.strftime(WHEN)}")
