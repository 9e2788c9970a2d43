"""Organisation Settings → Integrations → ConnectWise (admin and MSP roles only).

Sections that need ConnectWise data are HTMX partials, so the page renders at once and a
ConnectWise failure shows as a message in its section, never as a 500.
"""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from cbcw.accounts.models import User
from cbcw.accounts.permissions import settings_required
from cbcw.connectwise.settings import mappings, members, signals, statuses
from cbcw.connectwise.api.addresses import parse_networks
from cbcw.connectwise.settings.base_url import BaseUrlInvalid, normalise_base_url
from cbcw.connectwise.settings.connection import client_for, test_connection
from cbcw.connectwise.api.errors import ConnectWiseError
from cbcw.connectwise.settings.forms import (BoardFilterForm, ConnectionForm, MapCompanyForm, PickMemberForm, StatusForm,
                                    TypeMappingForm)
from cbcw.connectwise.settings.models import STATUS_EVENTS, CompanyMapping
from cbcw.crypto import SecretUnreadable
from cbcw.db import utcnow
from cbcw.extensions import db
from cbcw.main.partials import render_partial_or_page, wants_partial
from cbcw.organisations.models import Company
from cbcw.tenancy import get_or_404

bp = Blueprint("connectwise", __name__, url_prefix="/settings/integrations/connectwise")


@bp.before_request
@settings_required
def require_settings_role():
    """Every URL and partial here needs the Admin or MSP role (checked before each view)."""


@bp.record_once
def check_allowed_networks(state):
    """A typo in CW_ALLOWED_PRIVATE_NETWORKS stops start-up instead of refusing every on-premise site later."""
    parse_networks(state.app.config.get("CW_ALLOWED_PRIVATE_NETWORKS", ""))


def _settings():
    """The organisation's settings: the stored row, or (on a GET, before any save) an unsaved blank
    one, so that looking at the page never writes to the database."""
    if request.method == "GET":
        return mappings.find_settings(current_user.organisation_id)
    return mappings.get_settings(current_user.organisation_id)


def _cw(call):
    """Run `call(client)`; a ConnectWise or key failure becomes (None, message) for the section."""
    try:
        return call(client_for(_settings())), None
    except (ConnectWiseError, SecretUnreadable) as error:
        return None, str(error)


def _after_post(template: str, **context):
    """After a POST: the updated partial for HTMX; otherwise back to the full page."""
    if wants_partial():
        return render_partial_or_page(template, template, **context)
    return redirect(url_for(".settings_page"))


def section(partial: str, **context):
    """A section's partial for HTMX; the same partial inside a settings page without JavaScript."""
    return render_partial_or_page(partial, "connectwise/fallback.html", partial=partial, **context)


@bp.route("", methods=["GET", "POST"])
def settings_page():
    settings = _settings()
    keys_readable = mappings.stored_keys_readable(settings)
    form = ConnectionForm(data=None if request.method == "POST" else mappings.connection_form_data(settings))
    status_form = StatusForm(obj=settings, formdata=None)
    if form.validate_on_submit():
        try:
            base_url = normalise_base_url(form.base_url.data, allow_http=current_app.config["CW_ALLOW_HTTP"])
        except BaseUrlInvalid as error:
            form.base_url.errors.append(str(error))
        else:
            kept = keys_readable and mappings.keys_stay_valid(settings, base_url.url, form.cw_company_id.data)
            if form.require_keys(kept and bool(settings.public_key_encrypted), kept and settings.has_private_key,
                                 reason=None if kept or not settings.has_private_key else (
                                     KEYS_UNREADABLE if not keys_readable else KEYS_FOR_OLD_HOST)):
                previous = signals.previous_site(settings)
                note = mappings.save_connection(settings, form.data, current_app.config["CW_ALLOW_HTTP"])
                db.session.commit()
                note = " ".join(filter(None, (note, signals.notes(signals.connection_saved.send(
                    settings, previous=previous)))))
                flash("Settings saved. " + note if note else "Settings saved.", "success")
                return redirect(url_for(".settings_page"))
    return _render_page(settings, form, status_form, keys_readable)


