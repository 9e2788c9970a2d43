"""Read-side queries for the device list, its filters and the @ autocomplete, each scoped to the
current organisation and loading what its page shows up front. (A device's changes are read by
`cbcw/changes/by_device.py`.)"""
from __future__ import annotations

from sqlalchemy import Select, case, func, or_
from sqlalchemy.orm import joinedload

from cbcw.devices.models import Device, DeviceType
from cbcw.extensions import db
from cbcw.organisations.models import Company
from cbcw.tenancy import scoped

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
