"""The operations of a change's life (PRODUCT §2.2): create, edit, every transition, comments.

Each operation asks `policy` first and refuses with a `LifecycleError` before touching
anything. When allowed it changes the rows, writes the timeline, bumps the change row (so the
optimistic `version` check catches a concurrent writer), flushes, and only then sends its signal
(sender = the change, before commit). Operations never commit: `unit_of_work.apply` does,
retrying once after a concurrent update; `create_change` leaves the commit to its caller.

Values arrive typed (`ChangeFields`, datetimes, ids): forms parse and bound what people type;
the rules that need the database or the change's state are enforced here.
"""
from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy.orm.attributes import flag_modified

from cbcw.accounts.models import User
from cbcw.changes import catalogue, policy, requirements, signals, timeline
from cbcw.changes.approvals import active_ecab_members, approval_status, vcab_board_too_small, vcab_voters
from cbcw.changes.errors import LifecycleError
from cbcw.changes.fields import ChangeFields, LinkedTicket, window_problem
from cbcw.changes.labels import APPROVAL_TITLES, FIELD_LABELS, KIND_LABELS, spoken_list
from cbcw.changes.mentions import mentioned_names, resolve_mentions, sync_mentions
from cbcw.changes.models import CHANGE_TYPES, RISKS, Approval, Change
from cbcw.changes.risk import assess, is_higher
from cbcw.changes.type_models import ChangeReview
from cbcw.changes.numbering import next_change_number
from cbcw.changes.schedule_check import blackout_refusal, window_check
from cbcw.db import utcnow
from cbcw.extensions import db
from cbcw.organisations.models import Company

PERSON_FIELDS = ("technical_approver_id", "operational_approver_id", "implementer_id")
# Written with the fields, from the risk answers; never named on their own in "Updated …".
DERIVED_FIELDS = ("risk_score", "risk_drivers")


# --- checks on the values ---------------------------------------------------------------------


def _utc(name: str, value: Optional[datetime]) -> Optional[datetime]:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise LifecycleError(f"The {FIELD_LABELS[name]} must be a date and time with a timezone.")
    return value.astimezone(timezone.utc)


def _require_window(start: Optional[datetime], end: Optional[datetime]) -> None:
    problem = window_problem(start, end)
    if problem:
        raise LifecycleError(problem)


def _org_person(organisation_id: int, user_id: int, label: str) -> User:
    """An active, non-viewer user of the organisation, or a refusal."""
    user = db.session.get(User, user_id)
    if user is None or user.organisation_id != organisation_id:
        raise LifecycleError(f"The {label} must be a user of your organisation.")
    if not user.active:
        raise LifecycleError(f"The {label} ({user.display_name}) is not an active user.")
    if user.role == "viewer":
        raise LifecycleError(f"The {label} ({user.display_name}) is a viewer and cannot act on changes.")
    return user


def _org_company(organisation_id: int, company_id: int) -> Company:
    company = db.session.get(Company, company_id)
    if company is None or company.organisation_id != organisation_id:
        raise LifecycleError("The company must be one of your organisation's companies.")
    if not company.active:
        raise LifecycleError(f"The company {company.name} is inactive.")
    return company


def _checked(organisation_id: int, requester_id: int, fields: ChangeFields,
             current: Optional[Change]) -> dict[str, Any]:
    """The fields as column values, refused if they break a rule.

    The company and people are only checked when they are new to the change, so a draft whose
    approver has since left can still be edited in other ways (submit checks them again).
    """
    values = {name: getattr(fields, name) for name in ChangeFields.names()}
    values["title"] = (fields.title or "").strip()
    if fields.change_type not in CHANGE_TYPES:
        raise LifecycleError("The type must be normal, standard or emergency.")
    values.update(_risk(organisation_id, fields))
    for name in ("window_start", "window_end"):
        values[name] = _utc(name, values[name])
    _require_window(values["window_start"], values["window_end"])
    policy.require_separate_approvers(
        organisation_id, requester_id, values["technical_approver_id"], values["operational_approver_id"]
    )

    def is_new(name: str) -> bool:
        return values[name] is not None and (current is None or getattr(current, name) != values[name])

    if is_new("company_id"):
        _org_company(organisation_id, values["company_id"])
    for name in PERSON_FIELDS:
        if is_new(name):
            _org_person(organisation_id, values[name], FIELD_LABELS[name])
    _check_template(organisation_id, values, current)
    values["requires_vcab"] = requirements.vcab_needed(
        organisation_id, values["change_type"], values["risk"], bool(fields.requires_vcab))
    return values


