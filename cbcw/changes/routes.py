"""Change pages: list, new/edit, detail (overview and timeline) and one POST per transition.

Views stay thin: parse a form, run an operation of `cbcw.changes.operations` through
`unit_of_work.apply`, render or redirect; `policy` decides which actions are offered. Every
query goes through `cbcw.tenancy`, so another organisation's change is a 404 on every URL.
"""
from dataclasses import dataclass
from functools import wraps
from typing import Callable

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from cbcw.accounts.permissions import editor_required
from cbcw.changes import (blackout_impact, catalogue, differences, list_export, operations, policy, queries,
                          requirements, risk, sorting, timeline_filter)
from cbcw.changes.approvals import approval_status
from cbcw.changes.errors import LifecycleError
from cbcw.changes.forms import (
    BLANK,
    ApproveForm,
    CancelForm,
    ChangeForm,
    CommentForm,
    CompleteForm,
    FailForm,
    FilterForm,
    RaiseRiskForm,
    RejectForm,
    ReviewForm,
    ScheduleForm,
    StartForm,
    SubmitForm,
    with_questionnaire,
)
from cbcw.changes.conflicts import OCCUPYING_STATES
from cbcw.changes.fields import LinkedTicket
from cbcw.changes.labels import APPROVAL_TITLES, KIND_LABELS, TYPE_LABELS
from cbcw.changes.models import RISKS, Change
from cbcw.changes.schedule_assist import schedule_assist
from cbcw.changes.schedule_check import check_schedule
from cbcw.changes.template_filters import device_links, highlight_mentions
from cbcw.changes.type_models import ChangeTemplate
from cbcw.changes.unit_of_work import apply
from cbcw.db import utcnow
from cbcw.extensions import db, htmx
from cbcw.integrations import registry
from cbcw.integrations.spec import TicketRefused, TicketSystem
from cbcw.main.forms import options
from cbcw.main.templating import user_zone
from cbcw.main.partials import render_partial_or_page, wants_partial
from cbcw.tenancy import get_or_404

bp = Blueprint("changes", __name__)
bp.add_app_template_filter(highlight_mentions, "mentions")
bp.add_app_template_global(device_links, "device_links")
bp.add_app_template_global(sorting.link_value, "sort_link_value")
bp.add_app_template_global(sorting.parse, "sort_of")
bp.add_app_template_global(lambda change, action: registry.current().previews(change, action, current_user),
                           "transition_previews")
bp.add_app_template_global(lambda change: registry.current().panels(change), "change_panels")
bp.add_app_template_global(registry.ticket_widget, "linked_ticket_widget")
bp.add_app_template_global(blackout_impact.caught_by, "changes_caught_by")


@dataclass(frozen=True)
class Transition:
    """A transition's form, the operation it runs and what the user is told when it is done."""

    form: type
    operation: Callable[..., None]
    done: str


# The URL is /changes/<id>/<action>.
TRANSITIONS = {
    "submit": Transition(SubmitForm, operations.submit, "Submitted for approval."),
    "approve": Transition(ApproveForm, operations.approve, "Approved as {kind}."),
    "reject": Transition(RejectForm, operations.reject, "Rejected as {kind}: the change is back in draft."),
    "schedule": Transition(ScheduleForm, operations.schedule, "Implementation window saved."),
    "start": Transition(StartForm, operations.start_implementation, "Implementation started."),
    "complete": Transition(CompleteForm, operations.complete, "Change completed."),
    "fail": Transition(FailForm, operations.fail, "Change marked as failed."),
    "cancel": Transition(CancelForm, operations.cancel, "Change cancelled."),
    "raise_risk": Transition(RaiseRiskForm, operations.raise_risk, "Risk raised."),
    "review": Transition(ReviewForm, operations.record_review, "Post-implementation review recorded."),
}
# Transitions that take more than a click open a panel under the action toolbar (?action=<panel>).
PANELS = ("decide", "schedule", "start", "complete", "fail", "cancel", "raise_risk", "review")
PANEL_OF = {"approve": "decide", "reject": "decide"}
TRANSITION_URL = "/changes/<int:change_id>/<any(" + ", ".join(TRANSITIONS) + "):action>"


