"""The change's ConnectWise ticket: typeahead, widget, (un)linking and the time-entry popup.

Every page here answers at once when ConnectWise is slow or down: the widget is loaded after
the change page (the linked-ticket slot's `hx-get`), each ConnectWise call is interactive
(short budget), and every failure becomes a message in place, never a 500.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from cbcw.accounts.permissions import editor_required
from cbcw.changes import operations, policy
from cbcw.changes.errors import LifecycleError
from cbcw.changes.models import Change
from cbcw.changes.unit_of_work import apply
from cbcw.connectwise.api import links
from cbcw.connectwise.tickets import panel as ticket_panel, search as tickets
from cbcw.connectwise.settings.connection import client_for
from cbcw.connectwise.api.errors import ConnectWiseError
from cbcw.connectwise.tickets.forms import LinkTicketForm, TimeEntryForm
from cbcw.connectwise.linked import linked_ticket_id
from cbcw.connectwise.tickets.picker import TICKETS, disabled_reason
from cbcw.connectwise.tickets.time_entries import TimeEntryRefused, record_time
from cbcw.crypto import SecretUnreadable
from cbcw.db import utcnow
from cbcw.integrations.spec import TicketRefused
from cbcw.main.partials import render_partial_or_page
from cbcw.organisations.models import Company
from cbcw.tenancy import get_or_404

bp = Blueprint("cw_tickets", __name__)
TICKET_URL = "/changes/<int:change_id>/connectwise-ticket"


# --- Typeahead ---------------------------------------------------------------------------------


@bp.get("/connectwise/ticket-field")
@editor_required
def field():
    """The change form's ticket field for the company now chosen (HTMX, when the company changes)."""
    company_id = request.args.get("company_id", type=int)
    if company_id is not None:
        get_or_404(Company, company_id)
    return TICKETS.field(current_user.organisation_id, company_id, None, None)


@bp.get("/connectwise/companies/<int:company_id>/tickets")
@editor_required
def search(company_id: int):
    """Ticket suggestions for the change form: one query here, one ConnectWise request."""
    query = request.args.get("linked_ticket_query", "").strip()[:tickets.MAX_QUERY_LENGTH]
    scope = tickets.linking_scope(current_user.organisation_id, company_id)
    company = None  # only needed to explain an unmapped company
    if scope is None:  # not mapped, or not this organisation's company (404)
        company = get_or_404(Company, company_id)
        scope = (ticket_panel.settings_of(current_user.organisation_id), None)
    settings, mapping = scope
    results, error = [], None
    reason = disabled_reason(settings, company, mapping) if query else None
    if reason:
        error = reason
    elif query:
        try:
            results = tickets.search(client_for(settings, interactive=True), mapping, query)
        except (ConnectWiseError, SecretUnreadable) as failure:
            error = f"Could not search ConnectWise: {failure}"
    return render_template("connectwise/_ticket_results.html", results=results, error=error, query=query)


# --- Widget ------------------------------------------------------------------------------------


@bp.get(TICKET_URL)
@login_required
def widget(change_id: int):
    """The ConnectWise Ticket widget (`?refresh=1` skips the 60-second cache). The open widget polls
    with `?since=<its mark>` every 2 s while its tab is visible: 204 (htmx keeps it) until a
    ConnectWise callback marks the ticket changed, then the widget redrawn from a fresh read. With
    the callbacks job running each second, a change in ConnectWise shows within about 3 s."""
    change = get_or_404(Change, change_id)
    since = request.args.get("since")
    ticket_id = linked_ticket_id(change)
    if since is not None and ticket_id is not None and since == ticket_panel.mark_token(change.organisation_id, ticket_id):
        return "", 204
    panel = ticket_panel.ticket_panel(change, current_user, refresh=request.args.get("refresh") == "1")
    return render_partial_or_page("connectwise/_ticket_widget.html", "connectwise/ticket_page.html",
                                  panel=panel, change=change, can_link=_link_refusal(change) is None)


def _link_refusal(change: Change) -> str | None:
    """Why this user may not change the change's ticket now, or None if they may."""
    try:
        policy.require("link_ticket", change, current_user)
    except LifecycleError as refused:
        return str(refused)
    return None


@bp.route(TICKET_URL + "/link", methods=["GET", "POST"])
@editor_required
def link(change_id: int):
    """Link, change or remove the ticket of a change that is not completed or cancelled."""
    change = get_or_404(Change, change_id)
    refusal = _link_refusal(change)
    if refusal:
        flash(refusal, "error")
        return redirect(url_for("changes.detail", change_id=change.id))
    form = LinkTicketForm()
    if form.validate_on_submit():
        chosen = form.chosen_ticket_id()
        try:
            ticket = TICKETS.check(change.organisation_id, change.company_id, chosen) if chosen else None
            apply(operations.link_ticket, change, current_user, ticket=ticket)
        except (LifecycleError, TicketRefused) as refused:
            form.linked_ticket_query.errors.append(str(refused))
        else:
            flash(f"{change.reference}: " + (f"linked to ticket #{chosen}." if chosen else "ticket unlinked."),
                  "success")
            return redirect(url_for("changes.detail", change_id=change.id))
    return render_template("connectwise/ticket_link.html", change=change, form=form,
                           field=TICKETS.field(change.organisation_id, change.company_id,
                                              form.chosen_ticket(change), form.ticket_error()))


@bp.post(TICKET_URL + "/unlink")
@editor_required
def unlink(change_id: int):
    """Remove the link (offered when the ticket was deleted in ConnectWise)."""
    change = get_or_404(Change, change_id)
    try:
        apply(operations.link_ticket, change, current_user, ticket=None)
    except LifecycleError as refused:
        flash(str(refused), "error")
    else:
        flash(f"{change.reference}: ticket unlinked.", "success")
    return redirect(url_for("changes.detail", change_id=change.id))


# --- Time entry popup --------------------------------------------------------------------------


@bp.route(TICKET_URL + "/time-entry", methods=["GET", "POST"])
@editor_required
def time_entry(change_id: int):
    """Our time-entry form, in a popup (or as a page without JavaScript)."""
    change = get_or_404(Change, change_id)
    member = ticket_panel.member_of(current_user)
    if member is None:
        abort(403)
    settings = ticket_panel.settings_of(change.organisation_id)
    popup = request.values.get("popup") == "1"
    form = TimeEntryForm()
    error = None
    ticket_id = linked_ticket_id(change)
    if ticket_id is None or settings is None or not settings.enabled:
        error = "This change has no ConnectWise ticket to log time on, or the integration is disabled."
    elif form.validate_on_submit():
        start, end = form.utc_times()
        try:
            entry = record_time(client_for(settings, interactive=True), change, member, start, end, form.notes.data,
                                discussion=settings.time_notes_to_discussion)
        except TimeEntryRefused as refused:
            error = str(refused)
        except (ConnectWiseError, SecretUnreadable) as failure:
            error = f"The time entry was not saved: {failure}"
        else:
            ticket_panel.forget(settings, ticket_id)
            if not popup:
                flash(f"Time entry saved on ticket #{ticket_id}.", "success")
                return redirect(url_for("changes.detail", change_id=change.id))
            return render_template("connectwise/time_entry_saved.html", change=change, entry=entry)
    elif request.method == "GET":
        form.prefill(utcnow())
    ticket_url = links.ticket_url(settings.base_url, settings.cw_company_id, ticket_id) \
        if settings is not None and settings.base_url and ticket_id else None
    return render_template("connectwise/time_entry.html", change=change, form=form, member=member, error=error,
                           popup=popup, ticket_url=ticket_url)