def _risk(organisation_id: int, fields: ChangeFields) -> dict[str, Any]:
    """The risk level, from the questionnaire's answers when given (with its score and the
    answers that drove it), else as given."""
    if fields.risk_answers:
        assessment = assess(organisation_id, dict(fields.risk_answers))
        return {"risk": assessment.level, "risk_answers": dict(fields.risk_answers),
                "risk_score": assessment.score, "risk_drivers": assessment.drivers}
    if fields.risk not in RISKS:
        raise LifecycleError("Risk must be low, medium or high.")
    return {"risk_answers": {}, "risk_score": None, "risk_drivers": []}


def _check_template(organisation_id: int, values: dict[str, Any], current: Optional[Change]) -> None:
    """A standard change comes from the latest approved version of a usable template and is no
    riskier than it; any change may keep the template version it was started from."""
    version_id = values["template_version_id"]
    unchanged = current is not None and (current.change_type, current.template_version_id) == (
        values["change_type"], version_id)
    if values["change_type"] == "standard":
        version = current.template_version if unchanged else catalogue.require_standard_source(
            organisation_id, version_id, values["company_id"])
        if is_higher(values["risk"], version.risk):
            raise LifecycleError(
                f"These risk answers make the change {values['risk']} risk, more than its template "
                f"({version.risk}): make it a normal change so it is approved.")
    elif version_id is not None and not unchanged:
        version = catalogue.template_version(version_id)
        if version is None or version.organisation_id != organisation_id:
            raise LifecycleError("That template is not one of your organisation's.")


# --- writing ----------------------------------------------------------------------------------


def _bump(change: Change) -> None:
    """Make this transaction write the change row, so its version check catches a rival writer."""
    change.updated_at = utcnow()
    flag_modified(change, "updated_at")


def _send(signal, change: Change, actor: Optional[User], **extras: Any) -> None:
    signal.send(change, change_id=change.id, actor_id=actor.id if actor else None, **extras)


def _set_ticket(change: Change, actor: User, ticket: Optional[LinkedTicket]) -> LinkedTicket | None:
    """Store the link and write its timeline entry; returns the previously linked ticket (id and system)."""
    previous = _current_ticket(change)
    previous_id = previous.id if previous else None
    change.linked_ticket_id = ticket.id if ticket else None
    change.linked_ticket_system = ticket.system if ticket else None
    change.linked_ticket_summary = ticket.summary if ticket else None
    change.linked_ticket_board = ticket.board if ticket else None
    change.linked_ticket_status = ticket.status if ticket else None
    if ticket is None:
        timeline.record(
            change, actor, "ticket_unlinked", f"Unlinked ticket #{previous_id}",
            previous_ticket_id=previous_id,
        )
    else:
        timeline.record(
            change, actor, "ticket_linked", f"Linked ticket #{ticket.id}",
            ticket_id=ticket.id, previous_ticket_id=previous_id,
            summary=ticket.summary, board=ticket.board,
        )
    return previous


def _current_ticket(change: Change) -> Optional[LinkedTicket]:
    if change.linked_ticket_id is None:
        return None
    return LinkedTicket(change.linked_ticket_id, system=change.linked_ticket_system)


def _same_ticket(one: Optional[LinkedTicket], other: Optional[LinkedTicket]) -> bool:
    """The same ticket of the same system (or both none); what was seen of it does not matter."""
    def key(ticket):
        return (ticket.id, ticket.system) if ticket else None
    return key(one) == key(other)


def _send_linked(change: Change, actor: User, ticket: LinkedTicket, previous: LinkedTicket | None) -> None:
    _send(signals.ticket_linked, change, actor, ticket_id=ticket.id, ticket_system=ticket.system,
          previous_ticket_id=previous.id if previous else None,
          previous_ticket_system=previous.system if previous else None)


