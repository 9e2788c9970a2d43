"""Which ConnectWise writes each change event causes (PRODUCT §3.7's table), decided without the
network: status changes, internal notes, resources and the implementation window, and the plan
block in the ticket's description. Delivery (`delivery.py`) sends them later, in this order."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from cbcw.accounts.models import User
from cbcw.changes import signals
from cbcw.changes.approvals import active_vcab_members
from cbcw.changes.models import Change
from cbcw.connectwise.automation import plan_block, texts
from cbcw.connectwise.linked import TICKET_SYSTEM
from cbcw.connectwise.settings.models import ConnectWiseSettings
from cbcw.db import utcnow
from cbcw.extensions import db


# A status-setting event: the settings attribute holding the status name, and the label errors use.
CREATED = ("status_change_created", "Change Created")
FULLY_APPROVED = ("status_fully_approved", "Fully Approved")
SCHEDULED = ("status_change_scheduled", "Change Scheduled")
COMPLETED = ("status_change_completed", "Change Completed")
CANCELLED = ("status_change_cancelled", "Change Cancelled")
# Who becomes a ticket resource when the ticket is linked, and who gets the implementation window.
LINK_ROLES = ("creator", "technical", "operational", "vcab")
WINDOW_ROLES = ("implementer", "technical", "operational")
_ROLE_FIELDS = {"creator": "created_by_id", "technical": "technical_approver_id",
                "operational": "operational_approver_id", "implementer": "implementer_id"}


@dataclass
class Planned:
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)
    reference: str = field(default_factory=lambda: "cb-" + secrets.token_hex(4))
    ticket_id: int | None = None  # another ticket than the linked one (the one a change moved away from)


def plan(event, change: Change, actor: User | None, settings: ConnectWiseSettings, **details) -> list[Planned]:
    """The writes for one event (a signal of `cbcw.changes.signals`), in delivery order."""
    planner = _PLANNERS.get(event)
    if planner is None:
        return []
    return planner(_Context(change, actor, settings, details))


@dataclass
class _Context:
    change: Change
    actor: User | None
    settings: ConnectWiseSettings
    details: dict

    @property
    def who(self) -> str:
        return self.actor.display_name if self.actor else "ChangeBreeze"

    def status(self, attr: str, label: str) -> list[Planned]:
        """A status change, only with Auto-Update on and a name set for this event."""
        name = status_name(self.settings, (attr, label))
        return [Planned("status", {"status": name, "setting": label})] if name else []

    def note(self, headline: str, fields: list[tuple[str, str]], moment: datetime | None = None,
             ticket_id: int | None = None) -> Planned:
        planned = Planned("note", ticket_id=ticket_id)
        text = texts.note(self.change, headline, self.who, moment or utcnow(), fields)
        planned.payload = {"text": texts.with_reference(text, planned.reference)}
        return planned

    def resources(self, people: list[tuple[User, str]], window: bool) -> list[Planned]:
        """One resource write per person (roles merged), then one note for those not in ConnectWise."""
        roles: dict[int, list[str]] = {}
        users: dict[int, User] = {}
        for user, role in people:
            if user is None:
                continue
            users[user.id] = user
            roles.setdefault(user.id, []).append(role)
        change = self.change
        span = {"start": change.window_start.isoformat(), "end": change.window_end.isoformat()} \
            if window and change.window_start and change.window_end else None
        writes = [Planned("resource", {
            "user_id": user.id, "user_name": user.display_name, "roles": roles[user.id], "window": span,
            "change": change.reference, "title": change.title,
        }) for user in users.values()]
        if writes:
            writes.append(Planned("unmatched", {
                "users": [{"id": u.id, "name": u.display_name, "roles": roles[u.id]} for u in users.values()],
            }))
        return writes


def people(change: Change, roles: tuple[str, ...], user_of: Callable[[int], User | None] | None = None,
           vcab: list[User] | None = None) -> list[tuple[User, str]]:
    """(user, role) for each of `roles` the change has: one per person named on the change, and
    the organisation's active vCAB members when the change requires a vCAB. A caller going over
    many changes passes `user_of` and `vcab` it loaded once; by default they are read here."""
    user_of = user_of or (lambda user_id: db.session.get(User, user_id))
    found = []
    for role in roles:
        if role == "vcab":
            if change.requires_vcab:
                members = active_vcab_members(change.organisation_id) if vcab is None else vcab
                found += [(member, "vcab") for member in members]
        elif (user_id := getattr(change, _ROLE_FIELDS[role])) is not None and (user := user_of(user_id)) is not None:
            found.append((user, role))
    return found


def status_name(settings: ConnectWiseSettings, event: tuple[str, str]) -> str | None:
    """The status a status-setting event (CREATED …) sets: only with Auto-Update on and a name set."""
    name = (getattr(settings, event[0]) or "").strip()
    return name if settings.auto_update_status and name else None


def repair(change: Change, settings: ConnectWiseSettings, status: tuple[str, str] | None,
           people: list[tuple[User, str]], window_people: list[tuple[User, str]]) -> list[Planned]:
    """The status and resource writes that put a drifted ticket back (PRODUCT §3.9), planned as
    the events plan them: `status` is a status-setting event (CREATED …) or None; `people`
    become resources without dates, `window_people` get the implementation window. No notes
    beyond each resource's own: the events' notes were posted when they happened."""
    context = _Context(change, None, settings, {})
    writes = context.status(*status) if status else []
    writes += context.resources(people, window=False) + context.resources(window_people, window=True)
    return [write for write in writes if write.kind != "unmatched"]


def _linked(c: _Context) -> list[Planned]:
    change = c.change
    fields = [("Company", change.company.name if change.company else ""), ("Risk", change.risk),
              ("Description", change.description), ("Reason", change.reason), ("Impact", change.impact),
              ("State", change.state_label)]
    # The ConnectWise ticket the change moved away from (not another PSA's number) says where it
    # went, so nobody follows it there any more.
    previous = c.details.get("previous_ticket_id") \
        if c.details.get("previous_ticket_system") == TICKET_SYSTEM else None
    # The old ticket loses the change's resources (PRODUCT §3.7), then says where it went.
    moved = [Planned("unschedule", {"change": change.reference, "mode": "remove"}, ticket_id=previous),
             c.note(f"moved to ticket #{c.details.get('ticket_id')}",
                    [("Note", "This ticket no longer follows the change; its updates go to the new ticket; "
                              "its resources were removed from this ticket.")],
                    ticket_id=previous)] if previous else []
    return [*moved, *c.status(*CREATED), c.note("linked to this ticket", fields),
            *c.resources(people(change, LINK_ROLES), window=False)]


def _approval(c: _Context) -> list[Planned]:
    kind = texts.APPROVAL_LABELS.get(c.details.get("kind"), c.details.get("kind", ""))
    role = texts.ROLE_LABELS.get(c.details.get("kind"), "approver")
    headline = texts.EMERGENCY_APPROVED if c.details.get("kind") == "ecab" else f"approved ({kind})"
    return [c.note(headline, [("Approver", f"{c.who} ({role})"),
                              ("Comment", c.details.get("comment") or "")])]


def _rejected(c: _Context) -> list[Planned]:
    kind = texts.APPROVAL_LABELS.get(c.details.get("kind"), c.details.get("kind", ""))
    role = texts.ROLE_LABELS.get(c.details.get("kind"), "approver")
    return [c.note(f"rejected ({kind}); back to draft", [("Approver", f"{c.who} ({role})"),
                                                         ("Reason", c.details.get("comment") or "")])]


def _fully_approved(c: _Context) -> list[Planned]:
    """Fully Approved; a standard change's note names the template version that approved it."""
    if c.change.change_type != "standard" or c.change.template_version is None:
        return c.status(*FULLY_APPROVED)
    return [*c.status(*FULLY_APPROVED),
            c.note(texts.STANDARD_APPROVED, [("Template", texts.template_named(c.change)),
                                             ("Risk", c.change.risk)])]