# --- List ------------------------------------------------------------------------------------


@bp.get("/changes")
@login_required
def list_changes():
    form = FilterForm(formdata=request.args)
    form.company.choices = options([("", "Any company"), *((c.id, c.name) for c in queries.companies())])
    form.validate()  # an invalid filter shows its error beside the field and is left out
    stmt = queries.filtered_changes(current_user, **form.filters())
    if request.args.get("format") == "csv":
        return list_export.download(stmt)
    pagination = queries.page_of(stmt, form.page_number(), current_app.config["CHANGES_PER_PAGE"])
    return render_partial_or_page(
        "changes/_results.html", "changes/list.html", form=form, pagination=pagination, filters=form.query_args()
    )


@bp.app_context_processor
def my_work_counts() -> dict:
    """`awaiting_my_approval()` for the navigation: one COUNT, only on pages that show it."""
    return {"awaiting_my_approval": lambda: queries.awaiting_approval_count(current_user)}


# --- New and edit ----------------------------------------------------------------------------


def _change_form(change: Change | None = None, prefill: dict | None = None) -> ChangeForm:
    """The change form with the organisation's risk questions; `prefill` (a template's values)
    fills a new one."""
    questions = risk.questions(current_user.organisation_id)
    form = with_questionnaire(ChangeForm, questions)(obj=change, data=prefill)
    if not form.is_submitted():
        answers = change.risk_answers if change else (prefill or {}).get("risk_answers", {})
        for key in form.risk_keys:
            form[f"risk_{key}"].data = answers.get(key, "")
        if change is not None:  # the box says what the requester asked, beyond the policy
            form.requires_vcab.data = change.requires_vcab and "vcab" not in requirements.policy_kinds(
                change.organisation_id, change.change_type, change.risk)
    form.set_choices(
        queries.companies(include_id=change.company_id if change else None),
        queries.assignable_users(
            (change.implementer_id, change.technical_approver_id, change.operational_approver_id)
            if change else ()
        ),
    )
    return form


@bp.route("/changes/new", methods=["GET", "POST"])
@editor_required
def new_change():
    """A blank draft, or one pre-filled from a template (`?template=<id>`, PRODUCT §5)."""
    prefill = None
    if request.args.get("template") is not None:
        template_id = request.args.get("template", type=int)  # bounded: a huge id is None
        if template_id is None:
            abort(404)
        template = get_or_404(ChangeTemplate, template_id)
        version = catalogue.latest_approved(template)
        refusal = catalogue.usable_refusal(template)
        if refusal:
            flash(refusal + " A change started from it is a normal change.", "warning")
        if version is not None:
            prefill = catalogue.prefill(version, standard=refusal is None)
    return _change_form_page(None, prefill)


@bp.get("/changes/requirement")
@editor_required
def requirement():
    """The risk level and the approvals required for the form's current values (an htmx swap as
    the user answers; PRODUCT §2.8)."""
    form = _change_form(None)
    form.process(request.args)
    return render_template("changes/_requirement.html", **_requirement_context(form))


def _requirement_context(form: ChangeForm) -> dict:
    """What the form's questionnaire gives: the assessment (or why none yet) and the requirement."""
    assessment, problem = None, None
    answers = form.risk_answers()
    level = form.risk.data if form.risk.data in RISKS else "low"
    if answers:
        try:
            assessment = risk.assess(current_user.organisation_id, answers)
            level = assessment.level
        except LifecycleError as error:
            problem = str(error)
    change_type = form.change_type.data if form.change_type.data in TYPE_LABELS else "normal"
    needed = requirements.requirement(
        current_user.organisation_id, change_type, level, bool(form.requires_vcab.data),
        form.technical_approver_id.data is not None, form.operational_approver_id.data is not None)
    return {"assessment": assessment, "risk_problem": problem, "level": level, "needed": needed}


