"""The dashboard's numbers, each one aggregate statement whatever the number of changes.

Weeks start on Monday (UTC). Time arithmetic differs between SQLite and PostgreSQL, so the two
expressions that need it (`_week_of`, `_seconds_between`) are written for each.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Optional

from sqlalchemy import ColumnElement, Select, and_, case, func, literal_column, or_, select

from cbcw.accounts.models import User
from cbcw.changes.models import Approval, Change, TimelineEntry
from cbcw.extensions import db

OUTCOMES = ("completed", "failed", "cancelled", "open")


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _week_of(column) -> ColumnElement:
    """The Monday (a 'YYYY-MM-DD' text) of the UTC week holding `column`."""
    if _dialect() == "sqlite":
        return func.date(column, "weekday 0", "-6 days")
    return func.to_char(func.date_trunc("week", func.timezone("UTC", column)), "YYYY-MM-DD")


def _seconds_between(start, end) -> ColumnElement:
    if _dialect() == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


def _outcome() -> ColumnElement:
    return case(*((Change.state == state, state) for state in OUTCOMES[:3]), else_=literal_column("'open'"))


@dataclass(frozen=True)
class Scope:
    organisation_id: int
    start: datetime
    end: datetime
    company_id: Optional[int] = None

    def where(self) -> list[ColumnElement]:
        conditions = [Change.organisation_id == self.organisation_id, Change.created_at >= self.start,
                      Change.created_at < self.end]
        if self.company_id:
            conditions.append(Change.company_id == self.company_id)
        return conditions


def matching(scope: Scope, week: Optional[date] = None, outcome: Optional[str] = None,
             kind: Optional[str] = None) -> Select:
    """The changes a dashboard number counts (its drill-down list), newest first."""
    conditions = scope.where()
    if week is not None:
        monday = datetime(week.year, week.month, week.day, tzinfo=timezone.utc)
        conditions += [Change.created_at >= monday, Change.created_at < monday + timedelta(days=7)]
    if outcome in OUTCOMES:
        conditions.append(_outcome() == outcome)
    if kind is not None:
        conditions.append(Change.change_type == kind)
    return select(Change).where(*conditions).order_by(Change.created_at.desc(), Change.id.desc())


NAMED_APPROVERS = (("technical", Change.technical_approver_id), ("operational", Change.operational_approver_id))


def _undecided(kind: str, column) -> ColumnElement[bool]:
    """The approver named in `column` has not given the `kind` decision of the current round."""
    return ~select(Approval.id).where(Approval.change_id == Change.id, Approval.round == Change.approval_round,
                                      Approval.kind == kind, Approval.approver_id == column).exists()


def awaiting(organisation_id: int, approver_id: int, company_id: Optional[int] = None) -> Select:
    """Pending changes whose named technical or operational approver `approver_id` has not decided."""
    conditions = [Change.organisation_id == organisation_id, Change.state == "pending_approval",
                  or_(*(and_(column == approver_id, _undecided(kind, column)) for kind, column in NAMED_APPROVERS))]
    if company_id:
        conditions.append(Change.company_id == company_id)
    return select(Change).where(*conditions).order_by(Change.created_at.desc(), Change.id.desc())


def weekly(scope: Scope) -> dict[tuple[str, str, str], int]:
    """{(week monday, change type, outcome): count} of changes created in the period.

    Grouped over a subquery's columns: PostgreSQL does not see two copies of an expression with
    bound parameters as the same expression."""
    rows = select(_week_of(Change.created_at).label("week"), Change.change_type.label("kind"),
                  _outcome().label("outcome")).where(*scope.where()).subquery()
    counts = db.session.execute(
        select(rows.c.week, rows.c.kind, rows.c.outcome, func.count())
        .group_by(rows.c.week, rows.c.kind, rows.c.outcome)
    )
    return {(str(w), kind, outcome): count for w, kind, outcome, count in counts}


def weeks_of(scope: Scope) -> list[date]:
    monday = scope.start.date() - timedelta(days=scope.start.weekday())
    weeks = []
    while monday < scope.end.date() + timedelta(days=1):
        weeks.append(monday)
        monday += timedelta(days=7)
    return weeks


def lead_times(scope: Scope) -> dict[str, Optional[float]]:
    """Average hours from creation to full approval and to completion (changes of the period)."""
    approved = (select(TimelineEntry.change_id, func.min(TimelineEntry.created_at).label("at"))
                .where(TimelineEntry.kind == "fully_approved", TimelineEntry.organisation_id == scope.organisation_id)
                .group_by(TimelineEntry.change_id).subquery())
    to_approved, to_completed = db.session.execute(
        select(func.avg(_seconds_between(Change.created_at, approved.c.at)),
               func.avg(case((Change.state == "completed", _seconds_between(Change.created_at, Change.actual_end_at)))))
        .select_from(Change).outerjoin(approved, approved.c.change_id == Change.id)
        .where(*scope.where())
    ).one()
    return {"approved": None if to_approved is None else float(to_approved) / 3600,
            "completed": None if to_completed is None else float(to_completed) / 3600}


def waiting_by_approver(organisation_id: int, company_id: Optional[int] = None) -> list[tuple[User, int]]:
    """Named approvers and how many pending changes await their decision, most first."""
    counts: dict[int, int] = {}
    for kind, column in NAMED_APPROVERS:
        conditions = [Change.organisation_id == organisation_id, Change.state == "pending_approval",
                      column.is_not(None), _undecided(kind, column)]
        if company_id:
            conditions.append(Change.company_id == company_id)
        for approver_id, count in db.session.execute(
                select(column, func.count(Change.id)).where(*conditions).group_by(column)):
            counts[approver_id] = counts.get(approver_id, 0) + count
    if not counts:
        return []
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(counts)))}
    return sorted(((users[i], n) for i, n in counts.items()), key=lambda pair: (-pair[1], pair[0].display_name))