KEYS_UNREADABLE = "The stored key can no longer be read; enter it again."
KEYS_FOR_OLD_HOST = ("The Base URL's host or the Company ID changed, so the stored keys were not kept: "
                     "enter both keys for the new address.")


def _render_page(settings, form, status_form, keys_readable=True, status=200):
    return render_template(
        "connectwise/settings.html", settings=settings, form=form, status_form=status_form,
        keys_readable=keys_readable, keys_unreadable_message=KEYS_UNREADABLE,
        company_rows=mappings.company_rows(settings.organisation_id),
        member_rows=members.match_rows(settings.organisation_id), status_events=STATUS_EVENTS,
    ), status


@bp.post("/test")
def test():
    settings = _settings()
    result = test_connection(settings)
    settings.last_test_ok, settings.last_test_message, settings.last_test_at = result.ok, result.message, utcnow()
    settings.last_test_capabilities = list(result.capabilities)
    db.session.commit()
    if wants_partial():
        return _after_post("connectwise/_test_result.html", settings=settings)
    flash(result.message, "success" if result.ok else "error")
    return redirect(url_for(".settings_page"))


@bp.post("/statuses")
def save_statuses():
    settings = _settings()
    status_form = StatusForm()
    if not status_form.validate_on_submit():
        return _render_page(settings, ConnectionForm(data=mappings.connection_form_data(settings), formdata=None),
                            status_form, mappings.stored_keys_readable(settings))
    mappings.save_statuses(settings, status_form.data)
    warnings, error = _cw(lambda client: statuses.missing_statuses(settings, client))
    settings.status_warnings = warnings or []
    db.session.commit()
    if error:
        flash(f"Status settings saved, but the names could not be checked: {error}", "warning")
    elif warnings:
        flash("Status settings saved, with warnings: some boards lack a status (see below).", "warning")
    else:
        flash("Status settings saved. Every status exists on every board in use.", "success")
    return redirect(url_for(".settings_page") + "#statuses")


@bp.get("/statuses/names")
def status_names():
    """The status pick-list's options (a <datalist>): the statuses of the boards in use."""
    choices, _error = _cw(lambda client: statuses.status_choices(_settings(), client))
    return render_template("connectwise/_status_options.html", choices=choices or [])


@bp.get("/companies/search")
def search_companies():
    company = get_or_404(Company, request.args.get("company_id", type=int) or 0)
    query = request.args.get("q", "").strip()[:100]
    results, error = _cw(lambda client: client.search_companies(query))
    taken = mappings.clients_of(company.organisation_id, [r["id"] for r in results or []], but=company.id)
    return render_partial_or_page("connectwise/_company_results.html", "connectwise/company_search.html",
                                  company=company, query=query, results=results, error=error, taken=taken)


@bp.post("/companies/<int:company_id>/map")
def map_company(company_id: int):
    company = get_or_404(Company, company_id)
    form = MapCompanyForm()
    if not form.validate_on_submit():
        abort(400)
    cw_company, error = _cw(lambda client: client.get_company(form.cw_company_id.data))
    also = []
    if cw_company:
        mapping = mappings.map_company(company, cw_company)
        also = mappings.clients_of(company.organisation_id, [mapping.cw_company_id], but=company.id).get(
            mapping.cw_company_id, [])
        db.session.commit()
        _mappings_changed()
        if also and not wants_partial():
            flash(f"{company.name} is mapped to {mapping.cw_company_name}, which is also mapped to "
                  f"{', '.join(also)}.", "warning")
    else:
        mapping = db.session.scalar(db.select(CompanyMapping).filter_by(company_id=company.id))
        flash(f"Could not map {company.name}: {error}", "error")
    return _after_post("connectwise/_company_row.html", company=company, mapping=mapping, error=error, also=also)


