"""Settings → Integrations → Drift check (admin and MSP): the last run's findings, Check now, and
Re-apply per change; plus the drift panel on a change's page."""
from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from cbcw.accounts.permissions import settings_required
from cbcw.changes.models import Change
from cbcw.connectwise.api import links
from cbcw.connectwise.callbacks import alerts as ticket_alerts
from cbcw.connectwise.drift import check, reapply as reapplying
from cbcw.connectwise.drift.compare import describe
from cbcw.connectwise.drift.jobs import describe as describe_run
from cbcw.connectwise.drift.models import DriftFinding
from cbcw.connectwise.settings.mappings import find_settings
from cbcw.extensions import db
from cbcw.integrations.spec import Panel
from cbcw.main.partials import render_partial_or_page, wants_partial
from cbcw.main.templating import localtime
from cbcw.tenancy import get_or_404, scoped

bp = Blueprint("cw_drift", __name__)


@bp.get("/settings/integrations/drift")
@settings_required
def drift_page():
    return render_partial_or_page("connectwise/_drift.html", "connectwise/drift.html", **_context())


@bp.post("/settings/integrations/drift/check")
@settings_required
def check_now():
    """Run the check here, within the interactive budget: a handful of batched listings, so even
    hundreds of changes answer in seconds; a slow ConnectWise is recorded, never a hang."""
    run = check.check_organisation(current_user.organisation_id, interactive=True)
    return _answer(f"Checked: {describe_run(run)}", "error" if run.error else "success")


@bp.post("/settings/integrations/drift/<int:change_id>/reapply")
@settings_required
def reapply(change_id: int):
    change = get_or_404(Change, change_id)
    # Claimed inside `reapply` by a conditional UPDATE, so twenty presses at once re-apply once.
    finding = db.session.scalar(scoped(DriftFinding).where(DriftFinding.change_id == change.id))
    if finding is None:
        return _answer(f"{change.reference} had no mismatch at the last check.", "error")
    try:
        rows = reapplying.reapply(finding)
    except reapplying.Refused as refusal:
        return _answer(str(refusal), "error")
    db.session.commit()  # the scheduler's delivery worker is woken by it
    return _answer(f"{change.reference}: {len(rows)} write(s) re-applied to ticket #{finding.ticket_id}; "
                   "their delivery shows on the Integration activity page.", "success")


@bp.get("/changes/<int:change_id>/drift")
@login_required
def change_drift(change_id: int):
    change = get_or_404(Change, change_id)
    finding = db.session.scalar(scoped(DriftFinding).where(DriftFinding.change_id == change.id))
    partial = "connectwise/_drift_change.html"
    return render_partial_or_page(partial, "connectwise/change_section.html", partial=partial,
                                  heading="ConnectWise drift", change=change, finding=finding, lines=_lines)


def _answer(message: str, category: str):
    """After a POST: the refreshed section with the message for HTMX; otherwise back to the page."""
    if wants_partial():
        return render_partial_or_page("connectwise/_drift.html", "connectwise/drift.html",
                                      **_context(message, category))
    flash(message, category)
    return redirect(url_for(".drift_page"))


def _context(message: str | None = None, category: str | None = None) -> dict:
    organisation_id = current_user.organisation_id
    return {"run": check.latest_run(organisation_id), "findings": check.findings_of(organisation_id),
            "alerts": ticket_alerts.open_alerts(organisation_id), "describe_alert": ticket_alerts.describe,
            "lines": _lines, "ticket_url": _ticket_url(), "message": message, "category": category}


def _lines(finding: DriftFinding) -> list[str]:
    return [describe(problem, finding.ticket_id, localtime) for problem in finding.problems]


def _ticket_url():
    """ticket id → its ConnectWise screen, or None before the connection is set up."""
    settings = find_settings(current_user.organisation_id)
    if not (settings.base_url and settings.cw_company_id):
        return lambda ticket_id: None
    return lambda ticket_id: links.ticket_url(settings.base_url, settings.cw_company_id, ticket_id)


def drift_panel(change: Change) -> Panel | None:
    """A "ConnectWise drift" panel on the change page while the last check found a mismatch."""
    found = db.session.scalar(select(DriftFinding.id).where(
        DriftFinding.change_id == change.id, DriftFinding.organisation_id == change.organisation_id,
        DriftFinding.pending.is_(False)).limit(1))
    return Panel("ConnectWise drift", url_for("cw_drift.change_drift", change_id=change.id)) if found else None
