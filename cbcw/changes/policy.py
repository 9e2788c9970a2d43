"""Who may act on a change, and when (PRODUCT §2.2): the one place these rules live.

Operations call `require(...)` before touching anything; the detail page asks
`allowed_actions(...)` which buttons to show, so a button is shown exactly when the operation
would accept it (state and person; the typed values are checked when posted).

Who may do what:
- viewers, inactive users and users of another organisation: nothing;
- create, edit, submit, schedule, reschedule, cancel, comment: admin, msp, engineer;
- approve/reject: the technical approver (kind "technical"), the operational approver
  ("operational") and active vCAB members ("vcab", only when the change requires vCAB);
- start, complete, fail: the implementer, or admin/msp.
"""
from dataclasses import dataclass
from typing import Callable, Optional

from cbcw.accounts.models import User
from cbcw.changes.approvals import decision_by
from cbcw.changes.errors import LifecycleError
from cbcw.changes.labels import KIND_HOLDERS, KIND_LABELS, STATE_LABELS, spoken_list
from cbcw.changes.models import APPROVAL_KINDS, Change

EDITOR_ROLES = frozenset({"admin", "msp", "engineer"})
MANAGER_ROLES = frozenset({"admin", "msp"})
CANCELLABLE_STATES = ("draft", "pending_approval", "approved", "scheduled")


def _editor(change: Change, user: User, doing: str) -> Optional[str]:
    if user.role not in EDITOR_ROLES:
        return f"Your role does not allow you to {doing}."
    return None


def _implementer_or_manager(change: Change, user: User, doing: str) -> Optional[str]:
    if user.id != change.implementer_id and user.role not in MANAGER_ROLES:
        return f"Only the implementer, an admin or an MSP user can {doing}."
    return None


@dataclass(frozen=True)
class Rule:
    """Who may take an action (a refusal message or None) and in which states."""

    who: Callable[[Change, User, str], Optional[str]]
    doing: str  # for the person refusal: "… allow you to <doing>"
    states: Optional[tuple[str, ...]]  # None: in any state
    verb: str = ""  # for the state refusal: "You can only <verb> a change that is …"


RULES: dict[str, Rule] = {
    "edit": Rule(_editor, "edit changes", ("draft",), "edit"),
    "submit": Rule(_editor, "submit changes", ("draft",), "submit"),
    "schedule": Rule(_editor, "schedule changes", ("approved", "failed", "scheduled"), "schedule"),
    "start": Rule(_implementer_or_manager, "start the implementation", ("scheduled",), "start"),
    "complete": Rule(_implementer_or_manager, "complete the change", ("in_progress",), "complete"),
    "fail": Rule(_implementer_or_manager, "mark the change failed", ("in_progress",),
                 "record a failure on"),
    "cancel": Rule(_editor, "cancel changes", CANCELLABLE_STATES, "cancel"),
    "comment": Rule(_editor, "comment", None),
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


def _may_decide(change: Change, user: User, kind: str) -> bool:
    if kind == "technical":
        return user.id == change.technical_approver_id
    if kind == "operational":
        return user.id == change.operational_approver_id
    return bool(change.requires_vcab and user.vcab_member)


def require_decision(change: Change, user: Optional[User], kind: str) -> None:
    """Refuse unless `user` may approve or reject as `kind` now."""
    _require_access(change, user)
    if kind not in APPROVAL_KINDS:
        raise LifecycleError(f"Unknown approval kind {kind!r}.")
    previous = decision_by(change, user, kind)
    if previous is not None:
        raise LifecycleError(f"You have already {previous.decision} this change.")
    _require_state(change, ("pending_approval",), "approve or reject")
    if kind == "vcab" and not change.requires_vcab:
        raise LifecycleError("This change does not require vCAB approval.")
    if not _may_decide(change, user, kind):
        raise LifecycleError(f"Only {KIND_HOLDERS[kind]} can decide as {KIND_LABELS[kind]}.")


def _permits(check: Callable[[], None]) -> bool:
    try:
        check()
    except LifecycleError:
        return False
    return True


def decision_kinds(change: Change, user: User) -> list[str]:
    """Approval kinds this user may still decide in the current round (empty if none)."""
    return [k for k in APPROVAL_KINDS if _permits(lambda: require_decision(change, user, k))]


def allowed_actions(change: Change, user: User) -> frozenset[str]:
    """What this user may do to the change now: the buttons to show (operations still check).

    "schedule" on a scheduled change is reported as "reschedule".
    """
    allowed = {action for action in RULES if _permits(lambda: require(action, change, user))}
    if "schedule" in allowed and change.state == "scheduled":
        allowed.remove("schedule")
        allowed.add("reschedule")
    if decision_kinds(change, user):
        allowed |= {"approve", "reject"}
    return frozenset(allowed)
