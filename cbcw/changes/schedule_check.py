"""Everything a proposed implementation window meets in ChangeBreeze (PRODUCT §2.5), asked before a
schedule is saved and shown on the change: other changes sharing a device or the implementer,
blackouts (the change's company's and its devices' companies') and the company's maintenance windows. The implementer's bookings in an integration's
people schedule (ConnectWise) are not asked here: saving never waits on another system (§3.8);
the schedule form shows them as it is filled in (the `changes.schedule_check` view)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from cbcw.changes.conflicts import Conflict, conflicts_for
from cbcw.changes.models import Change, ChangeDevice
from cbcw.devices.models import Device
from cbcw.extensions import db
from cbcw.windows.checks import WindowCheck, check, windows_for
from cbcw.windows.models import ScheduleWindow

# Blackouts refuse these change types; an emergency change may override with a reason.
BLACKOUT_BOUND = ("standard", "normal")


@dataclass
class ScheduleCheck:
    conflicts: list[Conflict] = field(default_factory=list)
    windows: WindowCheck = field(default_factory=WindowCheck)

    @property
    def needs_confirmation(self) -> bool:
        """A device or implementer conflict: "Schedule anyway" keeps it."""
        return bool(self.conflicts)

    def kept(self) -> list[str]:
        """The conflicts a "Schedule anyway" keeps, as the timeline records them."""
        kept = []
        for conflict in self.conflicts:
            what = [f"device {', '.join('@' + d.hostname for d in conflict.devices)}"] if conflict.devices else []
            what += ["the same implementer"] if conflict.same_implementer else []
            kept.append(f"{conflict.other.reference} ({' and '.join(what)})")
        return kept


def windows_for_change(change: Change) -> list[ScheduleWindow]:
    """The windows that bind `change`: the organisation's, its company's, and the blackouts of every
    company whose devices it touches (a client's freeze holds whoever's change reaches its devices)."""
    device_companies = set(db.session.scalars(
        select(Device.company_id).join(ChangeDevice, ChangeDevice.device_id == Device.id)
        .where(ChangeDevice.change_id == change.id, Device.company_id.is_not(None)))) if change.id else set()
    return windows_for(change.organisation_id, change.company_id, blackouts_of=device_companies)


def window_check(change: Change, start: datetime, end: datetime) -> WindowCheck:
    return check(windows_for_change(change), change.company_id, start, end)


def check_schedule(change: Change, start: datetime, end: datetime, implementer_id: int | None) -> ScheduleCheck:
    return ScheduleCheck(conflicts_for(change, start, end, implementer_id), window_check(change, start, end))


def blackout_refusal(change: Change, found: WindowCheck, override: str) -> str | None:
    """Why this window may not be saved for this change, or None."""
    if not found.blackouts:
        return None
    if change.change_type in BLACKOUT_BOUND:
        return (f"This window falls in the blackout {found.blackout_names}: a {change.change_type} change "
                "cannot be scheduled into it. Choose another window.")
    if not override.strip():
        return (f"This window falls in the blackout {found.blackout_names}: give the reason this emergency "
                "change must override it.")
    return None