def create_change(
    organisation_id: int, actor: User, fields: ChangeFields, ticket: Optional[LinkedTicket] = None
) -> Change:
    """Create a draft change with the next number of the organisation; the caller commits.

    Checks the fields (company, approvers and implementer must belong to the organisation),
    links `@hostname` mentions, writes the "created" timeline entry and sends `change_created`
    (and `ticket_linked` when a ticket is given). Nothing is written when it refuses.
    """
    policy.require_creator(organisation_id, actor)
    values = _checked(organisation_id, actor.id, fields, None)
    change = Change(organisation_id=organisation_id, created_by_id=actor.id, state="draft",
                    approval_round=1, **values)
    # Unresolved names go in with the insert, so a new change starts at version 1.
    change.unresolved_mentions = resolve_mentions(
        organisation_id, change.company_id, mentioned_names(change)
    )[1]
    change.number = next_change_number(organisation_id)
    db.session.add(change)
    db.session.flush()
    timeline.record(change, actor, "created", f"Created {change.reference}", number=change.number)
    sync_mentions(change, actor)
    if ticket is not None:
        _set_ticket(change, actor, ticket)
    db.session.flush()
    _send(signals.change_created, change, actor)
    if ticket is not None:
        _send_linked(change, actor, ticket, None)
    return change


def update_change(change: Change, actor: User, fields: ChangeFields) -> Change:
    """Edit a draft to these values. A call that changes nothing writes nothing."""
    policy.require("edit", change, actor)
    values = _checked(change.organisation_id, change.created_by_id, fields, change)
    changed = [name for name, value in values.items() if getattr(change, name) != value]
    if not changed:
        return change
    for name in changed:
        setattr(change, name, values[name])
    _bump(change)
    timeline.record(
        change, actor, "updated",
        "Updated " + ", ".join(FIELD_LABELS[name] for name in changed if name not in DERIVED_FIELDS),
        fields=changed,
    )
    sync_mentions(change, actor)
    db.session.flush()
    return change


def link_ticket(change: Change, actor: User, ticket: Optional[LinkedTicket]) -> None:
    """Link the change to a ticket (or unlink it with None) until it is completed or cancelled;
    linking sends `ticket_linked`. The caller has had the ticket checked by its integration.

    Linking the ticket already linked (same id, same system) is a no-op (no entry, no signal).
    """
    policy.require("link_ticket", change, actor)
    if _same_ticket(ticket, _current_ticket(change)):
        return
    previous = _set_ticket(change, actor, ticket)
    _bump(change)
    db.session.flush()
    if ticket is not None:
        _send_linked(change, actor, ticket, previous)


def submit(change: Change, actor: User) -> None:
    """Draft → pending approval, once the change names its company and the approvers its type
    and risk need (PRODUCT §2.8). A change that needs no approval (a standard change, or a
    normal one the policy asks none of) goes straight to approved."""
    policy.require("submit", change, actor)
    by_policy = requirements.policy_kinds(change.organisation_id, change.change_type, change.risk)
    missing = [
        label for label, present in (
            ("a title", bool((change.title or "").strip())),
            ("a company", change.company_id is not None),
            ("a technical approver", "technical" not in by_policy or change.technical_approver_id is not None),
            ("an operational approver", "operational" not in by_policy or change.operational_approver_id is not None),
        ) if not present
    ]
    if missing:
        raise LifecycleError("Before submitting, give the change " + spoken_list(missing) + ".")
    if change.change_type == "standard":
        version = catalogue.require_standard_source(change.organisation_id, change.template_version_id,
                                                    change.company_id, new=False)
        catalogue.require_template_plans(change, version)
    _require_approvers(change)
    needed = requirements.of_change(change).kinds
    if not needed:
        _approve_on_submit(change, actor)
        return
    change.state = "pending_approval"
    _bump(change)
    timeline.record(change, actor, "submitted", "Submitted for approval", round=change.approval_round)
    db.session.flush()
    _send(signals.change_submitted, change, actor)


