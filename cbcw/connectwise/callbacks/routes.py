"""What callbacks show: the alerts panel on a change's page (while a linked ticket's fate is
flagged), and the registrations with the last callback on the ConnectWise settings page."""
from flask import Blueprint, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from cbcw.changes.models import Change
from cbcw.connectwise.callbacks import alerts, registration
from cbcw.connectwise.callbacks.models import TicketAlert
from cbcw.extensions import db
from cbcw.integrations.spec import Panel
from cbcw.main.partials import render_partial_or_page
from cbcw.tenancy import get_or_404

bp = Blueprint("cw_callback_pages", __name__)
PARTIAL = "connectwise/_ticket_alerts.html"


@bp.get("/changes/<int:change_id>/connectwise-alerts")
@login_required
def change_alerts(change_id: int):
    change = get_or_404(Change, change_id)
    return render_partial_or_page(PARTIAL, "connectwise/change_section.html", partial=PARTIAL,
                                  heading="ConnectWise ticket alerts", change=change,
                                  alerts=alerts.open_alerts(change.organisation_id, change.id),
                                  describe=alerts.describe)


def alerts_panel(change: Change) -> Panel | None:
    """A "ConnectWise ticket alert" panel while the change is open and its ticket's fate flagged."""
    raised = db.session.scalar(select(TicketAlert.id).where(
        TicketAlert.change_id == change.id, TicketAlert.organisation_id == change.organisation_id,
        TicketAlert.ticket_id == change.linked_ticket_id, TicketAlert.cleared_at.is_(None)).limit(1))
    if raised is None or change.state in alerts.CLOSED_CHANGE_STATES:
        return None
    return Panel("ConnectWise ticket alert", url_for("cw_callback_pages.change_alerts", change_id=change.id))


def callbacks_section() -> dict:
    """The settings page's Callbacks section (a template global: the settings pages sit below
    this package and name none of it)."""
    organisation_id = current_user.organisation_id
    return {"registrations": registration.registrations(organisation_id),
            "endpoint": registration.endpoint_of(organisation_id)}


def init_app(app) -> None:
    app.add_template_global(callbacks_section, "callbacks_section")