@bp.route("/changes/<int:change_id>/edit", methods=["GET", "POST"])
@editor_required
def edit_change(change_id: int):
    change = get_or_404(Change, change_id)
    if change.state != "draft":
        flash(f"{change.reference} is {change.state_label.lower()}: only a draft can be edited.", "error")
        return redirect(url_for(".detail", change_id=change.id))
    try:
        policy.require("edit", change, current_user)
    except LifecycleError as refusal:
        flash(str(refusal), "error")
        return redirect(url_for(".detail", change_id=change.id))
    return _change_form_page(change)


def _change_form_page(change: Change | None, prefill: dict | None = None):
    """Show the change form; on a valid POST create (change is None) or update, then redirect.

    The ticket field is the one of the ticket system the organisation uses (the first enabled
    for it, in INTEGRATIONS order); without one the form has no ticket field. A new or moved
    ticket link is checked by that system first; if it refuses (or cannot ask its PSA), the form
    comes back with everything typed and the reason.
    """
    form = _change_form(change, prefill)
    system = registry.current().system_for_organisation(current_user.organisation_id)
    ticket_error = None
    if form.validate_on_submit():
        try:
            relink, ticket = _ticket_to_link(form, change, system)
            if change is None:
                change = operations.create_change(
                    current_user.organisation_id, current_user, form.change_fields(), ticket=ticket
                )
                db.session.commit()
                done = "created as a draft"
            else:
                apply(_save_edit, change, current_user, fields=form.change_fields(), relink=relink, ticket=ticket)
                done = "saved"
        except TicketRefused as refused:
            ticket_error = str(refused)
        except LifecycleError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            flash(f"{change.reference} {done}.", "success")
            return redirect(url_for(".detail", change_id=change.id))
    else:
        ticket_error = form.ticket_error()
    ticket_field = system.field(current_user.organisation_id, form.company_id.data, form.chosen_ticket(change),
                                ticket_error) if system else Markup("")
    if ticket_error and not ticket_field:  # no field to show it beside
        form.form_errors.append(ticket_error)
    return render_template("changes/form.html", form=form, change=change, ticket_field=ticket_field,
                           **_requirement_context(form))


def _ticket_to_link(form: ChangeForm, change: Change | None,
                    system: TicketSystem | None) -> tuple[bool, LinkedTicket | None]:
    """(whether the link changes, the checked ticket to link or None to unlink).

    The ticket system is asked only when the ticket is new, or its change moves to another
    company, so other edits never wait on (or fail with) the PSA. Without a system the form
    has no ticket field: it leaves the link as it is, and refuses a ticket posted anyway.
    """
    chosen = form.chosen_ticket_id()
    current = change.linked_ticket_id if change else None
    moved = change is not None and form.company_id.data != change.company_id
    if chosen == current and not (chosen and moved):
        return False, None
    if system is None:
        if chosen is None:
            return False, None
        raise TicketRefused("No ticketing integration is set up, so no ticket can be linked.")
    if chosen is None:
        return True, None
    return True, system.check(current_user.organisation_id, form.company_id.data, chosen)


def _save_edit(change: Change, actor, fields, relink: bool, ticket: LinkedTicket | None) -> None:
    """The form's edits and, when it changed, the ticket link: one unit of work."""
    operations.update_change(change, actor, fields)
    if relink:
        operations.link_ticket(change, actor, ticket)


# --- Detail ----------------------------------------------------------------------------------


