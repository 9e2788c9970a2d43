"""The Configuration Sync section of Settings → Integrations → ConnectWise (PRODUCT §3.3; admin
and MSP roles only): its state, polled by HTMX while a run is queued or running, and Sync
Configurations Now.

The settings page includes the section with the `sync_section()` template global, so the
settings package never imports the sync (which builds on the settings).
"""
from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user

from cbcw.accounts.permissions import settings_required
from cbcw.connectwise.settings.routes import section
from cbcw.connectwise.sync import runs
from cbcw.main.partials import wants_partial

bp = Blueprint("cw_sync", __name__, url_prefix="/settings/integrations/connectwise")
PARTIAL = "connectwise/_sync.html"


@bp.before_request
@settings_required
def require_settings_role():
    """Every URL here needs the Admin or MSP role (checked before each view)."""


@bp.app_template_global()
def sync_section(message: str | None = None, category: str = "ok") -> dict:
    """What the section shows: the queued or running run, the history, and a message."""
    organisation_id = current_user.organisation_id
    return {"run": runs.active_run(organisation_id), "history": runs.history(organisation_id),
            "message": message, "category": category}


@bp.get("/sync")
def sync_status():
    """The sync section: polled by HTMX while a run is queued or running."""
    return section(PARTIAL, sync=sync_section())


@bp.post("/sync")
def sync_now():
    """Queue a sync for the scheduler process; the web worker never runs it."""
    try:
        runs.request_run(current_user.organisation_id, "manual", user_id=current_user.id, full=True)
    except runs.SyncBusy as busy:
        message, category = str(busy), "bad"
    else:
        message, category = "Sync requested: it starts within a few seconds.", "ok"
    if wants_partial():
        return section(PARTIAL, sync=sync_section(message, category))
    flash(message, "success" if category == "ok" else "error")
    return redirect(url_for("connectwise.settings_page") + "#sync")
