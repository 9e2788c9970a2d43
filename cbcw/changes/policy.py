"""Who may act on a change, and when (PRODUCT §2.2 "who may act"): the one place these rules live.

Operations call `require(...)` before touching anything; the detail page asks
`allowed_actions(...)` which buttons to show, so a button is shown exactly when the operation
would accept it (state and person; the typed values are checked when posted).

Who may do what (viewers, inactive users and other organisations' users: nothing):
- create and comment: admin, msp, engineer;
- edit, submit, cancel: the requester (creator), or an admin/MSP user;
- schedule, reschedule, start, complete, fail, and the post-implementation review of an emergency
  change: the implementer, the requester, or an admin/MSP user;
- link_ticket (change or remove the linked ticket): the requester, or an admin/MSP user, until
  the change is completed or cancelled;
- approve/reject: the technical approver (kind "technical"), the operational approver
  ("operational") and active vCAB members ("vcab", only when the change requires vCAB), each only
  when the change needs that approval (`requirements`); on an emergency change, any ECAB member
  ("ecab") but its requester, whatever the small-team setting;
- raise_risk: whoever may decide on the change now, while it awaits approval.
Segregation of duties:
- the requester never decides on their own change, in any role, and may not be named one of
  its approvers, unless the organisation's small-team setting allows self-approval; every
  approval that allows is marked "self-approved";
- one person never holds both approver roles of a change (refused when saved and submitted);
- vCAB votes by the requester or the change's technical or operational approver do not count
  toward the vCAB majority (the small-team setting lets the requester's vote count).
Delegation (PRODUCT §2.9): while a technical or operational approver is away, their delegate
decides for them (`decides_for`), and the rules hold for the delegate too: a delegate never
decides for the change's requester, never on a change they requested, and never for the other
approver role they hold themselves.
One person gives one kind of decision on a change in a round, for themselves or for someone
away: a delegate who already decided (a vCAB vote, or for another absent approver) cannot decide
for an absent approver, and the vCAB vote of someone who decided for an absent approver counts
toward the majority no more than an approver's does.
"""
from dataclasses import dataclass
from typing import Callable, Optional

from cbcw.accounts import delegation
from cbcw.accounts.models import User
from cbcw.changes import requirements
from cbcw.changes.errors import LifecycleError
from cbcw.changes.labels import (
    APPROVAL_TITLES, FIELD_LABELS, KIND_HOLDERS, KIND_LABELS, STATE_LABELS, spoken_list,
)
from cbcw.changes.models import APPROVAL_KINDS, Approval, Change
from cbcw.extensions import db
from cbcw.organisations.models import Organisation

EDITOR_ROLES = frozenset({"admin", "msp", "engineer"})
MANAGER_ROLES = frozenset({"admin", "msp"})
CANCELLABLE_STATES = ("draft", "pending_approval", "approved", "scheduled")
SMALL_TEAM_HINT = "an admin can allow this for small teams in Organisation settings"
# The linked ticket may change until the change is over (completed or cancelled).
TICKET_STATES = ("draft", "pending_approval", "approved", "scheduled", "in_progress", "failed")


def _editor(change: Change, user: User, doing: str) -> Optional[str]:
    if user.role not in EDITOR_ROLES:
        return f"Your role does not allow you to {doing}."
    return None


def _requester_or_manager(change: Change, user: User, doing: str) -> Optional[str]:
    if user.id != change.created_by_id and user.role not in MANAGER_ROLES:
        return f"Only the requester, an admin or an MSP user can {doing}."
    return None


def _implementer_requester_or_manager(change: Change, user: User, doing: str) -> Optional[str]:
    if user.id not in (change.implementer_id, change.created_by_id) and user.role not in MANAGER_ROLES:
        return f"Only the implementer, the requester, an admin or an MSP user can {doing}."
    return None


@dataclass(frozen=True)
class Rule:
    """Who may take an action (a refusal message or None) and in which states."""

    who: Callable[[Change, User, str], Optional[str]]
    doing: str  # for the person refusal: "… can <doing>"
    states: Optional[tuple[str, ...]]  # None: in any state
    verb: str = ""  # for the state refusal: "You can only <verb> a change that is …"


