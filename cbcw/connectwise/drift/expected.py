"""What an open change's ConnectWise ticket should show, from the change alone (PRODUCT §3.7):
the status its last status-setting event sets, the members who are its resources, and the
implementation window on the entries of the implementer and approvers once it is scheduled.

Pure: the people, vCAB and member matches come in as arguments, so a check over hundreds of
changes loads them once and tests need no database.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from cbcw.accounts.models import User
from cbcw.changes.models import Change
from cbcw.connectwise.automation import planning
from cbcw.connectwise.linked import linked_ticket_id
from cbcw.connectwise.settings.models import ConnectWiseSettings

# Each open state and the last status-setting event that led to it. A change is linked (Created)
# while a draft or pending approval (a rejection only adds a note), Fully Approved once approved,
# and Change Scheduled from scheduling on (starting only adds a note; a failed change may be
# scheduled again). Completed and cancelled changes are closed: nothing is expected of them.
STATUS_EVENT_OF_STATE = {
    "draft": planning.CREATED,
    "pending_approval": planning.CREATED,
    "approved": planning.FULLY_APPROVED,
    "scheduled": planning.SCHEDULED,
    "in_progress": planning.SCHEDULED,
    "failed": planning.SCHEDULED,
}
OPEN_STATES = tuple(STATUS_EVENT_OF_STATE)
WINDOW_STATES = ("scheduled", "in_progress", "failed")


@dataclass(frozen=True)
class Resource:
    """A ConnectWise member who should be on the ticket, and the window their entry should carry."""

    user: User
    member_id: int
    roles: tuple[str, ...]
    window: tuple[datetime, datetime] | None


@dataclass(frozen=True)
class Expected:
    ticket_id: int
    status: str | None  # None: the status is not ours to set (Auto-Update off or no name)
    status_event: tuple[str, str]
    resources: tuple[Resource, ...]


def expected_state(change: Change, settings: ConnectWiseSettings, members: Mapping[int, int],
                   user_of: Callable[[int], User | None] | None = None,
                   vcab: list[User] | None = None) -> Expected | None:
    """The ticket as the change's events leave it, or None when nothing is expected (no linked
    ticket, or a closed change). `members` maps user id → ConnectWise member id (users without
    a member are left out: the events name them in a note instead of adding them)."""
    ticket_id = linked_ticket_id(change)
    if ticket_id is None or change.state not in STATUS_EVENT_OF_STATE:
        return None
    event = STATUS_EVENT_OF_STATE[change.state]
    window = (change.window_start, change.window_end) \
        if change.state in WINDOW_STATES and change.window_start and change.window_end else None
    people = planning.people(change, planning.LINK_ROLES, user_of, vcab)
    with_window = planning.people(change, planning.WINDOW_ROLES, user_of, vcab) if window else []
    roles: dict[int, list[str]] = {}
    users: dict[int, User] = {}
    for user, role in people + with_window:
        users[user.id] = user
        roles.setdefault(user.id, []).append(role)
    windowed = {user.id for user, _ in with_window}
    resources = tuple(Resource(user, members[user.id], tuple(roles[user.id]), window if user.id in windowed else None)
                      for user in users.values() if members.get(user.id))
    return Expected(ticket_id, planning.status_name(settings, event), event, resources)
