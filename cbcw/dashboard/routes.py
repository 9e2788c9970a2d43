"""`/` (PRODUCT §2.10): what awaits the user today, what is coming, panels the integrations
provide (failed writes, drift, for admins and MSP users) and charts over a period and company."""
from datetime import date, datetime, timedelta, timezone

from flask import Blueprint, Flask, current_app, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from cbcw.accounts.models import User
from cbcw.changes import queries
from cbcw.changes.labels import TYPE_LABELS
from cbcw.changes.models import Change
from cbcw.changes.type_models import ChangeReview
from cbcw.dashboard import charts, stats
from cbcw.db import utcnow
from cbcw.extensions import db
from cbcw.integrations import registry
from cbcw.main.partials import render_partial_or_page
from cbcw.main.templating import user_zone
from cbcw.tenancy import scoped

bp = Blueprint("dashboard", __name__)
PERIODS = {"4": 4, "12": 12, "26": 26, "52": 52}
DEFAULT_PERIOD = "12"
SHOWN = 8
OUTCOME_LABELS = {"completed": "Completed", "failed": "Failed", "cancelled": "Cancelled", "open": "Open"}


def _today_bounds() -> tuple[datetime, datetime]:
    """Today in the viewer's timezone, as UTC instants."""
    now_local = utcnow().astimezone(user_zone())
    start = now_local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(timezone.utc), (start + timedelta(days=1)).astimezone(timezone.utc)


def _awaiting() -> dict:
    user = current_user
    approvals_stmt = queries.filtered_changes(user, mine="approval")
    start, end = _today_bounds()
    today = db.session.scalars(
        scoped(Change).where(Change.state == "scheduled", Change.implementer_id == user.id,
                             Change.window_start >= start, Change.window_start < end)
        .options(joinedload(Change.company)).order_by(Change.window_start)).all()
    return {
        # How many in all: the navigation's count (its own statement), not counted twice.
        "approvals": db.session.scalars(approvals_stmt.limit(SHOWN)).all(),
        "windows_today": today,
        "reviews": db.session.scalars(_reviews_due(user).limit(SHOWN)).all(),
    }


def _reviews_due(user: User):
    """Finished emergency changes still owing their post-implementation review (PRODUCT §2.7) that
    the user may record: as requester or implementer, or any of them for admins and MSP users."""
    stmt = (scoped(Change)
            .where(Change.change_type == "emergency", Change.state.in_(("completed", "failed")),
                   ~select(ChangeReview.id).where(ChangeReview.change_id == Change.id).exists())
            .order_by(Change.actual_end_at.desc(), Change.id.desc()))
    if user.role not in ("admin", "msp"):
        stmt = stmt.where(or_(Change.created_by_id == user.id, Change.implementer_id == user.id))
    return stmt


def _upcoming() -> list[Change]:
    return db.session.scalars(
        scoped(Change).where(Change.state == "scheduled", Change.window_start >= utcnow())
        .options(joinedload(Change.company), joinedload(Change.implementer))
        .order_by(Change.window_start, Change.id).limit(SHOWN)).all()


def _counted(period: str, company_id, **args) -> str:
    """The drill-down list of exactly the changes a number counts."""
    return url_for("dashboard.counted", weeks=period, **{key: value for key, value in
                                                         {"company": company_id, **args}.items() if value})