def _require_approvers(change: Change, risk: Optional[str] = None) -> None:
    """The people who will decide can: named approvers active, duties separated, an ECAB
    member besides the requester, a vCAB whose eligible members are at least half the board.
    `risk`: the level the change is about to have (its own by default)."""
    for name in ("technical_approver_id", "operational_approver_id"):
        if getattr(change, name) is not None:
            _org_person(change.organisation_id, getattr(change, name), FIELD_LABELS[name])
    policy.require_separate_approvers(
        change.organisation_id, change.created_by_id,
        change.technical_approver_id, change.operational_approver_id,
    )
    if change.change_type == "emergency" and not any(
            member.id != change.created_by_id for member in active_ecab_members(change.organisation_id)):
        raise LifecycleError(
            "An emergency change needs an ECAB member other than its requester, and your organisation has "
            "none: an admin marks emergency approvers in Settings → Users."
        )
    needs_vcab = change.requires_vcab or "vcab" in requirements.policy_kinds(
        change.organisation_id, change.change_type, risk or change.risk)
    if needs_vcab and not vcab_voters(change):
        raise LifecycleError(
            "This change requires vCAB approval, but your organisation has no active vCAB members "
            "whose vote can count (the requester's and the approvers' votes do not)."
        )
    if needs_vcab and vcab_board_too_small(change):
        raise LifecycleError(
            "Too few vCAB members could vote on this change: its requester and approvers do not vote, and "
            "fewer than half of the active board would be left. Choose approvers from outside the vCAB."
        )
    change.requires_vcab = needs_vcab  # set after the checks' queries: one write of the change


def _approve_on_submit(change: Change, actor: User) -> None:
    version = change.template_version
    message = (f"Approved as a standard change from template “{version.label}”"
               if change.change_type == "standard" and version is not None
               else "Approved on submit: the approval policy asks no approval of this change")
    change.state = "approved"
    _bump(change)
    timeline.record(change, actor, "submitted", "Submitted", round=change.approval_round)
    timeline.record(change, actor, "fully_approved", message, round=change.approval_round,
                    template_version_id=change.template_version_id)
    db.session.flush()
    _send(signals.change_fully_approved, change, actor)


def raise_risk(change: Change, actor: User, risk: str, reason: str) -> None:
    """An approver raises (never lowers) the risk of a change awaiting approval, with a reason;
    the approvals the new level needs are asked for in the same round."""
    policy.require_risk_raise(change, actor)
    reason = _required(reason, "Say why you raise the risk.")
    if not is_higher(risk, change.risk):
        raise LifecycleError(f"Choose a risk higher than {change.risk}: risk is raised, never lowered.")
    missing = [FIELD_LABELS[f"{kind}_approver_id"] for kind in ("technical", "operational")
               if kind in requirements.policy_kinds(change.organisation_id, change.change_type, risk)
               and getattr(change, f"{kind}_approver_id") is None]
    if missing:
        raise LifecycleError(
            f"At {risk} risk this change needs an {spoken_list(missing)}, and it has none: reject it instead, "
            "so the requester names one.")
    _require_approvers(change, risk)
    previous, change.risk = change.risk, risk  # after the checks' queries: one write of the change
    _bump(change)
    timeline.record(change, actor, "risk_raised", f"Raised the risk from {previous} to {risk}: {reason}",
                    previous=previous, risk=risk, reason=reason)
    db.session.flush()


def _decide(change: Change, actor: User, kind: str, decision: str, comment: str) -> Approval:
    """The decision, recorded as the approver's even when their delegate gives it (`decided_by`)."""
    approver_id = policy.decides_for(change, actor, kind)
    approval = Approval(
        organisation_id=change.organisation_id, change=change, round=change.approval_round,
        kind=kind, approver_id=approver_id, decision=decision, comment=comment, decided_at=utcnow(),
        self_approved=decision == "approved" and policy.is_self_approval(change, actor),
        decided_by_id=actor.id if approver_id != actor.id else None,
    )
    db.session.add(approval)
    _bump(change)
    return approval


def _for_whom(approval: Approval, actor: User) -> str:
    """" by X for Y" when a delegate decided, for the timeline."""
    if approval.decided_by_id is None:
        return ""
    return f" by {actor.display_name} for {db.session.get(User, approval.approver_id).display_name}"


def approve(change: Change, actor: User, kind: str, comment: str = "") -> None:
    """Record the actor's `kind` approval; the last one needed makes the change approved."""
    policy.require_decision(change, actor, kind)
    comment = (comment or "").strip()
    approval = _decide(change, actor, kind, "approved", comment)
    delegated = _for_whom(approval, actor)
    title = APPROVAL_TITLES[kind] + (f": approved{delegated}" if delegated else "") + (
        " (self-approved)" if approval.self_approved else "")
    timeline.record(
        change, actor, "approved", title,
        kind=kind, comment=comment, round=change.approval_round, self_approved=approval.self_approved,
        **({"for_user_id": approval.approver_id} if approval.decided_by_id else {}),
    )
    completed = approval_status(change).fully_approved
    if completed:
        change.state = "approved"
        timeline.record(change, None, "fully_approved", "Fully approved", round=change.approval_round)
    db.session.flush()  # a concurrent approver's version conflict surfaces here, before any signal
    _send(signals.approval_recorded, change, actor, approval_id=approval.id, kind=kind, comment=comment)
    if completed:
        _send(signals.change_fully_approved, change, actor)