@bp.get("/changes/<int:change_id>")
@login_required
def detail(change_id: int):
    asked = request.args.get("tab")
    tab = asked if asked == "timeline" else "overview"
    change = queries.change_for_detail(change_id, tab)
    panels = registry.current().panels(change)
    if any(panel.tab == asked for panel in panels if panel.tab):
        tab = asked  # an integration's own tab (its panel loads from its URL)
    context = _detail_context(change, tab, open_panel=request.args.get("action"), panels=panels)
    # The action toolbar swaps only itself (opening a panel); the tabs swap the tab panel.
    partial = "changes/_actions.html" if htmx.target == "change-actions" else "changes/_tabs.html"
    return timeline_filter.remember(render_partial_or_page(partial, "changes/detail.html", **context))


def _detail_context(change: Change, tab: str, bound: tuple[str, object] | None = None,
                    open_panel: str | None = None, panels: list | None = None) -> dict:
    """What the detail page shows; `bound` is a posted form to show again with its errors."""
    allowed = policy.allowed_actions(change, current_user)
    forms = _action_forms(change, allowed, bound)
    if bound:
        open_panel = PANEL_OF.get(bound[0], bound[0])
    context = {
        "change": change, "tab": tab, "allowed": allowed, "kind_labels": KIND_LABELS, "type_labels": TYPE_LABELS,
        "approval_titles": APPROVAL_TITLES, "forms": forms,
        "open_panel": open_panel if open_panel in PANELS and open_panel in forms else None,
        # Starting outside the window asks first: it is posted to the ticket and dates the reports.
        "start_off_window": change.window_position(utcnow()) if "start" in forms else None,
        "panels": registry.current().panels(change) if panels is None else panels,
    }
    if context["open_panel"] == "start" and not context["start_off_window"]:
        context["open_panel"] = None  # inside the window Start is one button, no panel
    if context["open_panel"] == "schedule":  # "Suggest a window", and a suggested slot filling the form
        context.update(schedule_assist(change, forms["schedule"], request.args, user_zone(), utcnow()))
    if tab == "timeline":
        context["timeline"] = timeline_filter.shown(queries.timeline(change))
    elif tab == "overview":
        context["approvals"] = approval_status(change)
        context["template_differences"] = differences.from_template(change)
    context["schedule_check"] = (check_schedule(change, change.window_start, change.window_end, change.implementer_id)
                                 if change.state in OCCUPYING_STATES and change.window_start and change.window_end
                                 else None)
    return context


def _action_forms(change: Change, allowed: frozenset[str], bound: tuple[str, object] | None) -> dict:
    """The forms this user may use now, by panel ("decide" holds approve and reject); `bound`
    replaces a fresh one."""
    if not allowed:
        return {}
    allowed = set(allowed)
    if "reschedule" in allowed:
        allowed.add("schedule")
    kinds = policy.decision_kinds(change, current_user)
    bound_action, bound_form = bound or (None, None)
    forms = {}
    for action in [*TRANSITIONS, "comment"]:
        panel = PANEL_OF.get(action, action)
        if action not in allowed or panel in forms:
            continue
        form = bound_form if PANEL_OF.get(bound_action, bound_action) == panel else _blank_form(action, change)
        _set_form_choices(action, form, change, kinds)
        forms[panel] = form
    return forms


def _blank_form(action: str, change: Change):
    form_class = CommentForm if action == "comment" else TRANSITIONS[action].form
    if action == "schedule":
        return form_class(prefix=_prefix(action), formdata=None, obj=change)
    return form_class(prefix=_prefix(action), formdata=None)


def _prefix(action: str) -> str:
    """Approve and reject share one form (one comment box, two buttons), so one field prefix."""
    return "decision" if PANEL_OF.get(action) == "decide" else action