def _charts(scope: stats.Scope, period: str) -> dict:
    weeks = stats.weeks_of(scope)
    summary = stats.summary(scope)
    by_outcome: dict = {}
    by_type: dict = {}
    for (week_text, kind, outcome), count in summary.weekly.items():
        week = datetime.strptime(week_text[:10], "%Y-%m-%d").date()
        by_outcome[(week, outcome)] = by_outcome.get((week, outcome), 0) + count
        by_type[(week, kind)] = by_type.get((week, kind), 0) + count
    company = scope.company_id
    outcome_chart = charts.stacked(
        "Changes per week by outcome", weeks, list(OUTCOME_LABELS.items()), by_outcome,
        lambda week, key: _counted(period, company, week=week.isoformat(), outcome=key))
    type_chart = charts.stacked(
        "Changes per week by type", weeks, list(TYPE_LABELS.items()), by_type,
        lambda week, key: _counted(period, company, week=week.isoformat(), type=key))
    totals = {key: sum(n for (_, k), n in by_outcome.items() if k == key) for key in OUTCOME_LABELS}
    finished = totals["completed"] + totals["failed"]
    return {
        "outcome_chart": outcome_chart, "type_chart": type_chart, "totals": totals,
        "success_rate": round(100 * totals["completed"] / finished) if finished else None,
        "lead_times": {"approved": summary.hours_to_approved, "completed": summary.hours_to_completed},
        "waiting": stats.waiting_by_approver(scope.organisation_id, company),
        "counted": lambda **args: _counted(period, company, **args),
    }


def _scope() -> tuple[stats.Scope, str, list]:
    """The period (`weeks`) and company (`company`) the request asks for; anything else is the default."""
    period = request.args.get("weeks", DEFAULT_PERIOD)
    period = period if period in PERIODS else DEFAULT_PERIOD
    companies = queries.companies()
    company_id = request.args.get("company", type=int)
    if company_id not in {c.id for c in companies}:
        company_id = None
    end = utcnow()
    return stats.Scope(current_user.organisation_id, end - timedelta(weeks=PERIODS[period]), end, company_id), \
        period, companies


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None


@bp.get("/dashboard/changes")
@login_required
def counted():
    """The changes behind one dashboard number: a week and outcome or type, or an approver's queue."""
    scope, period, companies = _scope()
    week, outcome, kind = _day(request.args.get("week")), request.args.get("outcome"), request.args.get("type")
    outcome = outcome if outcome in OUTCOME_LABELS else None
    kind = kind if kind in TYPE_LABELS else None
    approver = request.args.get("waiting_for", type=int)
    approver_user = db.session.get(User, approver) if approver and approver < 2**31 else None
    if approver_user is not None and approver_user.organisation_id == current_user.organisation_id:
        stmt, what = stats.awaiting(scope.organisation_id, approver_user.id, scope.company_id), \
            [f"awaiting {approver_user.display_name}"]
    else:
        stmt = stats.matching(scope, week, outcome, kind)
        what = [f"created in the last {PERIODS[period]} weeks"] + (
            [f"week of {week.strftime('%d %b %Y')}"] if week else []) + (
            [OUTCOME_LABELS[outcome].lower()] if outcome else []) + ([TYPE_LABELS[kind].lower()] if kind else [])
    company = next((c for c in companies if c.id == scope.company_id), None)
    if company:
        what.append(company.name)
    pagination = queries.page_of(stmt.options(joinedload(Change.company)), request.args.get("page", 1, type=int),
                                 current_app.config["CHANGES_PER_PAGE"])
    return render_template("dashboard/counted.html", pagination=pagination, what=what,
                           filters={key: value for key, value in request.args.items() if key != "page"})


@bp.get("/dashboard/reports")
@login_required
def reports():
    """The charts and numbers over the period and company: the dashboard loads them after itself
    (htmx), and they are a page of their own without script."""
    scope, period, companies = _scope()
    return render_partial_or_page("dashboard/_reports.html", "dashboard/reports.html",
                                  periods=PERIODS, period=period, companies=companies, company_id=scope.company_id,
                                  **_charts(scope, period))


@login_required
def index():
    scope, period, _ = _scope()
    panels = [panel for panel in registry.dashboard_panels(current_user) if panel is not None]
    return render_template(
        "dashboard/index.html", awaiting=_awaiting(), upcoming=_upcoming(), panels=panels,
        period=period, company_id=scope.company_id,
        has_changes=db.session.scalar(select(Change.id).where(
            Change.organisation_id == current_user.organisation_id).limit(1)) is not None,
    )


def init_app(app: Flask) -> None:
    """`/` keeps its endpoint name `main.index` (every page's brand link), drawn here because
    the dashboard reads changes, which `main` sits below."""
    app.add_url_rule("/", endpoint="main.index", view_func=index)
    app.register_blueprint(bp)
