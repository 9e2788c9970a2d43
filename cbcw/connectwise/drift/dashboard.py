"""ConnectWise on the dashboard at `/` (PRODUCT §2.10), for admins and MSP users: failed
ConnectWise writes and drift findings, each count linking to the page that lists them. Given
to the core through the declaration's `dashboard_panels`; the core never imports this."""
from flask import Blueprint, url_for
from flask_login import current_user
from sqlalchemy import func, select

from cbcw.accounts.permissions import settings_required
from cbcw.connectwise.automation.models import OutboxWrite
from cbcw.connectwise.drift.models import DriftFinding
from cbcw.extensions import db
from cbcw.integrations.spec import Panel
from cbcw.main.partials import render_partial_or_page

bp = Blueprint("cw_dashboard", __name__)


def dashboard_panel(user) -> Panel | None:
    """The panel for admins and MSP users; nobody else sees integration troubles."""
    if not getattr(user, "can_manage_settings", False):
        return None
    return Panel("ConnectWise", url_for("cw_dashboard.panel"))


@bp.get("/dashboard/connectwise")
@settings_required
def panel():
    organisation_id = current_user.organisation_id
    failed = db.session.scalar(select(func.count(OutboxWrite.id)).where(
        OutboxWrite.organisation_id == organisation_id, OutboxWrite.state == "failed"))
    drifted = db.session.scalar(select(func.count(DriftFinding.id)).where(
        DriftFinding.organisation_id == organisation_id, DriftFinding.pending.is_(False)))
    return render_partial_or_page("connectwise/_dashboard_panel.html", "connectwise/dashboard_panel.html",
                                  failed=failed, drifted=drifted)
