"""When a window is open, in UTC: occurrences are computed on the window's own wall clock (its
IANA timezone, so "18:00–24:00" stays 18:00–24:00 across a daylight-saving change) and only then
converted to UTC.

A local time that does not exist (the hour skipped when clocks go forward) is read with the offset
in force before the change (PEP 495, fold=0): 01:30 on the London spring-forward night is
01:30 GMT, which the clock shows as 02:30 BST. A time that happens twice (the hour repeated in
autumn) is its first occurrence.
"""
from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cbcw.windows.models import ScheduleWindow

# A range longer than this is cut short: no page or check asks for more, and a hostile one
# (year 2 to 9998) must not walk millions of days.
MAX_DAYS = 400
FIRST, LAST = date(2, 1, 1), date(9998, 12, 1)


@dataclass(frozen=True)
class Occurrence:
    window: ScheduleWindow
    start: datetime  # UTC
    end: datetime  # UTC

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end


def zone_of(window: ScheduleWindow) -> ZoneInfo:
    try:
        return ZoneInfo(window.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def occurrences(window: ScheduleWindow, start: datetime, end: datetime) -> list[Occurrence]:
    """The window's openings that overlap `start`–`end` (aware datetimes), in order."""
    if end <= start:
        return []
    if end - start > timedelta(days=MAX_DAYS):
        end = start + timedelta(days=MAX_DAYS)
    zone = zone_of(window)
    if window.recurrence == "once":
        found = [_local_span(window.starts_local, window.ends_local, zone)] \
            if window.starts_local and window.ends_local else []
    else:
        found = [_daily(day, window, zone) for day in _days(start, end, zone) if _matches(window, day)]
    return [Occurrence(window, s, e) for s, e in found if s is not None and s < end and start < e]


def _days(start: datetime, end: datetime, zone: ZoneInfo):
    """Each local date from two days before `start` (an opening that began then may still run) to `end`."""
    first = max(_local_date(start, zone), FIRST + timedelta(days=2)) - timedelta(days=2)
    last = _local_date(end, zone)
    day = first
    while day <= min(last, LAST):
        yield day
        day += timedelta(days=1)


def _local_date(moment: datetime, zone: ZoneInfo) -> date:
    try:
        return moment.astimezone(zone).date()
    except (OverflowError, ValueError):
        return moment.date()


def _matches(window: ScheduleWindow, day: date) -> bool:
    if window.recurrence == "weekly":
        return str(day.weekday()) in (window.weekdays or "")
    if window.recurrence != "monthly":
        return False
    if window.monthly_rule == "day":
        # Day 31 in a 30-day month is its last day: "the 31st" means month-end to whoever set it.
        wanted = min(window.month_day or 1, monthrange(day.year, day.month)[1])
        return day.day == wanted
    business = [d for d in range(1, monthrange(day.year, day.month)[1] + 1)
                if date(day.year, day.month, d).weekday() < 5]
    return day.day == (business[0] if window.monthly_rule == "first_business_day" else business[-1])


def _daily(day: date, window: ScheduleWindow, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    opens, closes = window.start_time or time(0), window.end_time or time(0)
    end_day = day + timedelta(days=1) if closes <= opens else day
    return _local_span(datetime.combine(day, opens), datetime.combine(end_day, closes), zone)


def _local_span(start: datetime, end: datetime, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """Wall-clock start and end in `zone` as UTC; (None, None) beyond what UTC can hold."""
    try:
        return (start.replace(tzinfo=zone).astimezone(timezone.utc),
                end.replace(tzinfo=zone).astimezone(timezone.utc))
    except (OverflowError, ValueError):
        return None, None


def describe(window: ScheduleWindow) -> str:
    """"Weekdays Mon, Tue 22:00–02:00 (Europe/London)" and the like, for lists and messages."""
    hours = f"{_hhmm(window.start_time)}–{_hhmm(window.end_time, end=True)}"
    if window.recurrence == "once":
        when = (f"{window.starts_local:%d %b %Y %H:%M} – {window.ends_local:%d %b %Y %H:%M}"
                if window.starts_local and window.ends_local else "no dates")
    elif window.recurrence == "weekly":
        names = ", ".join(WEEKDAY_NAMES[int(d)] for d in sorted(window.weekdays or "") if d in "0123456")
        when = f"Every {names or 'no day'} {hours}"
    elif window.monthly_rule == "day":
        when = f"Monthly on day {window.month_day or 1} {hours}"
    else:
        when = f"Monthly on the {window.monthly_rule.replace('_', ' ')} {hours}"
    return f"{when} ({window.timezone})"


WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _hhmm(value: time | None, end: bool = False) -> str:
    value = value or time(0)
    return "24:00" if end and value == time(0) else f"{value:%H:%M}"
