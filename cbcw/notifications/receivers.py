"""Who hears of which lifecycle event (PRODUCT §2.9), subscribed to the change signals.

Receivers run inside the transaction of the event (before commit), so the inbox rows and the
outbox mail are stored with the change or not at all; nothing here talks to the network. The
person who acted is never told of their own action, except of a task it leaves them (an
emergency change's review, which they owe whoever finished it).
"""
from typing import Iterable, Optional


from cbcw.accounts import delegation
from cbcw.accounts.models import User
from cbcw.changes import approvals, signals
from cbcw.changes.models import Change
from cbcw.extensions import db
from cbcw.notifications import invitation, settled
from cbcw.notifications.dispatch import Message, absolute, change_path, local, notify


def _user(user_id: Optional[int]) -> Optional[User]:
    return db.session.get(User, user_id) if user_id else None


def awaited(change: Change) -> list[User]:
    """Everyone whose decision the change now awaits, each once."""
    people: dict[int, User] = {}
    for user in (change.technical_approver, change.operational_approver):
        if user is not None:
            people.setdefault(user.id, user)
    if change.requires_vcab:
        for member in approvals.vcab_voters(change):
            people.setdefault(member.id, member)
    if change.change_type == "emergency":
        for member in approvals.active_ecab_members(change.organisation_id):
            people.setdefault(member.id, member)
    return list(people.values())


def _others(users: Iterable[Optional[User]], actor_id: Optional[int]) -> list[User]:
    return [user for user in users if user is not None and user.id != actor_id]


def on_submitted(change: Change, actor_id=None, **_) -> None:
    approvers = _others(awaited(change), actor_id)
    for approver in approvers:
        notify(approver, "awaiting_approval", Message(
            f"{change.reference} awaits your approval: {change.title}",
            [f"Requested by {change.created_by.display_name}. Risk: {change.risk}."],
        ), change)
    away = delegation.delegates_of([a.id for a in approvers if a.id in (
        change.technical_approver_id, change.operational_approver_id)])
    for absent_id, delegate_id in away.items():
        absent, delegate = _user(absent_id), _user(delegate_id)
        if delegate is None or delegate.id in (actor_id, change.created_by_id):
            continue
        notify(delegate, "awaiting_approval", Message(
            f"{change.reference} awaits {absent.display_name}'s approval, which you give while they are away",
            [change.title],
        ), change)


def on_fully_approved(change: Change, actor_id=None, **_) -> None:
    for requester in _others([change.created_by], actor_id):
        notify(requester, "approved", Message(f"{change.reference} is approved: {change.title}",
                                              ["Schedule its implementation window next."]), change)


def on_rejected(change: Change, actor_id=None, kind: str = "", comment: str = "", **_) -> None:
    actor = _user(actor_id)
    for requester in _others([change.created_by], actor_id):
        notify(requester, "rejected", Message(
            f"{change.reference} was rejected: {change.title}",
            [f"{actor.display_name if actor else 'An approver'} rejected it: {comment}",
             "It is a draft again: edit it and submit it once more."]), change)


def on_failed(change: Change, actor_id=None, failure_reason: str = "", **_) -> None:
    for requester in _others([change.created_by], actor_id):
        notify(requester, "failed", Message(f"{change.reference} failed: {change.title}",
                                            [f"Reason: {failure_reason}"]), change)
    on_finished(change)


def on_finished(change: Change, **_) -> None:
    """A finished emergency change counts as closed only once its requester records the
    post-implementation review (PRODUCT §2.7): tell them it is due."""
    if change.review_due:
        notify(change.created_by, "review_due", Message(
            f"{change.reference} needs its post-implementation review: {change.title}",
            ["An emergency change counts as closed once its review says what was done, why it could not "
             "wait, the outcome and the follow-up actions."]), change)


def _invite(change: Change, attendee: User, method: str) -> None:
    row = invitation.next_invitation(change)
    row.attendee_id = attendee.id if method == "REQUEST" else None
    url = absolute(change_path(change))
    if method == "REQUEST":
        title = f"You implement {change.reference} on {local(attendee, change.window_start)}"
        lines = [change.title, f"Window: {local(attendee, change.window_start)} to {local(attendee, change.window_end)}."]
    else:
        title = f"Cancelled: your window for {change.reference}"
        lines = [change.title, "The window is no longer yours or no longer happens."]
    notify(attendee, "scheduled", Message(
        title, lines, calendar=invitation.ics(change, attendee, row.sequence, method, url),
        calendar_method=method), change, calendar_always=True)


def on_scheduled(change: Change, implementer_id=None, **_) -> None:
    previous_id = invitation.current_attendee_id(change)
    if previous_id is not None and previous_id != implementer_id:
        _invite(change, _user(previous_id), "CANCEL")
    _invite(change, _user(implementer_id), "REQUEST")


def on_cancelled(change: Change, **_) -> None:
    attendee = _user(invitation.current_attendee_id(change))
    if attendee is not None:
        _invite(change, attendee, "CANCEL")


RECEIVERS = (
    (signals.change_submitted, on_submitted),
    (signals.change_fully_approved, on_fully_approved),
    (signals.change_rejected, on_rejected),
    (signals.change_failed, on_failed),
    (signals.change_completed, on_finished),
    (signals.change_scheduled, on_scheduled),
    (signals.change_cancelled, on_cancelled),
    # What no longer awaits anyone leaves the bell (a full approval is also an approval recorded).
    (signals.approval_recorded, settled.settle),
    (signals.change_rejected, settled.settle),
    (signals.change_cancelled, settled.settle),
    (signals.review_recorded, settled.settle_review),
)


def connect() -> None:
    """Subscribe once per process (blinker keeps strong references: `weak=False`)."""
    for signal, receiver in RECEIVERS:
        signal.connect(receiver, weak=False)
