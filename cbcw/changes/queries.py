"""Read-side queries for the change pages, every one scoped to the current organisation.

Each query loads what its page shows (`joinedload` for one row, `selectinload` for
collections), so a page sends the same number of statements whatever the data size
(tests/changes/test_statement_counts.py).
"""
import re

from flask import abort
from sqlalchemy import Select, or_
from sqlalchemy.orm import joinedload, selectinload

from cbcw.accounts.models import User
from cbcw.changes.models import STATES, Approval, Change, ChangeDevice, TimelineEntry
from cbcw.devices.models import Device
from cbcw.extensions import db
from cbcw.organisations.models import Company
from cbcw.tenancy import scoped

# What every tab of the detail page shows: header, people and who may act (the current round).
_DETAIL_LOADS = (
    joinedload(Change.company),
    joinedload(Change.implementer),
    joinedload(Change.technical_approver),
    joinedload(Change.operational_approver),
    joinedload(Change.created_by),
    selectinload(Change.approvals).joinedload(Approval.approver),
)
# The overview also lists the devices with their type and company.
_OVERVIEW_LOADS = (
    selectinload(Change.devices).joinedload(ChangeDevice.device).options(
        joinedload(Device.device_type), joinedload(Device.company)
    ),
)

# "CHG-000012", "chg-12", "CHG 12" or a bare "12" all mean change number 12.
NUMBER_RE = re.compile(r"^\s*(?:chg[-\s]?)?0*(\d{1,9})\s*$", re.IGNORECASE)


def parse_number(query: str) -> int | None:
    match = NUMBER_RE.match(query or "")
    return int(match.group(1)) if match else None


def filtered_changes(q: str = "", state: str = "", company_id: int | None = None) -> Select:
    """Changes matching the list filters, most recently updated first."""
    stmt = scoped(Change)
    if state in STATES:
        stmt = stmt.where(Change.state == state)
    if company_id:
        stmt = stmt.where(Change.company_id == company_id)
    q = (q or "").strip()
    if q:
        pattern = f"%{_escape_like(q)}%"
        matches = [Change.title.ilike(pattern, escape="\\"), Change.description.ilike(pattern, escape="\\")]
        number = parse_number(q)
        if number is not None:
            matches.append(Change.number == number)
        stmt = stmt.where(or_(*matches))
    return stmt.options(joinedload(Change.company)).order_by(Change.updated_at.desc(), Change.id.desc())


def change_for_detail(change_id: int, tab: str) -> Change:
    """The change with what its detail page `tab` shows, or a 404."""
    loads = _DETAIL_LOADS + (_OVERVIEW_LOADS if tab == "overview" else ())
    change = db.session.scalar(scoped(Change).where(Change.id == change_id).options(*loads))
    if change is None:
        abort(404)
    return change


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def companies(include_id: int | None = None) -> list[Company]:
    """The organisation's active companies, plus an inactive one already chosen."""
    stmt = scoped(Company).where(or_(Company.active.is_(True), Company.id == (include_id or -1)))
    return list(db.session.scalars(stmt.order_by(Company.name)))


def assignable_users(include_ids: tuple[int | None, ...] = ()) -> list[User]:
    """Active non-viewer users (implementers and approvers), plus anyone already assigned."""
    chosen = [i for i in include_ids if i]
    stmt = scoped(User).where(
        or_(User.active.is_(True) & (User.role != "viewer"), User.id.in_(chosen))
    )
    return list(db.session.scalars(stmt.order_by(User.display_name)))


def timeline(change: Change) -> list[TimelineEntry]:
    """Every timeline entry of the change, newest first."""
    stmt = scoped(TimelineEntry).where(TimelineEntry.change_id == change.id).options(joinedload(TimelineEntry.actor))
    return list(db.session.scalars(stmt.order_by(TimelineEntry.created_at.desc(), TimelineEntry.id.desc())))
