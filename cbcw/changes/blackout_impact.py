"""The scheduled work a blackout catches (PRODUCT §2.5): a freeze added or moved over changes
already scheduled does not refuse them after the fact, but `/windows` names them next to it, so
whoever set the freeze sees whom to tell. A change is caught when it is scheduled or in progress,
has not ended, belongs to the blackout's company or touches one of its devices (the whole
organisation's blackout catches every change), and its window meets an opening of the blackout.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, or_, select

from cbcw.changes.conflicts import OCCUPYING_STATES
from cbcw.changes.models import Change, ChangeDevice
from cbcw.db import utcnow
from cbcw.devices.models import Device
from cbcw.extensions import db
from cbcw.windows.models import ScheduleWindow
from cbcw.windows.recurrence import occurrences


def caught_by(window: ScheduleWindow, now: datetime | None = None) -> list[Change]:
    """The scheduled changes (from now on) whose window falls in an opening of this blackout."""
    if window.kind != "blackout" or not window.active:
        return []
    now = now or utcnow()
    stmt = (select(Change).where(Change.organisation_id == window.organisation_id,
                                 Change.state.in_(OCCUPYING_STATES), Change.window_end > now)
            .order_by(Change.window_start, Change.id))
    if window.company_id is not None:
        touches_its_device = exists().where(ChangeDevice.change_id == Change.id, Device.id == ChangeDevice.device_id,
                                            Device.company_id == window.company_id)
        stmt = stmt.where(or_(Change.company_id == window.company_id, touches_its_device))
    return [change for change in db.session.scalars(stmt)
            if occurrences(window, change.window_start, change.window_end)]
