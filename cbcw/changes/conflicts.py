"""Schedule conflicts (PRODUCT §2.5): two scheduled (or in-progress) changes whose implementation
windows overlap and that reference the same device. A read model only: it never changes state."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable

from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from cbcw.changes.models import Change, ChangeDevice
from cbcw.devices.models import Device
from cbcw.extensions import db

# States whose window is taken: planned, or being carried out now.
OCCUPYING_STATES = ("scheduled", "in_progress")


@dataclass
class Conflict:
    """Another change that overlaps in time and the devices both reference."""

    other: Change
    devices: list[Device] = field(default_factory=list)


def conflicts_for(change: Change, start: datetime | None = None, end: datetime | None = None) -> list[Conflict]:
    """The changes that conflict with `change` in its window, or in the proposed `start`–`end`
    (scheduling asks before it saves). Windows touching end to start do not overlap."""
    start, end = start or change.window_start, end or change.window_end
    if change.id is None or start is None or end is None:
        return []
    own_devices = select(ChangeDevice.device_id).where(ChangeDevice.change_id == change.id)
    theirs = aliased(ChangeDevice)
    rows = db.session.execute(
        select(Change, Device)
        .join(theirs, theirs.change_id == Change.id).join(Device, Device.id == theirs.device_id)
        .where(Change.organisation_id == change.organisation_id, Change.id != change.id,
               Change.state.in_(OCCUPYING_STATES), Change.window_start < end, Change.window_end > start,
               theirs.device_id.in_(own_devices))
        .order_by(Change.window_start, Change.id, Device.hostname)
    )
    found: dict[int, Conflict] = {}
    for other, device in rows:
        found.setdefault(other.id, Conflict(other)).devices.append(device)
    return list(found.values())


def conflicting_ids(organisation_id: int, change_ids: Iterable[int]) -> set[int]:
    """Which of these changes are occupying their window and conflict with another, in one query."""
    ids = list(change_ids)
    if not ids:
        return set()
    mine, other = aliased(Change), aliased(Change)
    my_link, other_link = aliased(ChangeDevice), aliased(ChangeDevice)
    stmt = (select(mine.id).distinct()
            .join(my_link, my_link.change_id == mine.id)
            .join(other_link, and_(other_link.device_id == my_link.device_id, other_link.change_id != mine.id))
            .join(other, other.id == other_link.change_id)
            .where(mine.id.in_(ids), mine.organisation_id == organisation_id, other.organisation_id == organisation_id,
                   mine.state.in_(OCCUPYING_STATES), other.state.in_(OCCUPYING_STATES),
                   mine.window_start < other.window_end, other.window_start < mine.window_end))
    return set(db.session.scalars(stmt))
