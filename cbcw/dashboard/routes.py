"""`/` (PRODUCT §2.10): what awaits the user today, what is coming, panels the integrations
provide (failed writes, drift, for admins and MSP users) and charts over a period and company."""
from datetime import datetime, timedelta, timezone

from flask import Flask, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from cbcw.changes import queries
from cbcw.changes.models import CHANGE_TYPES, Change
from cbcw.dashboard import charts, stats
from cbcw.db import utcnow
from cbcw.extensions import db
from cbcw.integrations import registry
from cbcw.main.templating import user_zone
from cbcw.tenancy import scoped

PERIODS = {"4": 4, "12": 12, "26": 26, "52": 52}
DEFAULT_PERIOD = "12"
SHOWN = 8
OUTCOME_LABELS = {"completed": "Completed", "failed": "Failed", "cancelled": "Cancelled", "open": "Open"}
TYPE_LABELS = {kind: kind.capitalize() for kind in CHANGE_TYPES}


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
        "approvals": db.session.scalars(approvals_stmt.limit(SHOWN)).all(),
        "approvals_count": queries.awaiting_approval_count(user),
        "windows_today": today,
    }


def _upcoming() -> list[Change]:
    return db.session.scalars(
        scoped(Change).where(Change.state == "scheduled", Change.window_start >= utcnow())
        .options(joinedload(Change.company), joinedload(Change.implementer))
        .order_by(Change.window_start, Change.id).limit(SHOWN)).all()


def _list_url(**args) -> str:
    return url_for("changes.list_changes", **{key: value for key, value in args.items() if value})


def _charts(scope: stats.Scope) -> dict:
    weeks = stats.weeks_of(scope)
    weekly = stats.weekly(scope)
    by_outcome: dict = {}
    by_type: dict = {}
    for (week_text, kind, outcome), count in weekly.items():
        week = datetime.strptime(week_text[:10], "%Y-%m-%d").date()
        by_outcome[(week, outcome)] = by_outcome.get((week, outcome), 0) + count
        by_type[(week, kind)] = by_type.get((week, kind), 0) + count
    company = scope.company_id
    state_of = {"completed": "completed", "failed": "failed", "cancelled": "cancelled", "open": ""}
    outcome_chart = charts.stacked(
        "Changes per week by outcome", weeks, list(OUTCOME_LABELS.items()), by_outcome,
        lambda week, key: _list_url(state=state_of[key], company=company))
    type_chart = charts.stacked(
        "Changes per week by type", weeks, list(TYPE_LABELS.items()), by_type,
        lambda week, key: _list_url(company=company))
    totals = {key: sum(n for (_, k), n in by_outcome.items() if k == key) for key in OUTCOME_LABELS}
    finished = totals["completed"] + totals["failed"]
    return {
        "outcome_chart": outcome_chart, "type_chart": type_chart, "totals": totals,
        "success_rate": round(100 * totals["completed"] / finished) if finished else None,
        "lead_times": stats.lead_times(scope),
        "waiting": stats.waiting_by_approver(scope.organisation_id, company),
        "list_url": _list_url,
    }


@login_required
def index():
    period = request.args.get("weeks", DEFAULT_PERIOD)
    period = period if period in PERIODS else DEFAULT_PERIOD
    companies = queries.companies()
    company_id = request.args.get("company", type=int)
    if company_id not in {c.id for c in companies}:
        company_id = None
    end = utcnow()
    scope = stats.Scope(current_user.organisation_id, end - timedelta(weeks=PERIODS[period]), end, company_id)
    panels = [panel for panel in registry.dashboard_panels(current_user) if panel is not None]
    return render_template(
        "dashboard/index.html", awaiting=_awaiting(), upcoming=_upcoming(), panels=panels,
        periods=PERIODS, period=period, companies=companies, company_id=company_id,
        has_changes=db.session.scalar(select(func.count(Change.id)).where(
            Change.organisation_id == current_user.organisation_id)) > 0,
        **_charts(scope),
    )


def init_app(app: Flask) -> None:
    """`/` keeps its endpoint name `main.index` (every page's brand link), drawn here because
    the dashboard reads changes, which `main` sits below."""
    app.add_url_rule("/", endpoint="main.index", view_func=index)
