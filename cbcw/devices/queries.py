"""Read-side queries for devices, the device change report and the @ autocomplete, each scoped
to the current organisation and loading what its page shows up front."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from cbcw.changes.models import Change, ChangeDevice
from cbcw.devices.models import Device, DeviceType
from cbcw.extensions import db
from cbcw.organisations.models import Company
from cbcw.tenancy import current_org_id, scoped

MENTION_SUGGESTIONS = 8


def filtered_devices(q: str = "", company_id: int | None = None, type_id: int | None = None,
                     active: str = "") -> Select:
    """Devices matching the list filters, by company then hostname."""
    stmt = scoped(Device).options(joinedload(Device.company), joinedload(Device.device_type))
    if company_id:
        stmt = stmt.where(Device.company_id == company_id)
    if type_id:
        stmt = stmt.where(Device.device_type_id == type_id)
    if active in ("yes", "no"):
        stmt = stmt.where(Device.active.is_(active == "yes"))
    q = (q or "").strip().lower()
    if q:
        stmt = stmt.where(or_(func.lower(Device.hostname).contains(q, autoescape=True),
                              func.lower(Device.external_name).contains(q, autoescape=True)))
    return stmt.outerjoin(Device.company).order_by(Company.name, Device.hostname, Device.id)


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


def mention_suggestions(prefix: str, company_id: int | None) -> list[Device]:
    """Active devices whose hostname starts with `prefix`, the change's company first."""
    prefix = prefix.strip().lower()
    stmt = scoped(Device).where(Device.active.is_(True)).options(joinedload(Device.company))
    if prefix:
        stmt = stmt.where(func.substr(func.lower(Device.hostname), 1, len(prefix)) == prefix)
    same_company = case((Device.company_id == (company_id or -1), 0), else_=1)
    return list(db.session.scalars(stmt.order_by(same_company, Device.hostname).limit(MENTION_SUGGESTIONS)))


def companies() -> list[Company]:
    return list(db.session.scalars(scoped(Company).order_by(Company.name)))


def device_types() -> list[DeviceType]:
    return list(db.session.scalars(scoped(DeviceType).order_by(DeviceType.name)))


def referenced_devices() -> list[Device]:
    """Devices some change references: the report's device filter (never every synced device)."""
    referenced = select(ChangeDevice.device_id).where(ChangeDevice.organisation_id == current_org_id())
    return list(db.session.scalars(scoped(Device).where(Device.id.in_(referenced)).order_by(Device.hostname, Device.id)))