def _reviewed(c: _Context) -> list[Planned]:
    return [c.note(texts.REVIEW_RECORDED, [(label, c.details.get(name) or "") for label, name in texts.REVIEW_FIELDS])]


def _scheduled(c: _Context) -> list[Planned]:
    change = c.change
    implementer = db.session.get(User, change.implementer_id) if change.implementer_id else None
    return [*c.status(*SCHEDULED), *c.resources(people(change, WINDOW_ROLES), window=True),
            Planned("plan", {"change": change.reference, "text": plan_block.plan_text(
                change, implementer, with_test_and_rollback=c.settings.plan_includes_test_and_rollback)})]


def _started(c: _Context) -> list[Planned]:
    started_at = c.details.get("started_at") or utcnow()
    return [c.note("Implementation Started", [("Implementer", c.who), ("Started", texts.when(started_at))],
                   started_at)]


# What a finished change does to its schedule entries (PRODUCT §3.7: closed or removed, so no
# dispatch calendar keeps stale work); see `executors._unschedule`.
CLOSE_ALL = "close"            # completed: every entry of the change done (doneFlag)
CLOSE_WINDOWS = "close_windows"  # failed: the window's entries done; the resources stay for the rollback
CANCEL = "cancel"              # cancelled: the window's entries deleted, the other entries done
REMOVE = "remove"              # moved to another ticket: every entry deleted from the old one


def _closing(change: Change, mode: str) -> Planned:
    return Planned("unschedule", {"change": change.reference, "mode": mode})


def _completed(c: _Context) -> list[Planned]:
    return [*c.status(*COMPLETED),
            c.note("Completed", [("Completion notes", c.details.get("completion_notes") or ""),
                                 ("Test results", c.details.get("test_results") or "")]),
            _closing(c.change, CLOSE_ALL)]


def _failed(c: _Context) -> list[Planned]:
    return [c.note("Failed - Rollback Required", [("Failure reason", c.details.get("failure_reason") or ""),
                                                  ("Rollback notes", c.details.get("rollback_notes") or "")]),
            _closing(c.change, CLOSE_WINDOWS)]


def _cancelled(c: _Context) -> list[Planned]:
    return [*c.status(*CANCELLED), c.note("Cancelled", [("Reason", c.details.get("reason") or "")]),
            _closing(c.change, CANCEL)]


# `change_created` writes nothing itself: a change reaches ConnectWise when a ticket is linked
# (at creation or later), which sends `ticket_linked`.
_PLANNERS = {
    signals.ticket_linked: _linked,
    signals.approval_recorded: _approval,
    signals.change_rejected: _rejected,
    signals.change_fully_approved: _fully_approved,
    signals.change_scheduled: _scheduled,
    signals.implementation_started: _started,
    signals.change_completed: _completed,
    signals.change_failed: _failed,
    signals.change_cancelled: _cancelled,
    signals.review_recorded: _reviewed,
}
