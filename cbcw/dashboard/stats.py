"""The dashboard's numbers, each one aggregate statement whatever the number of changes.

Weeks start on Monday (UTC). Time arithmetic differs between SQLite and PostgreSQL, so the two
expressions that need it (`_week_of`, `_seconds_between`) are written for each.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Optional

from sqlalchemy import ColumnElement, Select, and_, case, func, literal_column, or_, select, union_all

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


@dataclass(frozen=True)
class Summary:
    """The period's numbers: {(week monday, change type, outcome): count} and average hours from
    creation to full approval and to completion."""

    weekly: dict[tuple[str, str, str], int]
    hours_to_approved: Optional[float]
    hours_to_completed: Optional[float]


def summary(scope: Scope) -> Summary:
    """One pass over the period's changes, grouped by week, type and outcome (a few dozen rows).

    Grouped over a subquery's columns: PostgreSQL does not see two copies of an expression with
    bound parameters as the same expression. Only approvals recorded since the period began can
    belong to its changes, so the timeline is read from there (its created_at index)."""
    approved = (select(TimelineEntry.change_id, func.min(TimelineEntry.created_at).label("at"))
                .where(TimelineEntry.kind == "fully_approved", TimelineEntry.organisation_id == scope.organisation_id,
                       TimelineEntry.created_at >= scope.start)
                .group_by(TimelineEntry.change_id).subquery())
    rows = (select(_week_of(Change.created_at).label("week"), Change.change_type.label("kind"),
                   _outcome().label("outcome"),
                   _seconds_between(Change.created_at, approved.c.at).label("to_approved"),
                   case((Change.state == "completed", _seconds_between(Change.created_at, Change.actual_end_at)))
                   .label("to_completed"))
            .select_from(Change).outerjoin(approved, approved.c.change_id == Change.id)
            .where(*scope.where()).subquery())
    grouped = db.session.execute(
        select(rows.c.week, rows.c.kind, rows.c.outcome, func.count(),
               func.sum(rows.c.to_approved), func.count(rows.c.to_approved),
               func.sum(rows.c.to_completed), func.count(rows.c.to_completed))
        .group_by(rows.c.week, rows.c.kind, rows.c.outcome)
    ).all()
    totals = [0.0, 0, 0.0, 0]
    for row in grouped:
        for index, value in enumerate(row[4:]):
            totals[index] += float(value or 0)

    def hours(seconds: float, count: float) -> Optional[float]:
        return seconds / count / 3600 if count else None

    return Summary({(str(w), kind, outcome): count for w, kind, outcome, count, *_ in grouped},
                   hours(totals[0], totals[1]), hours(totals[2], totals[3]))


def weeks_of(scope: Scope) -> list[date]:
    monday = scope.start.date() - timedelta(days=scope.start.weekday())
    weeks = []
    while monday < scope.end.date() + timedelta(days=1):
        weeks.append(monday)
        monday += timedelta(days=7)
    return weeks


def waiting_by_approver(organisation_id: int, company_id: Optional[int] = None) -> list[tuple[User, int]]:
    """Named approvers and how many pending changes await their decision, most first (one statement)."""
    def queue(kind: str, column):
        conditions = [Change.organisation_id == organisation_id, Change.state == "pending_approval",
                      column.is_not(None), _undecided(kind, column)]
        if company_id:
            conditions.append(Change.company_id == company_id)
        return select(column.label("approver_id"), Change.id.label("change_id")).where(*conditions)

    queues = union_all(*(queue(kind, column) for kind, column in NAMED_APPROVERS)).subquery()
    rows = db.session.execute(
        select(User, func.count(queues.c.change_id)).join(queues, queues.c.approver_id == User.id)
        .group_by(User.id).order_by(func.count(queues.c.change_id).desc(), User.display_name)
    ).all()
    return [(user, count) for user, count in rows]
