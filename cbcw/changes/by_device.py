"""Changes seen from a device (PRODUCT §2.4): the changes on a device's page and the rows of the
device change report, each scoped to the current organisation and loading what its page shows."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import contains_eager, joinedload

from cbcw.changes.models import Change, ChangeDevice
from cbcw.devices.models import Device
from cbcw.extensions import db
from cbcw.tenancy import current_org_id, scoped


def device_changes(device: Device) -> list[Change]:
    """The changes that reference the device, newest first."""
    stmt = (scoped(Change).join(ChangeDevice, ChangeDevice.change_id == Change.id)
            .where(ChangeDevice.device_id == device.id)
            .options(joinedload(Change.company), joinedload(Change.implementer))
            .order_by(Change.created_at.desc(), Change.id.desc()))
    return list(db.session.scalars(stmt).unique())


def report_rows(company_id: int | None = None, device_id: int | None = None, type_id: int | None = None,
                start: datetime | None = None, end: datetime | None = None) -> Select:
    """The device change report's rows (one ChangeDevice per change × device, with both loaded),
    dated by the change's window start (or its creation when unscheduled), newest first;
    `end` is exclusive."""
    when = func.coalesce(Change.window_start, Change.created_at)
    stmt = (scoped(ChangeDevice)
            .join(ChangeDevice.change).join(ChangeDevice.device)
            .where(Change.organisation_id == current_org_id(), Device.organisation_id == current_org_id())
            .options(contains_eager(ChangeDevice.change).joinedload(Change.implementer),
                     contains_eager(ChangeDevice.device).joinedload(Device.company),
                     contains_eager(ChangeDevice.device).joinedload(Device.device_type)))
    if company_id:
        stmt = stmt.where(Device.company_id == company_id)
    if device_id:
        stmt = stmt.where(Device.id == device_id)
    if type_id:
        stmt = stmt.where(Device.device_type_id == type_id)
    if start:
        stmt = stmt.where(when >= start)
    if end:
        stmt = stmt.where(when < end)
    return stmt.order_by(when.desc(), Change.id.desc(), Device.hostname)


def local_day_bounds(first: date | None, last: date | None, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """The UTC instants from the start of `first` to the end of `last`, as days in `zone`.

    Raises OverflowError for days at the very edge of the calendar (year 1 or 9999)."""
    start = datetime.combine(first, time.min, zone).astimezone(timezone.utc) if first else None
    end = datetime.combine(last + timedelta(days=1), time.min, zone).astimezone(timezone.utc) if last else None
    return start, end


def referenced_devices() -> list[Device]:
    """Devices some change references: the report's device filter (never every synced device)."""
    referenced = select(ChangeDevice.device_id).where(ChangeDevice.organisation_id == current_org_id())
    return list(db.session.scalars(scoped(Device).where(Device.id.in_(referenced)).order_by(Device.hostname, Device.id)))
