"""Which changes' implementation windows fall on which days and hours, in the viewer's timezone,
with the blackout and maintenance windows as bands (PRODUCT §2.5).

Only the visible range is read: one indexed query for the changes whose window overlaps it,
two for their conflicts, one for the windows; the statement count does not grow with the data.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from math import ceil
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from cbcw.accounts.models import User

from cbcw.calendar.lanes import Overflow, lay_out
from cbcw.changes.conflicts import OCCUPYING_STATES, Period, conflict_kinds
from cbcw.changes.labels import Named
from cbcw.changes.models import Change
from cbcw.extensions import db
from cbcw.organisations.models import Company
from cbcw.tenancy import current_org_id
from cbcw.windows.checks import windows_for
from cbcw.windows.models import ScheduleWindow
from cbcw.windows.recurrence import Occurrence, occurrences

VIEWS = ("week", "month", "day")
# A month cell shows this many windows, then "+ N more" linking to the day view, which lists all.
MONTH_CELL = 8
# What the calendar shows unless asked for finished work too (issue 21: completed and failed changes
# clutter it); a proposed window of a change still in approval is work to come. Cancelled never shows.
OPEN_STATES = ("draft", "pending_approval", "approved", "scheduled", "in_progress")
FINISHED_STATES = ("completed", "failed")
# Far enough from year 1 and 9999 that a day's bounds exist in every timezone.
FIRST_DAY, LAST_DAY = date(2, 1, 1), date(9998, 12, 1)


@dataclass(frozen=True)
class Filters:
    """The calendar's filters, as bookmarkable URL parameters."""

    company_id: int | None = None
    state: str = ""
    implementer_id: int | None = None
    mine: bool = False
    done: bool = False  # completed and failed changes too (a state filter shows its state either way)

    def args(self) -> dict:
        values = {"company": self.company_id, "state": self.state, "implementer": self.implementer_id,
                  "mine": "1" if self.mine else None, "done": "1" if self.done else None}
        return {key: value for key, value in values.items() if value}


@dataclass(frozen=True)
class Entry:
    """A change on one day of the agenda, with its window as that day sees it.

    A window crossing midnight shows on each day it touches (see `span_label`). `first_hour` and
    `hours` place it on the week grid (whole hours of the day, at least one), `lane` of `lanes`
    side by side with the blocks it overlaps (`lanes.lay_out`).
    """

    change: Block
    label: str
    note: str = ""
    first_hour: int = 0
    hours: int = 1
    lane: int = 0
    lanes: int = 1


@dataclass(frozen=True)
class Band:
    """A blackout or maintenance window's opening on one day, placed like an entry."""

    window: ScheduleWindow
    label: str
    note: str
    first_hour: int
    hours: int


@dataclass
class Day:
    day: date
    entries: list[Entry] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    in_period: bool = True
    more: int = 0  # windows not shown in a month cell
    overflows: list[Overflow] = field(default_factory=list)  # "+N more" tiles of the week grid


@dataclass
class Agenda:
    view: str
    first: date
    last: date
    days: list[Day]
    conflicts: dict[int, set[str]]
    previous: date
    following: date


def period(view: str, anchor: date) -> tuple[date, date, date, date]:
    """(first day, last day, previous period's anchor, next period's anchor) of the week (from
    Monday) or the month that holds `anchor`."""
    anchor = min(max(anchor, FIRST_DAY), LAST_DAY)
    if view == "day":
        return anchor, anchor, anchor - timedelta(days=1), anchor + timedelta(days=1)
    if view == "month":
        first = anchor.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return first, following - timedelta(days=1), (first - timedelta(days=1)).replace(day=1), following
    first = anchor - timedelta(days=anchor.weekday())
    return first, first + timedelta(days=6), first - timedelta(days=7), first + timedelta(days=7)


def grid_days(view: str, first: date, last: date) -> tuple[date, date]:
    """The days a view shows: the week, or the month padded to whole weeks (Monday to Sunday)."""
    if view != "month":
        return first, last
    return first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday())


def build(view: str, anchor: date, zone: ZoneInfo, filters: Filters = Filters(), user_id: int | None = None,
          ) -> Agenda:
    """The agenda of one week or month: each day with the changes whose window touches it."""
    first, last, previous, following = period(view, anchor)
    shown_first, shown_last = grid_days(view, first, last)
    start = datetime.combine(shown_first, time.min, zone)
    end = datetime.combine(shown_last + timedelta(days=1), time.min, zone)
    changes = visible_changes(start, end, filters, user_id)
    days = [Day(shown_first + timedelta(days=n)) for n in range((shown_last - shown_first).days + 1)]
    for day in days:
        day.in_period = first <= day.day <= last
    touching: list[list[Local]] = [[] for _ in days]
    for change in changes:
        local = Local.of(change, zone)
        for index in range(max(0, (local.opens - shown_first).days),
                           min(len(days), (local.closes - shown_first).days + 1)):
            touching[index].append(local)
    limit = MONTH_CELL if view == "month" else None
    shown: dict[int, Block] = {}
    for day, windows in zip(days, touching):
        day.entries = [entry_on(day.day, local) for local in windows[:limit]]
        day.more = len(windows) - len(day.entries)
        if view == "week":
            placed, day.overflows = lay_out(day.entries)
            day.entries = [replace(p.item, lane=p.lane, lanes=p.lanes) for p in placed]
        shown.update((entry.change.id, entry.change) for entry in day.entries)
    openings = [opening for window in windows_for(current_org_id(), filters.company_id,
                                                  every_company=not filters.company_id)
                for opening in occurrences(window, start, end)]
    _add_bands(days, openings, zone)
    # Unfiltered (finished ones shown or not: they occupy nothing), the visible changes hold every occupying
    # window of the grid: their implementers' other windows in it too.
    read = None if replace(filters, done=False).args() else Period(changes, start, end)
    conflicts = conflict_kinds(current_org_id(), list(shown.values()), read)
    blackouts = [opening for opening in openings if opening.window.kind == "blackout"]
    for change in shown.values():
        if change.state in OCCUPYING_STATES and _in_blackout(change, blackouts):
            conflicts.setdefault(change.id, set()).add("blackout")
    return Agenda(view, first, last, days, conflicts, previous, following)


