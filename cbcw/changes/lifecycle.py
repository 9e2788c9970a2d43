"""The life of a change (PRODUCT §2.2): every state transition, approval and comment.

Each operation checks the rules first and refuses with a `LifecycleError` (whose text is the
message for the user) before touching anything. When allowed it changes the rows, writes the
timeline, bumps the change row (so the optimistic `version` check catches a concurrent writer),
flushes, and only then sends its signal (sender = the change, before commit). Operations never
commit: `apply()` does, retrying once after a concurrent update; `create_change()` leaves the
commit to its caller.

Who may do what:
- viewers, inactive users and users of another organisation: nothing;
- edit, submit, schedule, reschedule, cancel, comment: admin, msp, engineer;
- approve/reject: the technical approver (kind "technical"), the operational approver
  ("operational") and active vCAB members ("vcab", only when the change requires vCAB);
- start, complete, fail: the implementer, or admin/msp.
"""
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from cbcw.accounts.models import User
from cbcw.changes import signals, timeline
from cbcw.changes.mentions import mentioned_names, resolve_mentions, sync_mentions
from cbcw.changes.models import APPROVAL_KINDS, RISKS, STATE_LABELS, Approval, Change
from cbcw.changes.numbering import next_change_number
from cbcw.db import utcnow
from cbcw.extensions import db
from cbcw.organisations.models import Company

log = logging.getLogger(__name__)

EDITOR_ROLES = frozenset({"admin", "msp", "engineer"})
MANAGER_ROLES = frozenset({"admin", "msp"})
ACTIONS = frozenset(
    {"edit", "submit", "approve", "reject", "schedule", "reschedule", "start", "complete",
     "fail", "cancel", "comment"}
)
CANCELLABLE_STATES = ("draft", "pending_approval", "approved", "scheduled")
CONFLICT_MESSAGE = "Someone else updated this change a moment ago"

TEXT_FIELDS = ("description", "reason", "impact", "implementation_plan", "rollback_plan", "test_plan")
PERSON_FIELDS = ("technical_approver_id", "operational_approver_id", "implementer_id")
EDITABLE_FIELDS = (
    "title", "company_id", *TEXT_FIELDS, "risk", *PERSON_FIELDS, "requires_vcab",
    "window_start", "window_end", "cw_ticket_id", "cw_ticket_summary", "cw_ticket_board",
)
FIELD_LABELS = {
    "title": "title", "company_id": "company", "description": "description", "reason": "reason",
    "risk": "risk", "impact": "impact", "implementation_plan": "implementation plan",
    "rollback_plan": "rollback plan", "test_plan": "test plan",
    "technical_approver_id": "technical approver", "operational_approver_id": "operational approver",
    "implementer_id": "implementer", "requires_vcab": "vCAB requirement",
    "window_start": "window start", "window_end": "window end",
    "cw_ticket_id": "ConnectWise ticket", "cw_ticket_summary": "ticket summary",
    "cw_ticket_board": "ticket board",
}
KIND_LABELS = {"technical": "technical", "operational": "operational", "vcab": "vCAB"}
APPROVAL_TITLES = {"technical": "Technical approval", "operational": "Operational approval", "vcab": "vCAB approval"}


class LifecycleError(Exception):
    """An action refused by the rules; str(e) is the clear message shown to the user."""


# --- who and when -----------------------------------------------------------------------------


def _state_phrase(change: Change) -> str:
    return STATE_LABELS[change.state].lower()


def _require_access(change: Change, user: User) -> None:
    if user is None or user.organisation_id != change.organisation_id or not user.active:
        raise LifecycleError("You do not have access to this change.")
    if user.role == "viewer":
        raise LifecycleError("Viewers can look at changes but not act on them.")


def _require_editor(change: Change, user: User, doing: str) -> None:
    _require_access(change, user)
    if user.role not in EDITOR_ROLES:
        raise LifecycleError(f"Your role does not allow you to {doing}.")


def _require_implementer(change: Change, user: User, doing: str) -> None:
    _require_access(change, user)
    if user.id != change.implementer_id and user.role not in MANAGER_ROLES:
        raise LifecycleError(f"Only the implementer, an admin or an MSP user can {doing}.")


def _require_state(change: Change, states: tuple[str, ...], doing: str) -> None:
    if change.state not in states:
        allowed = _join([STATE_LABELS[s].lower() for s in states], "or")
        raise LifecycleError(
            f"You can only {doing} a change that is {allowed}; this one is {_state_phrase(change)}."
        )