def _set_form_choices(action: str, form, change: Change, kinds: list[str] | None = None) -> None:
    if action in ("approve", "reject") and kinds is not None:
        form.kind.choices = options((kind, KIND_LABELS[kind]) for kind in kinds)
    elif action == "raise_risk":
        form.risk.choices = [choice for choice in form.risk.choices if risk.is_higher(choice.value, change.risk)]
    elif action == "schedule":
        people = queries.assignable_users((change.implementer_id,))
        form.implementer_id.choices = options([BLANK, *((u.id, u.display_name) for u in people)])
        form.change = change


# --- Transitions and comments ----------------------------------------------------------------


def back_to_the_change_on_get(tab: str | None = None):
    """A POST-only change URL answers a GET (a reload after a refusal, a typed URL) by going back
    to the change page, instead of a 405. One rule serves both methods, so an id beyond the
    column is still a 404."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(change_id: int, **kwargs):
            if request.method == "GET":
                return redirect(url_for(".detail", change_id=get_or_404(Change, change_id).id, tab=tab))
            return view(change_id, **kwargs)

        return wrapped

    return decorator


@bp.route(TRANSITION_URL, methods=["GET", "POST"])
@back_to_the_change_on_get()
@editor_required
def transition(change_id: int, action: str):
    change = get_or_404(Change, change_id)
    step = TRANSITIONS[action]
    form = step.form(prefix=_prefix(action))
    _set_form_choices(action, form, change)
    if form.validate_on_submit():
        arguments = form.arguments()
        try:
            apply(step.operation, change, current_user, **arguments)
        except LifecycleError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            message = step.done.format(kind=KIND_LABELS.get(arguments.get("kind"), ""))
            if action == "approve" and change.state == "approved":
                message += " The change is now fully approved."
            elif action == "submit" and change.state == "approved":  # a standard change: pre-approved
                message = "Submitted and approved: this change needs no approval round. Schedule it next."
            flash(message, "warning" if action == "fail" else "success")  # a failure is never good news
            return redirect(url_for(".detail", change_id=change.id))
    # Invalid or refused: show the page again with what was typed and why.
    return render_template("changes/detail.html", **_detail_context(change, "overview", (action, form)))


@bp.get("/changes/<int:change_id>/schedule/check")
@editor_required
def schedule_check(change_id: int):
    """What the window the schedule form holds meets, asked by the form as it is filled in: the
    conflicts, blackouts and maintenance windows the save will weigh, and the implementer's other
    bookings in the integrations' people schedules (ConnectWise). Those are what the user asked to
    see; the save itself never waits on ConnectWise (PRODUCT §3.8)."""
    change = get_or_404(Change, change_id)
    if not {"schedule", "reschedule"} & policy.allowed_actions(change, current_user):
        abort(403)
    form = ScheduleForm(formdata=request.args, prefix="schedule", meta={"csrf": False})
    _set_form_choices("schedule", form, change)
    form.change = None  # the fields alone: what the window meets is asked below, the people schedules too
    check = answer = None
    if form.validate():
        start, end = form.utc_window()
        implementer_id = form.implementer_id.data
        check = check_schedule(change, start, end, implementer_id)
        if implementer_id is not None:
            answer = registry.current().busy_elsewhere(change.organisation_id, implementer_id, start, end,
                                                       change.linked_ticket_id)
    return render_template("changes/_schedule_check.html", check=check, answer=answer)


@bp.route("/changes/<int:change_id>/comments", methods=["GET", "POST"])
@back_to_the_change_on_get(tab="timeline")
@editor_required
def add_comment(change_id: int):
    change = get_or_404(Change, change_id)
    form = CommentForm(prefix="comment")
    if form.validate_on_submit():
        try:
            apply(operations.add_comment, change, current_user, **form.arguments())
        except LifecycleError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            if not wants_partial():
                flash("Comment added.", "success")
                return redirect(url_for(".detail", change_id=change.id, tab="timeline"))
            form = None  # a fresh, empty form under the new entry
    context = _detail_context(change, "timeline", ("comment", form) if form else None)
    return render_partial_or_page("changes/_timeline.html", "changes/detail.html", **context)
