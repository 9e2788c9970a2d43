""""Suggest a window" (PRODUCT §2.5): the next free slots of a given length within 90 days, inside
the company's maintenance windows (anywhere when it has none), outside blackouts, and clear of
the change's devices' and the implementer's other scheduled work, and of the implementer's
bookings in an integration's people schedule when it can be read.

Everything is read once for the whole horizon (a fixed number of statements, one people-schedule
request), then candidates are tried in memory: every half hour from now, or from each
maintenance opening. At most one slot per day of the user's, so the choices differ.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from cbcw.changes.conflicts import OCCUPYING_STATES
from cbcw.changes.models import Change, ChangeDevice
from cbcw.changes.schedule_check import windows_for_change
from cbcw.extensions import db
from cbcw.integrations import registry
from cbcw.windows.recurrence import occurrences

HORIZON = timedelta(days=90)
STEP = timedelta(minutes=30)
SLOTS = 5


@dataclass
class Suggestions:
    slots: list[tuple[datetime, datetime]] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)  # people schedules that could not be read


def suggest(change: Change, duration: timedelta, implementer_id: int | None, now: datetime, zone: ZoneInfo,
            count: int = SLOTS) -> Suggestions:
    horizon_end = now + HORIZON
    windows = windows_for_change(change)
    blackouts = [(o.start, o.end) for w in windows if w.kind == "blackout" for o in occurrences(w, now, horizon_end)]
    maintenance = _merged([(o.start, o.end) for w in windows if w.kind == "maintenance"
                           and change.company_id is not None and w.company_id == change.company_id
                           for o in occurrences(w, now, horizon_end)])
    taken = blackouts + _busy_changes(change, implementer_id, now, horizon_end)
    result = Suggestions()
    if implementer_id is not None:
        answer = registry.current().busy_elsewhere(change.organisation_id, implementer_id, now, horizon_end,
                                                   change.linked_ticket_id)
        taken += [(entry.start, entry.end) for _label, entry in answer.entries]
        result.unchecked = answer.unchecked
    taken.sort()
    days_used = set()
    for start in _candidates(now, horizon_end, maintenance, duration):
        end = start + duration
        day = start.astimezone(zone).date()
        if day in days_used or any(s < end and start < e for s, e in taken):
            continue
        result.slots.append((start, end))
        days_used.add(day)
        if len(result.slots) == count:
            break
    return result


def _candidates(now: datetime, horizon_end: datetime, maintenance: list, duration: timedelta):
    """Starts to try, in order: each half hour inside a maintenance opening that still fits, or
    (no maintenance windows) each half hour from now."""
    first = _next_half_hour(now)
    if not maintenance:
        start = first
        while start + duration <= horizon_end:
            yield start
            start += STEP
        return
    for opens, closes in maintenance:
        start = max(opens, first)
        while start + duration <= closes:
            yield start
            start += STEP


def _next_half_hour(moment: datetime) -> datetime:
    moment = moment.astimezone(timezone.utc)
    rounded = moment.replace(minute=0, second=0, microsecond=0)
    while rounded < moment:
        rounded += STEP
    return rounded


def _merged(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _busy_changes(change: Change, implementer_id: int | None, start: datetime, end: datetime) -> list:
    """The windows of other scheduled or in-progress changes sharing a device or the implementer."""
    devices = select(ChangeDevice.device_id).where(ChangeDevice.change_id == change.id)
    sharing = Change.id.in_(select(ChangeDevice.change_id).where(ChangeDevice.device_id.in_(devices)))
    who = [sharing] + ([Change.implementer_id == implementer_id] if implementer_id is not None else [])
    return list(db.session.execute(
        select(Change.window_start, Change.window_end)
        .where(Change.organisation_id == change.organisation_id, Change.id != change.id,
               Change.state.in_(OCCUPYING_STATES), Change.window_start < end, Change.window_end > start, or_(*who))
    ).tuples())