def _current_round(change: Change) -> list[Approval]:
    return [a for a in change.approvals if a.round == change.approval_round]


def _decision_by(change: Change, user: User, kind: str) -> Optional[Approval]:
    for approval in _current_round(change):
        if approval.kind == kind and approval.approver_id == user.id:
            return approval
    return None


def active_vcab_members(organisation_id: int) -> list[User]:
    """The organisation's active vCAB members who can act (viewers cannot approve)."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.organisation_id == organisation_id,
                User.vcab_member.is_(True),
                User.active.is_(True),
                User.role != "viewer",
            )
            .order_by(User.display_name, User.id)
        )
    )


def _may_decide(change: Change, user: User, kind: str) -> bool:
    if kind == "technical":
        return user.id == change.technical_approver_id
    if kind == "operational":
        return user.id == change.operational_approver_id
    return bool(change.requires_vcab and user.vcab_member)


def _check_decision(change: Change, user: User, kind: str) -> None:
    """Refuse unless `user` may approve or reject as `kind` now."""
    _require_access(change, user)
    if kind not in APPROVAL_KINDS:
        raise LifecycleError(f"Unknown approval kind {kind!r}.")
    previous = _decision_by(change, user, kind)
    if previous is not None:
        raise LifecycleError(f"You have already {previous.decision} this change.")
    _require_state(change, ("pending_approval",), "approve or reject")
    if kind == "vcab" and not change.requires_vcab:
        raise LifecycleError("This change does not require vCAB approval.")
    if not _may_decide(change, user, kind):
        who = {"technical": "the technical approver", "operational": "the operational approver",
               "vcab": "vCAB members"}[kind]
        raise LifecycleError(f"Only {who} can give the {KIND_LABELS[kind]} decision.")


def pending_kinds_for(change: Change, user: User) -> list[str]:
    """Approval kinds this user may still decide in the current round (empty if none)."""
    kinds = []
    for kind in APPROVAL_KINDS:
        try:
            _check_decision(change, user, kind)
        except LifecycleError:
            continue
        kinds.append(kind)
    return kinds


_ACTION_CHECKS: dict[str, Callable[[Change, User], None]] = {
    "edit": lambda c, u: (_require_editor(c, u, "edit changes"),
                          _require_state(c, ("draft",), "edit")),
    "submit": lambda c, u: (_require_editor(c, u, "submit changes"),
                            _require_state(c, ("draft",), "submit")),
    "schedule": lambda c, u: (_require_editor(c, u, "schedule changes"),
                              _require_state(c, ("approved", "failed", "scheduled"), "schedule")),
    "start": lambda c, u: (_require_implementer(c, u, "start the implementation"),
                           _require_state(c, ("scheduled",), "start")),
    "complete": lambda c, u: (_require_implementer(c, u, "complete the change"),
                              _require_state(c, ("in_progress",), "complete")),
    "fail": lambda c, u: (_require_implementer(c, u, "mark the change failed"),
                          _require_state(c, ("in_progress",), "record a failure on")),
    "cancel": lambda c, u: (_require_editor(c, u, "cancel changes"),
                            _require_state(c, CANCELLABLE_STATES, "cancel")),
    "comment": lambda c, u: _require_editor(c, u, "comment"),
}


def _allows(action: str, change: Change, user: User) -> bool:
    try:
        _ACTION_CHECKS[action](change, user)
    except LifecycleError:
        return False
    return True


def allowed_actions(change: Change, user: User) -> frozenset[str]:
    """What this user may do to the change now (for showing buttons; operations still check)."""
    allowed = {action for action in _ACTION_CHECKS if _allows(action, change, user)}
    if "schedule" in allowed and change.state == "scheduled":
        allowed.remove("schedule")
        allowed.add("reschedule")
    if pending_kinds_for(change, user):
        allowed |= {"approve", "reject"}
    return frozenset(allowed)


# --- approval status --------------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalStatus:
    """Where the current approval round stands, for the change detail page."""

    technical: Optional[Approval]
    operational: Optional[Approval]
    vcab_approvals: list[Approval] = field(default_factory=list)
    vcab_members: list[User] = field(default_factory=list)
    vcab_needed: int = 0
    fully_approved: bool = False
    waiting_on: list[tuple[str, User]] = field(default_factory=list)


def approval_status(change: Change) -> ApprovalStatus:
    """The current round's decisions, the vCAB majority needed and who is still to decide."""
    current = _current_round(change)

    def decision(kind: str, approver_id: Optional[int]) -> Optional[Approval]:
        return next(
            (a for a in current if a.kind == kind and a.approver_id == approver_id), None
        )

    technical = decision("technical", change.technical_approver_id)
    operational = decision("operational", change.operational_approver_id)
    members = active_vcab_members(change.organisation_id) if change.requires_vcab else []
    member_ids = {m.id for m in members}
    vcab_approvals = [a for a in current if a.kind == "vcab"]
    vcab_needed = len(members) // 2 + 1 if change.requires_vcab else 0
    vcab_yes = sum(
        1 for a in vcab_approvals if a.decision == "approved" and a.approver_id in member_ids
    )
    vcab_done = not change.requires_vcab or vcab_yes >= vcab_needed
    fully_approved = bool(
        technical and technical.decision == "approved"
        and operational and operational.decision == "approved"
        and vcab_done
    )
    waiting_on: list[tuple[str, User]] = []
    if change.state == "pending_approval":
        if technical is None and change.technical_approver is not None:
            waiting_on.append(("technical", change.technical_approver))
        if operational is None and change.operational_approver is not None:
            waiting_on.append(("operational", change.operational_approver))
        if not vcab_done:
            decided = {a.approver_id for a in vcab_approvals}
            waiting_on += [("vcab", m) for m in members if m.id not in decided]
    return ApprovalStatus(
        technical=technical,
        operational=operational,
        vcab_approvals=vcab_approvals,
        vcab_members=members,
        vcab_needed=vcab_needed,
        fully_approved=fully_approved,
        waiting_on=waiting_on,
    )