def reject(change: Change, actor: User, kind: str, comment: str) -> None:
    """Record a rejection: the change goes back to draft and the next submit starts a new round."""
    policy.require_decision(change, actor, kind)
    comment = _required(comment, "Please say why you reject this change.")
    approval = _decide(change, actor, kind, "rejected", comment)
    rejected_round = change.approval_round
    change.state = "draft"
    change.approval_round = rejected_round + 1
    timeline.record(
        change, actor, "rejected", f"Rejected as {KIND_LABELS[kind]}{_for_whom(approval, actor)}: {comment}",
        kind=kind, comment=comment, round=rejected_round,
        **({"for_user_id": approval.approver_id} if approval.decided_by_id else {}),
    )
    db.session.flush()
    _send(signals.change_rejected, change, actor, approval_id=approval.id, kind=kind, comment=comment)


def schedule(
    change: Change, actor: User, window_start: Optional[datetime], window_end: Optional[datetime],
    implementer_id: Optional[int], blackout_override: str = "", kept_conflicts: tuple[str, ...] = (),
) -> None:
    """Approved or failed → scheduled; while scheduled, update the window and implementer.

    A window in a blackout is refused for a standard or normal change; an emergency change may
    take it with `blackout_override` (its reason), recorded on the timeline and on the change.
    `kept_conflicts` are the conflicts "Schedule anyway" kept, recorded too (PRODUCT §2.5).
    Rescheduling to exactly the same window and implementer is a no-op (no entry, no signal).
    """
    policy.require("schedule", change, actor)
    start = _utc("window_start", window_start)
    end = _utc("window_end", window_end)
    if start is None or end is None:
        raise LifecycleError("Give the implementation window's start and end.")
    _require_window(start, end)
    if implementer_id is None:
        raise LifecycleError("Choose who implements the change.")
    implementer = _org_person(change.organisation_id, implementer_id, "implementer")
    found = window_check(change, start, end)
    refusal = blackout_refusal(change, found, blackout_override)
    if refusal:
        raise LifecycleError(refusal)
    override = blackout_override.strip() if found.blackouts else ""
    rescheduled = change.state == "scheduled"
    if rescheduled and (change.window_start, change.window_end, change.implementer_id) == (
        start, end, implementer_id
    ):
        return
    previous = {
        "previous_window_start": change.window_start,
        "previous_window_end": change.window_end,
        "previous_implementer_id": change.implementer_id,
    } if rescheduled else {}
    change.window_start, change.window_end, change.implementer_id = start, end, implementer_id
    change.blackout_override = override
    change.state = "scheduled"
    _bump(change)
    notes = {"blackout_override": override, "blackouts": found.blackout_names} if override else {}
    if found.outside_maintenance:
        notes["outside_maintenance"] = found.maintenance_names
    if kept_conflicts:
        notes["conflicts_kept"] = list(kept_conflicts)
    timeline.record(
        change, actor, "rescheduled" if rescheduled else "scheduled",
        f"{'Rescheduled' if rescheduled else 'Scheduled'}, implementer {implementer.display_name}"
        + (f"; overrides the blackout {found.blackout_names}: {override}" if override else "")
        + (f"; kept conflicts with {', '.join(kept_conflicts)}" if kept_conflicts else ""),
        window_start=start, window_end=end, implementer_id=implementer_id, **previous, **notes,
    )
    db.session.flush()
    _send(
        signals.change_scheduled, change, actor,
        window_start=start, window_end=end, implementer_id=implementer_id, rescheduled=rescheduled,
    )


def start_implementation(change: Change, actor: User) -> None:
    """Scheduled → in progress; the actor becomes the recorded implementer."""
    policy.require("start", change, actor)
    started_at = utcnow()
    scheduled_implementer_id = change.implementer_id
    change.state = "in_progress"
    change.actual_start_at = started_at
    change.implementer_id = actor.id
    _bump(change)
    timeline.record(
        change, actor, "started", "Implementation started",
        started_at=started_at, implementer_id=actor.id,
        scheduled_implementer_id=scheduled_implementer_id,
    )
    db.session.flush()
    _send(signals.implementation_started, change, actor, started_at=started_at, implementer_id=actor.id)


