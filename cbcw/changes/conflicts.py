"""Schedule conflicts (PRODUCT §2.5): two scheduled (or in-progress) changes whose implementation
windows overlap and that reference the same device, or that have the same implementer. A read
model only: it never changes state."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from cbcw.changes.models import Change, ChangeDevice
from cbcw.devices.models import Device
from cbcw.extensions import db

# States whose window is taken: planned, or being carried out now.
OCCUPYING_STATES = ("scheduled", "in_progress")
DEVICE, IMPLEMENTER = "device", "implementer"


@dataclass
class Conflict:
    """Another change that overlaps in time: the devices both reference, and whether it has the
    same implementer."""

    other: Change
    devices: list[Device] = field(default_factory=list)
    same_implementer: bool = False


def conflicts_for(change: Change, start: datetime | None = None, end: datetime | None = None,
                  implementer_id: int | None = None) -> list[Conflict]:
    """The changes that conflict with `change` in its window, or in the proposed `start`–`end` with
    the proposed implementer (scheduling asks before it saves). Windows touching end to start do
    not overlap."""
    start, end = start or change.window_start, end or change.window_end
    implementer_id = implementer_id or change.implementer_id
    if change.id is None or start is None or end is None:
        return []
    overlapping = (Change.organisation_id == change.organisation_id, Change.id != change.id,
                   Change.state.in_(OCCUPYING_STATES), Change.window_overlaps(start, end))
    own_devices = select(ChangeDevice.device_id).where(ChangeDevice.change_id == change.id)
    theirs = aliased(ChangeDevice)
    rows = db.session.execute(
        select(Change, Device)
        .join(theirs, theirs.change_id == Change.id).join(Device, Device.id == theirs.device_id)
        .where(*overlapping, theirs.device_id.in_(own_devices))
        .order_by(Change.window_start, Change.id, Device.hostname)
    )
    found: dict[int, Conflict] = {}
    for other, device in rows:
        found.setdefault(other.id, Conflict(other)).devices.append(device)
    if implementer_id is not None:
        for other in db.session.scalars(select(Change).where(*overlapping, Change.implementer_id == implementer_id)
                                        .order_by(Change.window_start, Change.id)):
            found.setdefault(other.id, Conflict(other)).same_implementer = True
    return sorted(found.values(), key=lambda c: (c.other.window_start, c.other.id))


@dataclass(frozen=True)
class Period:
    """Every change not cancelled whose window overlaps `start`–`end`, as a caller already read them
    (the calendar's grid): their windows need not be read again."""

    changes: Sequence
    start: datetime
    end: datetime


def conflict_kinds(organisation_id: int, changes: Sequence, read: Period | None = None) -> dict[int, set[str]]:
    """Which of these changes occupy their window and conflict with another ({id: {"device",
    "implementer"}}), in at most three statements whatever their number, each led by an index:
    every link of the devices these changes share with another change, the windows of those other
    changes (when there are any), and those of these implementers' changes, both occupying and
    overlapping the span of the given windows (only those outside the period `read`, when the
    caller has read every window in it). The overlaps are then found here, in one pass over each
    device's and each implementer's windows."""
    mine = [c for c in changes if c.state in OCCUPYING_STATES and c.window_start and c.window_end]
    if not mine:
        return {}
    ids = [c.id for c in mine]
    span_start, span_end = min(c.window_start for c in mine), max(c.window_end for c in mine)
    # A device linked to one change only conflicts with nothing.
    shared_devices = (select(ChangeDevice.device_id)
                      .where(ChangeDevice.device_id.in_(select(ChangeDevice.device_id)
                                                        .where(ChangeDevice.change_id.in_(ids))))
                      .group_by(ChangeDevice.device_id).having(func.count() > 1))
    links = db.session.execute(select(ChangeDevice.device_id, ChangeDevice.change_id)
                               .where(ChangeDevice.device_id.in_(shared_devices))).all()
    wanted = set(ids)
    windows = {c.id: (c.window_start, c.window_end) for c in mine}
    others = {change_id for _, change_id in links} - set(windows)
    if others:  # by their ids alone: a condition on the window would lead SQLite through the window index
        windows.update((change_id, (start, end)) for change_id, start, end in db.session.execute(
            select(Change.id, Change.window_start, Change.window_end)
            .where(Change.id.in_(others), Change.organisation_id == organisation_id,
                   Change.state.in_(OCCUPYING_STATES))) if start is not None and end is not None)
    device_rows = [(device_id, change_id, *windows[change_id]) for device_id, change_id in links
                   if change_id in windows]
    implementers = {c.implementer_id for c in mine if c.implementer_id is not None}
    people = (select(Change.implementer_id, Change.id, Change.window_start, Change.window_end)
              .where(Change.organisation_id == organisation_id, Change.state.in_(OCCUPYING_STATES),
                     Change.implementer_id.in_(implementers), Change.window_overlaps(span_start, span_end)))
    if read is None:
        people_rows = db.session.execute(people).all()
    else:  # the windows in the period are known: read only those before or after it
        people_rows = [(c.implementer_id, c.id, c.window_start, c.window_end) for c in read.changes
                       if c.state in OCCUPYING_STATES and c.implementer_id in implementers]
        people_rows += db.session.execute(
            people.where(or_(Change.window_end <= read.start, Change.window_start >= read.end))).all()
    found: dict[int, set[str]] = defaultdict(set)
    for kind, rows in ((DEVICE, device_rows), (IMPLEMENTER, people_rows)):
        for change_id in _overlapping(rows) & wanted:
            found[change_id].add(kind)
    return dict(found)


def _overlapping(rows) -> set[int]:
    """The changes whose window overlaps another change's with the same key (device, implementer).

    Each key's windows in order of start: a window overlaps an earlier one exactly when it starts
    before the latest end so far, and then overlaps the window with that end too. Every window
    overlapping another is found this way (one of them starts first), in one pass after sorting."""
    by_key: dict[int, dict[int, tuple[datetime, datetime]]] = defaultdict(dict)
    for key, change_id, start, end in rows:
        by_key[key][change_id] = (start, end)
    found: set[int] = set()
    for windows in by_key.values():
        latest_end, latest_id = None, None
        for start, end, change_id in sorted((start, end, change_id) for change_id, (start, end) in windows.items()):
            if latest_end is not None and start < latest_end:
                found.update((change_id, latest_id))
            if latest_end is None or end > latest_end:
                latest_end, latest_id = end, change_id
    return found