@bp.route("/companies/<int:company_id>/boards", methods=["GET", "POST"])
def filter_boards(company_id: int):
    company = get_or_404(Company, company_id)
    mapping = db.session.scalar(db.select(CompanyMapping).filter_by(company_id=company.id))
    if mapping is None:
        flash(f"Map {company.name} to a ConnectWise company before filtering its boards.", "error")
        return redirect(url_for(".settings_page"))
    boards, error = _cw(lambda client: client.list_boards())
    form = BoardFilterForm.for_boards(boards or [])
    if boards is not None and form.validate_on_submit():
        mappings.set_board_filter(mapping, form.board_id.data, boards)
        db.session.commit()
        _mappings_changed()
        return _after_post("connectwise/_company_row.html", company=company, mapping=mapping, error=None)
    return section("connectwise/_boards_dialog.html", company=company, mapping=mapping,
                            boards=boards or [], error=error)


def _mappings_changed() -> None:
    """Tell what follows the mappings (callback registrations); its sentence is flashed."""
    note = signals.notes(signals.mappings_changed.send(_settings()))
    if note:
        flash(note, "warning" if "could not" in note else "success")


@bp.route("/types", methods=["GET", "POST"])
def type_mappings():
    organisation_id = current_user.organisation_id
    cw_types, error = _cw(lambda client: client.list_configuration_types())
    saved = None
    form = TypeMappingForm.for_types(cw_types or [], mappings.device_types(organisation_id))
    if cw_types is not None and form.validate_on_submit():
        saved = mappings.save_type_mappings(organisation_id, cw_types, form.chosen())
        db.session.commit()
        _mappings_changed()
    context = dict(
        rows=mappings.type_mapping_rows(organisation_id, cw_types or []),
        device_types=mappings.device_types(organisation_id), error=error, saved=saved,
    )
    return section("connectwise/_type_mappings.html", **context)


@bp.post("/members/refresh")
def refresh_members():
    counts, error = _cw(lambda client: members.refresh_matches(current_user.organisation_id, client))
    db.session.commit()
    message = error and f"Could not refresh matches: {error}" or (
        f"Matches refreshed: {counts['matched']} matched, {counts['unmatched']} without a member"
        + (f", {counts['manual']} chosen by hand kept." if counts["manual"] else "."))
    return _members_section(message, "error" if error else "success")


@bp.get("/members")
def members_section():
    """The member matching section (the picker's Cancel, and the page without JavaScript)."""
    return _members_section("", "success")


@bp.route("/members/<int:user_id>", methods=["GET", "POST"])
def pick_member(user_id: int):
    user = get_or_404(User, user_id)
    all_members, error = _cw(lambda client: client.list_members())
    taken = members.matched_elsewhere(user)
    form = PickMemberForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        chosen = next((m for m in all_members or [] if m["id"] == form.cw_member_id.data), None)
        if form.cw_member_id.data and chosen is None:
            return _members_section(error or "That ConnectWise member no longer exists.", "error")
        if chosen and chosen["id"] in taken and not form.confirm.data:
            response = section("connectwise/_member_picker.html", user=user, members=all_members, error=None,
                               member_name=members.member_name, taken=taken, chosen=chosen)
            response.headers["HX-Retarget"] = f"#member-pick-{user.id}"  # the question replaces the picker only
            return response
        members.pick_member(user, chosen)
        db.session.commit()
        return _members_section(f"{user.display_name}: " + (members.member_name(chosen) if chosen else "no match") + ".", "success")
    return section("connectwise/_member_picker.html", user=user, members=all_members or [],
                   error=error, member_name=members.member_name, taken=taken, chosen=None)


def _members_section(message: str, category: str):
    if wants_partial():
        return section("connectwise/_members.html", member_rows=members.match_rows(current_user.organisation_id),
                       message=message, category=category)
    if message:
        flash(message, category)
    return redirect(url_for(".settings_page") + "#members")
