"""Integration activity pages: Settings → Integrations → Activity for the organisation, and the
change's own activity (a panel on the change page). Retry needs the Admin or MSP role."""
from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_login import login_required

from cbcw.accounts.permissions import settings_required
from cbcw.changes.models import Change
from cbcw.connectwise.automation import activity
from cbcw.connectwise.automation.models import STATE_LABELS, OutboxWrite
from cbcw.connectwise.automation.preview import ACTIVITY_TAB, overview_summary
from cbcw.extensions import db
from cbcw.main.partials import render_partial_or_page
from cbcw.tenancy import get_or_404

bp = Blueprint("cw_activity", __name__)
bp.add_app_template_filter(activity.breakable_path, "breakable_path")


@bp.get("/settings/integrations/activity")
@settings_required
def organisation_activity():
    state = request.args.get("state") if request.args.get("state") in STATE_LABELS else None
    pagination = db.paginate(activity.writes_of_organisation(state), page=request.args.get("page", 1, type=int),
                             per_page=current_app.config["CHANGES_PER_PAGE"], error_out=False)
    return render_partial_or_page("connectwise/_activity_table.html", "connectwise/activity.html",
                                  writes=pagination.items, pagination=pagination, state=state,
                                  states=STATE_LABELS, requests_of=activity.requests_of, show_change=True, back="org",
                                  empty_filter_messages=activity.EMPTY_FILTER_MESSAGES)


@bp.get("/changes/<int:change_id>/integration")
@login_required
def change_activity(change_id: int):
    change = get_or_404(Change, change_id)
    partial = "connectwise/_activity_table.html"
    return render_partial_or_page(partial, "connectwise/change_section.html", partial=partial,
                                  heading="ConnectWise activity", change=change, writes=activity.writes_of_change(change.id),
                                  requests_of=activity.requests_of, show_change=False, back="change",
                                  tab=ACTIVITY_TAB, delivery=activity.delivery_of_change(change.id))


@bp.get("/changes/<int:change_id>/integration/pending")
@login_required
def change_pending(change_id: int):
    """The change's pending writes; the partial polls this every second while any is pending. Polled
    from the Overview (`overview`), it also brings the Overview's line of counts up to date."""
    change = get_or_404(Change, change_id)
    partial = "connectwise/_pending_writes.html"
    overview = request.args.get("overview") == "1"
    return render_partial_or_page(partial, "connectwise/change_section.html", partial=partial,
                                  heading="ConnectWise delivery", change=change, overview=overview,
                                  delivery=activity.delivery_of_change(change.id, request.args.get("since", type=int)),
                                  **(overview_summary(change) if overview and request.headers.get("HX-Request") else {}))


@bp.post("/settings/integrations/activity/<int:write_id>/retry")
@settings_required
def retry_write(write_id: int):
    row = get_or_404(OutboxWrite, write_id)
    count = activity.retry([row])
    db.session.commit()
    flash("Sending it again now." if count else "That write was already delivered.", "success")
    return _back(row.change_id)


@bp.post("/settings/integrations/activity/retry-failed")
@settings_required
def retry_failed():
    change_id = request.form.get("change_id", type=int)
    if change_id is None and request.form.get("change_id"):
        abort(404)
    stmt = activity.writes_of_organisation("failed")
    if change_id is not None:
        stmt = stmt.where(OutboxWrite.change_id == get_or_404(Change, change_id).id)
    count = activity.retry(db.session.scalars(stmt).all())
    db.session.commit()
    flash(f"Sending {count} failed write(s) again." if count else "No failed writes to retry.", "success")
    return _back(change_id)


def _back(change_id: int | None):
    """Back where the button was pressed: the change's activity, or the list with its filter kept."""
    if request.form.get("back") == "change" and change_id is not None:
        return redirect(url_for("changes.detail", change_id=change_id, tab=ACTIVITY_TAB))
    state = request.form.get("state")
    return redirect(url_for(".organisation_activity", state=state if state in STATE_LABELS else None))
