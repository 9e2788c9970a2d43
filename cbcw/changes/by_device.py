"""Changes seen from a device (PRODUCT §2.4): the changes on a device's page and the rows of the
device change report, each scoped to the current organisation and loading what its page shows."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import aliased, joinedload

from cbcw.accounts.models import User
from cbcw.changes.models import Change, ChangeDevice
from cbcw.devices.models import Device, DeviceType
from cbcw.extensions import db
from cbcw.organisations.models import Company
from cbcw.tenancy import current_org_id, scoped


def device_changes(device: Device) -> list[Change]:
    """The changes that reference the device, newest first."""
    stmt = (scoped(Change).join(ChangeDevice, ChangeDevice.change_id == Change.id)
            .where(ChangeDevice.device_id == device.id)
            .options(joinedload(Change.company), joinedload(Change.implementer))
            .order_by(Change.created_at.desc(), Change.id.desc()))
    return list(db.session.scalars(stmt).unique())


def report_rows(company_id: int | None = None, hostname: str = "", type_id: int | None = None,
                start: datetime | None = None, end: datetime | None = None, exact: bool = False) -> Select:
    """The device change report's rows, one per change × device, as plain columns (what the table
    and the CSV show, no objects to build), dated by the change's window start (or its creation
    when unscheduled), newest first; `hostname` is part of the device's hostname (all of it when
    `exact`, either way regardless of case), `end` is exclusive.
    """
    org_id = current_org_id()
    implementer, company, device_type = aliased(User), aliased(Company), aliased(DeviceType)
    when = func.coalesce(Change.window_start, Change.created_at)
    stmt = (select(when.label("date"), ChangeDevice.change_id, ChangeDevice.device_id, Device.hostname,
                   device_type.name.label("device_type"), company.name.label("company"), Change.number, Change.title,
                   Change.state, Change.window_start, Change.window_end, implementer.display_name.label("implementer"))
            .select_from(ChangeDevice)
            .join(Change, and_(Change.id == ChangeDevice.change_id, Change.organisation_id == org_id))
            .join(Device, and_(Device.id == ChangeDevice.device_id, Device.organisation_id == org_id))
            # Joined by id alone: a device's company and type and a change's implementer are of its
            # organisation, and a join that reads nothing else is one a count can leave out.
            .outerjoin(device_type, device_type.id == Device.device_type_id)
            .outerjoin(company, company.id == Device.company_id)
            .outerjoin(implementer, implementer.id == Change.implementer_id)
            .where(ChangeDevice.organisation_id == org_id))
    if company_id:
        stmt = stmt.where(Device.company_id == company_id)
    if hostname.strip() and exact:
        stmt = stmt.where(func.lower(Device.hostname) == hostname.strip().lower())
    elif hostname.strip():
        stmt = stmt.where(func.lower(Device.hostname).contains(hostname.strip().lower(), autoescape=True))
    if type_id:
        stmt = stmt.where(Device.device_type_id == type_id)
    if start:
        stmt = stmt.where(when >= start)
    if end:
        stmt = stmt.where(when < end)
    return stmt.order_by(when.desc(), Change.id.desc(), Device.hostname, Device.id)


@dataclass(frozen=True)
class ReportPage:
    """One page of the report: its rows, and where it sits (what the pager macro reads)."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return -(-self.total // self.per_page)

    @property
    def past_the_end(self) -> bool:
        """Rows exist, but not on this page (a stale or hand-typed page number)."""
        return self.total > 0 and self.page > self.pages

    @property
    def has_prev(self) -> bool:
        return 1 < self.page <= self.pages

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def report_page(stmt: Select, page: int, per_page: int) -> ReportPage:
    """Rows `per_page` at a time, in two statements whatever the page or the data: a count, then the
    page's rows, found by sorting only their keys (the sort of every matching row is what a deep page
    costs). A page past the end reads no rows and says so."""
    total = db.session.scalar(stmt.with_only_columns(func.count(), maintain_column_froms=False).order_by(None))
    if not total or page > -(-total // per_page):
        return ReportPage([], page, per_page, total)
    keys = stmt.with_only_columns(ChangeDevice.id, maintain_column_froms=False)
    on_page = keys.limit(per_page).offset((page - 1) * per_page).scalar_subquery()
    return ReportPage(db.session.execute(stmt.where(ChangeDevice.id.in_(on_page))).all(), page, per_page, total)


def local_day_bounds(first: date | None, last: date | None, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """The UTC instants from the start of `first` to the end of `last`, as days in `zone`.

    Raises OverflowError for days at the very edge of the calendar (year 1 or 9999)."""
    start = datetime.combine(first, time.min, zone).astimezone(timezone.utc) if first else None
    end = datetime.combine(last + timedelta(days=1), time.min, zone).astimezone(timezone.utc) if last else None
    return start, end