RULES: dict[str, Rule] = {
    "edit": Rule(_requester_or_manager, "edit this change", ("draft",), "edit"),
    "submit": Rule(_requester_or_manager, "submit this change", ("draft",), "submit"),
    "cancel": Rule(_requester_or_manager, "cancel this change", CANCELLABLE_STATES, "cancel"),
    "schedule": Rule(_implementer_requester_or_manager, "schedule this change",
                     ("approved", "failed", "scheduled"), "schedule"),
    "start": Rule(_implementer_requester_or_manager, "start the implementation", ("scheduled",),
                  "start"),
    "complete": Rule(_implementer_requester_or_manager, "complete the change", ("in_progress",),
                     "complete"),
    "fail": Rule(_implementer_requester_or_manager, "mark the change failed", ("in_progress",),
                 "record a failure on"),
    "comment": Rule(_editor, "comment", None),
    "review": Rule(_implementer_requester_or_manager, "record the post-implementation review",
                   ("completed", "failed"), "review"),
    "link_ticket": Rule(_requester_or_manager, "change the ticket of this change", TICKET_STATES,
                        "change the linked ticket of"),
}


def _require_access(change: Change, user: Optional[User]) -> None:
    if user is None or user.organisation_id != change.organisation_id or not user.active:
        raise LifecycleError("You do not have access to this change.")
    if user.role == "viewer":
        raise LifecycleError("Viewers can look at changes but not act on them.")


def _require_state(change: Change, states: tuple[str, ...], verb: str) -> None:
    if change.state not in states:
        allowed = spoken_list([STATE_LABELS[s].lower() for s in states], "or")
        raise LifecycleError(
            f"You can only {verb} a change that is {allowed}; "
            f"this one is {STATE_LABELS[change.state].lower()}."
        )


def require(action: str, change: Change, user: Optional[User]) -> None:
    """Refuse (LifecycleError) unless `user` may take `action` on the change in its state."""
    rule = RULES[action]
    _require_access(change, user)
    refusal = rule.who(change, user, rule.doing)
    if refusal:
        raise LifecycleError(refusal)
    if rule.states is not None:
        _require_state(change, rule.states, rule.verb)


def require_creator(organisation_id: int, user: Optional[User]) -> None:
    """Refuse unless `user` may create changes in the organisation."""
    if user is None or user.organisation_id != organisation_id or not user.active:
        raise LifecycleError("You do not have access to this organisation.")
    if user.role not in EDITOR_ROLES:
        raise LifecycleError("Your role does not allow you to create changes.")


# --- segregation of duties --------------------------------------------------------------------


def small_team(organisation_id: int) -> bool:
    """Whether the organisation lets requesters approve their own changes."""
    organisation = db.session.get(Organisation, organisation_id)
    return bool(organisation and organisation.allow_self_approval)


def require_separate_approvers(
    organisation_id: int, requester_id: int, technical_id: Optional[int], operational_id: Optional[int]
) -> None:
    """Refuse approvers that break segregation of duties (checked on save and on submit)."""
    if technical_id is not None and technical_id == operational_id:
        raise LifecycleError(
            "One person cannot be both the technical and the operational approver of a change."
        )
    named = [FIELD_LABELS[name] for name, user_id in (
        ("technical_approver_id", technical_id), ("operational_approver_id", operational_id),
    ) if user_id is not None and user_id == requester_id]
    if named and not small_team(organisation_id):
        raise LifecycleError(
            f"The requester of a change cannot also be its {spoken_list(named)} "
            f"({SMALL_TEAM_HINT})."
        )


def is_self_approval(change: Change, user: User) -> bool:
    """A decision by the change's own requester (only possible on a small team)."""
    return user.id == change.created_by_id


def counts_toward_majority(change: Change, voter_id: int) -> bool:
    """Whether this person's vCAB vote on the change counts toward the majority: not the
    approvers', nor that of a delegate who decided for one of them this round."""
    if voter_id in (change.technical_approver_id, change.operational_approver_id):
        return False
    if any(a.decided_by_id == voter_id for a in change.current_decisions):
        return False
    return voter_id != change.created_by_id or small_team(change.organisation_id)


def _decision_by(change: Change, user: User, kind: str) -> Optional[Approval]:
    return next(
        (a for a in change.current_decisions if a.kind == kind and a.approver_id == user.id), None
    )


def _named_for(change: Change, user: User, kind: str) -> bool:
    if kind == "technical":
        return user.id == change.technical_approver_id
    if kind == "operational":
        return user.id == change.operational_approver_id
    if kind == "ecab":
        return bool(user.ecab_member)
    return bool(change.requires_vcab and user.vcab_member)


def _named_approver_id(change: Change, kind: str) -> Optional[int]:
    return {"technical": change.technical_approver_id,
            "operational": change.operational_approver_id}.get(kind)


