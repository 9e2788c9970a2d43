"""Read-side queries for the change pages, every one scoped to the current organisation.

Each query loads what its page shows (`joinedload` for one row, `selectinload` for
collections), so a page sends the same number of statements whatever the data size
(tests/changes/test_statement_counts.py).
"""
import re

from flask import abort
from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from cbcw.accounts import delegation
from cbcw.accounts.models import User
from cbcw.changes import policy, sorting
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
    selectinload(Change.approvals).options(joinedload(Approval.approver), joinedload(Approval.decided_by)),
)
# The overview also lists the devices with their type and company.
_OVERVIEW_LOADS = (
    selectinload(Change.devices).joinedload(ChangeDevice.device).options(
        joinedload(Device.device_type), joinedload(Device.company)
    ),
)

MAX_SEARCH_WORDS = 10
MAX_PAGE = 100_000  # keeps OFFSET far inside 64 bits whatever ?page= says

# "CHG-000012", "chg-12", "CHG 12" or a bare "12" all mean change number 12.
NUMBER_RE = re.compile(r"^\s*(?:chg[-\s]?)?0*(\d{1,9})\s*$", re.IGNORECASE)


def parse_number(query: str) -> int | None:
    match = NUMBER_RE.match(query or "")
    return int(match.group(1)) if match else None


def filtered_changes(
    user: User, q: str = "", state: str = "", company_id: int | None = None, mine: str = "",
    sort: str | None = None,
) -> Select:
    """Changes matching the list filters, in `sort` order (`cbcw.changes.sorting`; by default
    most recently updated first).

    `q` matches changes whose title, number or description contains every word (in any order);
    `mine` is a PRODUCT §2.6 quick filter ("approval", "assigned" or "requested") for `user`.
    """
    stmt = scoped(Change)
    if state in STATES:
        stmt = stmt.where(Change.state == state)
    if company_id:
        stmt = stmt.where(Change.company_id == company_id)
    if mine in MY_WORK:
        stmt = stmt.where(MY_WORK[mine](user))
    stmt = stmt.where(*_search_terms(q))
    return sorting.apply(stmt.options(joinedload(Change.company), joinedload(Change.implementer)), sort)


def change_for_detail(change_id: int, tab: str) -> Change:
    """The change with what its detail page `tab` shows, or a 404."""
    loads = _DETAIL_LOADS + (_OVERVIEW_LOADS if tab == "overview" else ())
    change = db.session.scalar(scoped(Change).where(Change.id == change_id).options(*loads))
    if change is None:
        abort(404)
    return change


def _search_terms(q: str) -> list[ColumnElement[bool]]:
    """One condition per word: the word is in the title or description, or is the change number."""
    terms = []
    for word in (q or "").split()[:MAX_SEARCH_WORDS]:
        pattern = f"%{_escape_like(word)}%"
        matches = [Change.title.ilike(pattern, escape="\\"), Change.description.ilike(pattern, escape="\\")]
        number = parse_number(word)
        if number is not None:
            matches.append(Change.number == number)
        terms.append(or_(*matches))
    number = parse_number(q)  # "CHG 12" is two words but one number
    if number is not None and len(terms) > 1:
        terms = [or_(Change.number == number, and_(*terms))]
    return terms


def _undecided(kind: str, user_id: int) -> ColumnElement[bool]:
    """The user has not given the `kind` decision in the change's current round."""
    return ~exists().where(
        Approval.change_id == Change.id, Approval.round == Change.approval_round,
        Approval.kind == kind, Approval.approver_id == user_id,
    )


def awaiting_decision_by(user: User) -> ColumnElement[bool]:
    """Changes pending approval on which `user` may still decide (the rules of policy.decision_kinds):
    as the named technical or operational approver, as an active vCAB member when vCAB is required,
    as an ECAB member on an emergency change, or as an absent approver's delegate; never on a change
    the user requested, unless the organisation allows self-approval (small team; never for ECAB).
    """
    if not user.active or user.role == "viewer":
        return false()
    by_name = Change.change_type != "emergency"  # an emergency change is the ECAB's alone (PRODUCT §2.7)
    may_decide = [
        and_(by_name, Change.technical_approver_id == user.id, _undecided("technical", user.id)),
        and_(by_name, Change.operational_approver_id == user.id, _undecided("operational", user.id)),
    ]
    if user.vcab_member:
        may_decide.append(and_(Change.requires_vcab.is_(True), _undecided("vcab", user.id)))
    if user.ecab_member:  # one ECAB approval decides: once given, the change is no longer pending
        may_decide.append(and_(Change.change_type == "emergency", Change.created_by_id != user.id,
                               _undecided("ecab", user.id)))
    may_decide.append(_offered_as_delegate(user))
    pending = [Change.state == "pending_approval", or_(*may_decide)]
    if not policy.small_team(user.organisation_id):
        pending.append(Change.created_by_id != user.id)
    return and_(*pending)


def _offered_as_delegate(user: User) -> ColumnElement[bool]:
    """Changes whose technical or operational approver is away with `user` as their delegate and
    has not decided, except those the rules keep from a delegate (policy._require_fair_delegate)."""
    away = delegation.absent_for(user.id)
    fair = and_(Change.created_by_id != user.id, Change.technical_approver_id != user.id,
                Change.operational_approver_id != user.id, ~exists().where(  # one kind of decision each
                    Approval.change_id == Change.id, Approval.round == Change.approval_round,
                    or_(Approval.approver_id == user.id, Approval.decided_by_id == user.id)))
    return and_(fair, or_(*(
        and_(approver.in_(away), approver != Change.created_by_id, ~exists().where(
            Approval.change_id == Change.id, Approval.round == Change.approval_round,
            Approval.kind == kind, Approval.approver_id == approver,
        ))
        for kind, approver in (("technical", Change.technical_approver_id),
                               ("operational", Change.operational_approver_id))
    )))


MY_WORK = {
    "approval": awaiting_decision_by,
    "assigned": lambda user: Change.implementer_id == user.id,
    "requested": lambda user: Change.created_by_id == user.id,
}


def awaiting_approval_count(user: User) -> int:
    """How many of the organisation's changes wait on this user's decision (for the navigation)."""
    if not user.is_authenticated or user.role == "viewer":
        return 0
    stmt = scoped(Change, user.organisation_id).where(awaiting_decision_by(user))
    return db.session.scalar(select(func.count()).select_from(stmt.subquery()))


def page_of(stmt: Select, page: int, per_page: int):
    """One page of results; a page past the end (however large) shows the last page."""
    pagination = db.paginate(stmt, page=min(page, MAX_PAGE), per_page=per_page, error_out=False)
    if pagination.pages and pagination.page > pagination.pages:
        pagination = db.paginate(stmt, page=pagination.pages, per_page=per_page, error_out=False)
    return pagination


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