@dataclass
class Block(Named):
    """What the calendar shows of a change: read as plain rows, not whole changes, since a month
    holds a thousand of them at scale (and not frozen: a frozen dataclass is several times slower
    to build)."""

    id: int
    number: int
    title: str
    state: str
    company_id: int | None
    implementer_id: int | None
    window_start: datetime
    window_end: datetime
    company_name: str
    implementer_name: str


def visible_changes(start: datetime, end: datetime, filters: Filters, user_id: int | None) -> list[Block]:
    """The changes whose window overlaps `start`–`end`, found by one short range of the window index."""
    stmt = (select(Change.id, Change.number, Change.title, Change.state, Change.company_id, Change.implementer_id,
                   Change.window_start, Change.window_end, Company.name, User.display_name)
            .outerjoin(Company, Company.id == Change.company_id).outerjoin(User, User.id == Change.implementer_id)
            .where(Change.organisation_id == current_org_id(), Change.window_overlaps(start, end))
            .order_by(Change.window_start, Change.id))
    if filters.company_id:
        stmt = stmt.where(Change.company_id == filters.company_id)
    if filters.state:
        stmt = stmt.where(Change.state == filters.state, Change.state != "cancelled")
    else:
        stmt = stmt.where(Change.state.in_(OPEN_STATES + FINISHED_STATES if filters.done else OPEN_STATES))
    if filters.implementer_id:
        stmt = stmt.where(Change.implementer_id == filters.implementer_id)
    if filters.mine and user_id is not None:
        stmt = stmt.where(or_(Change.implementer_id == user_id, Change.created_by_id == user_id,
                              Change.technical_approver_id == user_id, Change.operational_approver_id == user_id))
    return [Block(*row[:8], row[8] or "", row[9] or "") for row in db.session.execute(stmt)]


WHEN = "%A %-d %B %H:%M"


class Local(NamedTuple):
    """A change with its window in the viewer's timezone, converted once however many days it touches:
    from `start` on `opens` to `end`, the last day it touches being `closes` (a window ending at
    midnight does not touch the next day)."""

    change: Block
    start: datetime
    end: datetime
    opens: date
    closes: date

    @classmethod
    def of(cls, change: Block, zone: ZoneInfo) -> Local:
        start, end = change.window_start.astimezone(zone), change.window_end.astimezone(zone)
        return cls(change, start, end, start.date(), (end - timedelta(microseconds=1)).date())


def entry_on(day: date, local: Local) -> Entry:
    """How a change's window reads on `day` (a day the window touches)."""
    change, start, end, opens, closes = local
    return Entry(change, *span_label(day, start, end, opens, closes), *_place(day, start, end))


def span_label(day: date, start: datetime, end: datetime, opens: date, closes: date) -> tuple[str, str]:
    """(label, note) of a window (a change's or a blackout's) on `day`, one of the days it touches.

    Within one day it reads "09:00–11:00". Crossing midnight, the day it starts reads "from 22:00"
    ("all day" from midnight), a later day "until 00:30" ("all day" in between or up to midnight): its time on
    that day, as Outlook shows it; `note` says when it started and ends, for the title and for
    screen readers.
    """
    if opens == closes:
        return f"{_clock(start)}–{_clock(end)}", ""
    started, ends = f"Started {start.strftime(WHEN)}", f"Ends {end.strftime(WHEN)}"
    if day == opens:
        return ("all day" if (start.hour, start.minute) == (0, 0) else f"from {_clock(start)}"), ends
    if day == closes and end.date() == day:
        return f"until {_clock(end)}", started
    return "all day", f"{started}, ends {end.strftime(WHEN)}"


def _clock(moment: datetime) -> str:
    """HH:MM, without strftime (a week formats a thousand of these)."""
    return f"{moment.hour:02d}:{moment.minute:02d}"


def _place(day: date, start: datetime, end: datetime) -> tuple[int, int]:
    """The whole hours of `day` (wall clock) that `start`–`end` (local) covers: (first, count)."""
    first = start.hour if start.date() == day else 0
    if end.date() == day:
        last = max(first + 1, ceil(end.hour + end.minute / 60))
    else:
        last = 24
    return first, min(24, last) - first


def _in_blackout(change: Block, blackouts: list[Occurrence]) -> bool:
    return any(o.window.company_id in (None, change.company_id) and o.overlaps(change.window_start, change.window_end)
               for o in blackouts)


def _add_bands(days: list[Day], openings: list[Occurrence], zone: ZoneInfo) -> None:
    for opening in openings:
        window = opening.window
        local_start, local_end = opening.start.astimezone(zone), opening.end.astimezone(zone)
        opens, closes = local_start.date(), (local_end - timedelta(microseconds=1)).date()
        name = f"{'Blackout' if window.kind == 'blackout' else 'Maintenance'}: {window.name}"
        if window.company is not None:
            name += f" ({window.company.name})"
        for day in days:
            if opens <= day.day <= closes:
                label, note = span_label(day.day, local_start, local_end, opens, closes)
                day.bands.append(Band(window, f"{name}, {label}", note, *_place(day.day, local_start, local_end)))