def decides_for(change: Change, user: User, kind: str) -> Optional[int]:
    """Whose `kind` decision `user` would record: their own id when they hold the role, the
    absent approver's when they are that approver's delegate today, else None. vCAB votes are
    not delegated (each member's vote is their own)."""
    if _named_for(change, user, kind):
        return user.id
    absent_id = _named_approver_id(change, kind)
    if absent_id is not None and delegation.stands_in_for(user.id, absent_id):
        return absent_id
    return None


def _require_fair_delegate(change: Change, user: User, absent_id: int) -> None:
    """Segregation of duties for a delegate deciding for `absent_id`."""
    if absent_id == change.created_by_id:
        raise LifecycleError("You stand in for the requester of this change, so you cannot decide on it.")
    if user.id == change.created_by_id:
        raise LifecycleError("You requested this change, so you cannot approve or reject it for someone else.")
    if user.id in (change.technical_approver_id, change.operational_approver_id):
        raise LifecycleError(
            "One person cannot give both the technical and the operational decision of a change."
        )
    if any(a.approver_id == absent_id for a in change.current_decisions):
        raise LifecycleError("This approver's decision has already been given.")
    given = next((a for a in change.current_decisions if user.id in (a.approver_id, a.decided_by_id)), None)
    if given is not None:
        raise LifecycleError(
            f"You already decided on this change as {KIND_LABELS[given.kind]}"
            f"{' for someone away' if given.decided_by_id else ''}, and one person gives only one kind of "
            "decision on a change: someone else must decide for this approver.")


def require_decision(change: Change, user: Optional[User], kind: str) -> None:
    """Refuse unless `user` may approve or reject as `kind` now (for themselves or, as a
    delegate, for the absent approver: `decides_for`)."""
    _require_access(change, user)
    if kind not in APPROVAL_KINDS:
        raise LifecycleError(f"Unknown approval kind {kind!r}.")
    previous = _decision_by(change, user, kind)
    if previous is not None:
        raise LifecycleError(f"You have already {previous.decision} this change.")
    _require_state(change, ("pending_approval",), "approve or reject")
    if kind == "vcab" and not change.requires_vcab:
        raise LifecycleError("This change does not require vCAB approval.")
    if kind not in requirements.of_change(change).kinds:
        raise LifecycleError(f"This change does not need {APPROVAL_TITLES[kind].lower()}.")
    principal_id = decides_for(change, user, kind)
    if principal_id is None:
        raise LifecycleError(f"Only {KIND_HOLDERS[kind]} can decide as {KIND_LABELS[kind]}.")
    if kind == "ecab" and is_self_approval(change, user):
        raise LifecycleError("You requested this emergency change, so another ECAB member must approve it.")
    if principal_id != user.id:
        _require_fair_delegate(change, user, principal_id)
    elif is_self_approval(change, user) and not small_team(change.organisation_id):
        raise LifecycleError(
            f"You requested this change, so you cannot approve or reject it ({SMALL_TEAM_HINT})."
        )


# --- what to offer ----------------------------------------------------------------------------


def _permits(check: Callable[[], None]) -> bool:
    try:
        check()
    except LifecycleError:
        return False
    return True


def require_risk_raise(change: Change, user: Optional[User]) -> None:
    """Refuse unless `user` may raise the change's risk: an approver who may still decide now."""
    _require_access(change, user)
    _require_state(change, ("pending_approval",), "raise the risk of")
    if not decision_kinds(change, user):
        raise LifecycleError("Only an approver who has still to decide can raise the risk of this change.")


def decision_kinds(change: Change, user: User) -> list[str]:
    """Approval kinds this user may still decide in the current round (empty if none)."""
    return [k for k in APPROVAL_KINDS if _permits(lambda: require_decision(change, user, k))]


def allowed_actions(change: Change, user: User) -> frozenset[str]:
    """What this user may do to the change now: the buttons to show (operations still check).

    "schedule" on a scheduled change is reported as "reschedule".
    """
    allowed = {action for action in RULES if _permits(lambda: require(action, change, user))}
    if not change.review_due:
        allowed.discard("review")
    if "schedule" in allowed and change.state == "scheduled":
        allowed.remove("schedule")
        allowed.add("reschedule")
    if decision_kinds(change, user):
        allowed |= {"approve", "reject"}
        if change.risk != "high":
            allowed.add("raise_risk")
    return frozenset(allowed)