def _required(value: Optional[str], message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise LifecycleError(message)
    return value


def _finish(change: Change, actor: User, action: str, outcome: str, message: str,
            texts: dict[str, tuple[Optional[str], str]], signal) -> None:
    """In progress → completed or failed, with its two required texts ({field: (value, refusal)})."""
    policy.require(action, change, actor)
    values = {name: _required(value, refusal) for name, (value, refusal) in texts.items()}
    change.state = outcome
    for name, value in values.items():
        setattr(change, name, value)
    change.actual_end_at = utcnow()
    _bump(change)
    timeline.record(change, actor, outcome, message, **values)
    db.session.flush()
    _send(signal, change, actor, **values)


def complete(change: Change, actor: User, completion_notes: str, test_results: str) -> None:
    """In progress → completed, with completion notes and test results."""
    _finish(change, actor, "complete", "completed", "Completed", {
        "completion_notes": (completion_notes, "Completion notes are required."),
        "test_results": (test_results, "Test results are required."),
    }, signals.change_completed)


def fail(change: Change, actor: User, failure_reason: str, rollback_notes: str) -> None:
    """In progress → failed, with the failure reason and rollback notes; it may be rescheduled.
    A failed standard change suspends its template until an admin reviews it."""
    _finish(change, actor, "fail", "failed", "Failed - rollback required", {
        "failure_reason": (failure_reason, "A failure reason is required."),
        "rollback_notes": (rollback_notes, "Rollback notes are required."),
    }, signals.change_failed)
    if catalogue.suspend_after_failure(change):
        timeline.record(change, None, "template_suspended",
                        f"Template “{change.template_version.template.name}” suspended until an admin reviews it")
        db.session.flush()


REVIEW_TEXTS = {
    "what_was_done": "Say what was done.",
    "why_urgent": "Say why it could not wait.",
    "outcome": "Describe the outcome.",
    "follow_ups": "List the follow-up actions (or write “none”).",
}


def record_review(change: Change, actor: User, what_was_done: str, why_urgent: str, outcome: str,
                  follow_ups: str) -> ChangeReview:
    """The post-implementation review of an emergency change that completed or failed; once
    recorded, the change counts as closed (PRODUCT §2.7). Sends `review_recorded`."""
    policy.require("review", change, actor)
    if change.change_type != "emergency":
        raise LifecycleError("Only emergency changes have a post-implementation review.")
    if change.review is not None:
        raise LifecycleError("This change's review is already recorded.")
    given = dict(what_was_done=what_was_done, why_urgent=why_urgent, outcome=outcome, follow_ups=follow_ups)
    values = {name: _required(given[name], refusal) for name, refusal in REVIEW_TEXTS.items()}
    review = ChangeReview(organisation_id=change.organisation_id, change_id=change.id, author_id=actor.id,
                          created_at=utcnow(), **values)
    db.session.add(review)
    _bump(change)
    timeline.record(change, actor, "reviewed", "Post-implementation review recorded", **values)
    db.session.flush()  # a second review at the same moment breaks the unique change_id here
    db.session.expire(change, ["review"])
    _send(signals.review_recorded, change, actor, **values)
    return review


def cancel(change: Change, actor: User, reason: str) -> None:
    """Draft, pending approval, approved or scheduled → cancelled, with a reason."""
    policy.require("cancel", change, actor)
    reason = _required(reason, "Please give a reason for cancelling.")
    previous_state = change.state
    change.state = "cancelled"
    change.cancel_reason = reason
    _bump(change)
    timeline.record(change, actor, "cancelled", f"Cancelled: {reason}",
                    reason=reason, previous_state=previous_state)
    db.session.flush()
    _send(signals.change_cancelled, change, actor, reason=reason, previous_state=previous_state)


def add_comment(change: Change, actor: User, text: str) -> None:
    """A comment on the timeline, in any state (no signal).

    Only a timeline row is inserted; the change row is left alone, so comments never conflict
    with each other or with a transition (its version is not bumped).
    """
    policy.require("comment", change, actor)
    text = _required(text, "Write a comment first.")
    timeline.record(change, actor, "comment", text)
    db.session.flush()