# --- field validation -------------------------------------------------------------------------


def _as_id(name: str, value: Any) -> Optional[int]:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise LifecycleError(f"The {FIELD_LABELS[name]} is not valid.") from None


def _as_utc(name: str, value: Any) -> Optional[datetime]:
    if value is None or value == "":
        return None
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise LifecycleError(f"The {FIELD_LABELS[name]} must be a date and time with a timezone.")
    return value.astimezone(timezone.utc)


def _check_window(start: Optional[datetime], end: Optional[datetime]) -> None:
    if start is not None and end is not None and end <= start:
        raise LifecycleError("The implementation window must end after it starts.")


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


def _clean_fields(organisation_id: int, fields: dict, current: Optional[Change]) -> dict:
    """Normalise and validate the given fields; people and companies are only checked when new."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable change fields: {', '.join(sorted(unknown))}")
    clean: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "title":
            value = (value or "").strip()
            if len(value) > 200:
                raise LifecycleError("The title is too long (200 characters at most).")
        elif name in TEXT_FIELDS:
            value = value or ""
        elif name == "risk":
            value = value or "low"
            if value not in RISKS:
                raise LifecycleError("Risk must be low, medium or high.")
        elif name == "requires_vcab":
            value = bool(value)
        elif name in ("window_start", "window_end"):
            value = _as_utc(name, value)
        elif name in ("company_id", "cw_ticket_id", *PERSON_FIELDS):
            value = _as_id(name, value)
        elif name in ("cw_ticket_summary", "cw_ticket_board"):
            value = (value or "").strip() or None
            limit = 200 if name == "cw_ticket_summary" else 100
            if value is not None and len(value) > limit:
                value = value[:limit]
        clean[name] = value

    def is_new(name: str) -> bool:
        return name in clean and (current is None or getattr(current, name) != clean[name])

    if is_new("company_id") and clean["company_id"] is not None:
        company = db.session.get(Company, clean["company_id"])
        if company is None or company.organisation_id != organisation_id:
            raise LifecycleError("The company must be one of your organisation's companies.")
        if not company.active:
            raise LifecycleError(f"The company {company.name} is inactive.")
    for name in PERSON_FIELDS:
        if is_new(name) and clean[name] is not None:
            _org_person(organisation_id, clean[name], FIELD_LABELS[name])
    start = clean.get("window_start", current.window_start if current else None)
    end = clean.get("window_end", current.window_end if current else None)
    _check_window(start, end)
    return clean


# --- operations -------------------------------------------------------------------------------


def _bump(change: Change) -> None:
    """Make this transaction write the change row, so its version check catches a rival writer."""
    change.updated_at = utcnow()
    flag_modified(change, "updated_at")


def _send(signal, change: Change, actor: Optional[User], **extras: Any) -> None:
    signal.send(change, change_id=change.id, actor_id=actor.id if actor else None, **extras)


def _link_ticket(change: Change, actor: User, previous: Optional[int]) -> Callable[[], None]:
    """Timeline for a ticket link change; returns the signal to send once flushed."""
    if change.cw_ticket_id is None:
        timeline.record(
            change, actor, "ticket_unlinked", f"Unlinked ConnectWise ticket #{previous}",
            previous_ticket_id=previous,
        )
        return lambda: None
    timeline.record(
        change, actor, "ticket_linked", f"Linked ConnectWise ticket #{change.cw_ticket_id}",
        ticket_id=change.cw_ticket_id, previous_ticket_id=previous,
        summary=change.cw_ticket_summary, board=change.cw_ticket_board,
    )
    return lambda: _send(
        signals.ticket_linked, change, actor,
        ticket_id=change.cw_ticket_id, previous_ticket_id=previous,
    )


def create_change(organisation_id: int, actor: User, fields: dict) -> Change:
    """Create a draft change with the next number of the organisation; the caller commits.

    Validates the fields (company, approvers and implementer must belong to the organisation),
    links `@hostname` mentions, writes the "created" timeline entry and sends `change_created`
    (and `ticket_linked` when a ticket is given). Nothing is written when it refuses.
    """
    if actor is None or actor.organisation_id != organisation_id or not actor.active:
        raise LifecycleError("You do not have access to this organisation.")
    if actor.role not in EDITOR_ROLES:
        raise LifecycleError("Your role does not allow you to create changes.")
    clean = _clean_fields(organisation_id, fields, None)
    change = Change(organisation_id=organisation_id, created_by_id=actor.id, state="draft",
                    approval_round=1, title="")
    for name, value in clean.items():
        setattr(change, name, value)
    # Unresolved names go in with the insert, so a new change starts at version 1.
    change.unresolved_mentions = resolve_mentions(
        organisation_id, change.company_id, mentioned_names(change)
    )[1]
    change.number = next_change_number(organisation_id)
    db.session.add(change)
    db.session.flush()
    timeline.record(change, actor, "created", f"Created {change.reference}", number=change.number)
    sync_mentions(change, actor)
    send_ticket = _link_ticket(change, actor, None) if change.cw_ticket_id is not None else None
    db.session.flush()
    _send(signals.change_created, change, actor)
    if send_ticket:
        send_ticket()
    return change


def update_change(change: Change, actor: User, fields: dict) -> Change:
    """Edit a draft; only the given fields change. A call that changes nothing writes nothing."""
    _ACTION_CHECKS["edit"](change, actor)
    clean = _clean_fields(change.organisation_id, fields, change)
    changed = [name for name, value in clean.items() if getattr(change, name) != value]
    if not changed:
        return change
    previous_ticket = change.cw_ticket_id
    for name in changed:
        setattr(change, name, clean[name])
    _bump(change)
    timeline.record(
        change, actor, "updated",
        "Updated " + ", ".join(FIELD_LABELS[name] for name in changed),
        fields=changed,
    )
    sync_mentions(change, actor)
    send_ticket = _link_ticket(change, actor, previous_ticket) if "cw_ticket_id" in changed else None
    db.session.flush()
    if send_ticket:
        send_ticket()
    return change


def submit(change: Change, actor: User) -> None:
    """Draft → pending approval, once the change names its company and both approvers."""
    _ACTION_CHECKS["submit"](change, actor)
    missing = [
        label for label, present in (
            ("a title", bool((change.title or "").strip())),
            ("a company", change.company_id is not None),
            ("a technical approver", change.technical_approver_id is not None),
            ("an operational approver", change.operational_approver_id is not None),
        ) if not present
    ]
    if missing:
        raise LifecycleError("Before submitting, give the change " + _join(missing) + ".")
    for name in ("technical_approver_id", "operational_approver_id"):
        _org_person(change.organisation_id, getattr(change, name), FIELD_LABELS[name])
    if change.requires_vcab and not active_vcab_members(change.organisation_id):
        raise LifecycleError(
            "This change requires vCAB approval, but your organisation has no active vCAB members."
        )
    change.state = "pending_approval"
    _bump(change)
    timeline.record(change, actor, "submitted", "Submitted for approval", round=change.approval_round)
    db.session.flush()


def _join(items: list[str], conjunction: str = "and") -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _decide(change: Change, actor: User, kind: str, decision: str, comment: str) -> Approval:
    approval = Approval(
        organisation_id=change.organisation_id, change=change, round=change.approval_round,
        kind=kind, approver_id=actor.id, decision=decision, comment=comment, decided_at=utcnow(),
    )
    db.session.add(approval)
    _bump(change)
    return approval


def approve(change: Change, actor: User, kind: str, comment: str = "") -> None:
    """Record the actor's `kind` approval; the last one needed makes the change approved."""
    _check_decision(change, actor, kind)
    comment = (comment or "").strip()
    approval = _decide(change, actor, kind, "approved", comment)
    timeline.record(
        change, actor, "approved", APPROVAL_TITLES[kind],
        kind=kind, comment=comment, round=change.approval_round,
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
    _check_decision(change, actor, kind)
    comment = (comment or "").strip()
    if not comment:
        raise LifecycleError("Please say why you reject this change.")
    approval = _decide(change, actor, kind, "rejected", comment)
    rejected_round = change.approval_round
    change.state = "draft"
    change.approval_round = rejected_round + 1
    timeline.record(
        change, actor, "rejected", f"Rejected ({KIND_LABELS[kind]}): {comment}",
        kind=kind, comment=comment, round=rejected_round,
    )
    db.session.flush()
    _send(signals.change_rejected, change, actor, approval_id=approval.id, kind=kind, comment=comment)


def schedule(
    change: Change, actor: User, window_start: datetime, window_end: datetime, implementer_id: int
) -> None:
    """Approved or failed → scheduled; while scheduled, update the window and implementer.

    Rescheduling to exactly the same window and implementer is a no-op (no entry, no signal).
    """
    _ACTION_CHECKS["schedule"](change, actor)
    start = _as_utc("window_start", window_start)
    end = _as_utc("window_end", window_end)
    if start is None or end is None:
        raise LifecycleError("Give the implementation window's start and end.")
    _check_window(start, end)
    implementer_id = _as_id("implementer_id", implementer_id)
    if implementer_id is None:
        raise LifecycleError("Choose who implements the change.")
    implementer = _org_person(change.organisation_id, implementer_id, "implementer")
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
    change.state = "scheduled"
    _bump(change)
    timeline.record(
        change, actor, "rescheduled" if rescheduled else "scheduled",
        f"{'Rescheduled' if rescheduled else 'Scheduled'}, implementer {implementer.display_name}",
        window_start=start, window_end=end, implementer_id=implementer_id, **previous,
    )
    db.session.flush()
    _send(
        signals.change_scheduled, change, actor,
        window_start=start, window_end=end, implementer_id=implementer_id, rescheduled=rescheduled,
    )


def start_implementation(change: Change, actor: User) -> None:
    """Scheduled → in progress; the actor becomes the recorded implementer."""
    _ACTION_CHECKS["start"](change, actor)
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
    _ACTION_CHECKS[action](change, actor)
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
    """In progress → failed, with the failure reason and rollback notes; it may be rescheduled."""
    _finish(change, actor, "fail", "failed", "Failed - rollback required", {
        "failure_reason": (failure_reason, "A failure reason is required."),
        "rollback_notes": (rollback_notes, "Rollback notes are required."),
    }, signals.change_failed)


def cancel(change: Change, actor: User, reason: str) -> None:
    """Draft, pending approval, approved or scheduled → cancelled, with a reason."""
    _ACTION_CHECKS["cancel"](change, actor)
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
    """A comment on the timeline, in any state (no signal)."""
    _ACTION_CHECKS["comment"](change, actor)
    text = _required(text, "Write a comment first.")
    _bump(change)
    timeline.record(change, actor, "comment", text)
    db.session.flush()


# --- running an operation ---------------------------------------------------------------------


def apply(operation: Callable[..., Any], change: Change, actor: User, **kwargs: Any) -> Any:
    """Run `operation(change, actor, **kwargs)` and commit; retry once after a concurrent update.

    A rival commit shows up as a StaleDataError (version column) or an IntegrityError (an
    approval recorded twice). Then the session is rolled back, the change reloaded and the
    operation tried again against the fresh state; if the rules now refuse, the refusal is
    raised as "Someone else updated this change a moment ago: …". Any LifecycleError rolls
    back and propagates.
    """
    conflicted = False
    while True:
        try:
            result = operation(change, actor, **kwargs)
            db.session.commit()
            return result
        except LifecycleError as error:
            db.session.rollback()
            if conflicted:
                raise LifecycleError(f"{CONFLICT_MESSAGE}: {error}") from error
            raise
        except (StaleDataError, IntegrityError) as error:
            db.session.rollback()
            if conflicted:
                log.warning("change %s: second conflict in a row: %s", change.id, error)
                raise LifecycleError(
                    f"{CONFLICT_MESSAGE}: please reload the page and try again."
                ) from error
            conflicted = True
            db.session.refresh(change)
