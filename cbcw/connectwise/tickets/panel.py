"""What the ConnectWise Ticket widget on a change's Overview shows (PRODUCT §3.6).

One of: no ticket linked; the integration disabled (or not set up); ConnectWise unreachable
(with its message, so the user can retry); the ticket deleted in ConnectWise (offering to
unlink); or the live ticket. Live reads go through a 60-second cache; a live read also
records the ticket's status on the change as its last seen status.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from cbcw.accounts.models import User
from cbcw.changes.models import Change
from cbcw.connectwise.api import errors, links
from cbcw.connectwise.tickets import cache as ticket_cache
from cbcw.connectwise.automation.models import OutboxWrite
from cbcw.connectwise.linked import TICKET_SYSTEM, linked_ticket_id
from cbcw.connectwise.settings.connection import client_for
from cbcw.connectwise.settings.models import ConnectWiseSettings, MemberMatch
from cbcw.connectwise.ticket_marks import marked_at
from cbcw.connectwise.tickets.search import Ticket, fetch
from cbcw.crypto import SecretUnreadable
from cbcw.db import utcnow
from cbcw.extensions import db

DELETED = "deleted"


@dataclass(frozen=True)
class TicketPanel:
    state: str  # unlinked | disabled | unreachable | deleted | live
    change: Change
    ticket: Ticket | None = None
    message: str = ""
    ticket_url: str | None = None
    member: MemberMatch | None = None
    mark: str = ""  # when ConnectWise last told us the ticket changed: the open widget polls it


def mark_token(organisation_id: int, ticket_id: int) -> str:
    """A token that changes whenever a callback marks the ticket changed ("0": never)."""
    when = marked_at(organisation_id, ticket_id)
    return str(int(when.timestamp() * 1_000_000)) if when else "0"


def settings_of(organisation_id: int) -> ConnectWiseSettings | None:
    """The organisation's settings row if it exists (read only: a GET never inserts one)."""
    return db.session.scalar(select(ConnectWiseSettings).where(ConnectWiseSettings.organisation_id == organisation_id))


def member_of(user: User) -> MemberMatch | None:
    """The user's ConnectWise member, if matched (PRODUCT §3.10)."""
    match = db.session.scalar(select(MemberMatch).where(
        MemberMatch.user_id == user.id, MemberMatch.organisation_id == user.organisation_id))
    return match if match is not None and match.cw_member_id is not None else None


def cache_key(settings: ConnectWiseSettings, ticket_id: int) -> tuple:
    """Per organisation and site: a changed Base URL or company ID never serves the old site's ticket."""
    return settings.organisation_id, settings.base_url, settings.cw_company_id, ticket_id


def ticket_panel(change: Change, user: User, refresh: bool = False) -> TicketPanel:
    """The widget's state for this change and viewer; never raises for a ConnectWise failure."""
    ticket_id = linked_ticket_id(change)
    if ticket_id is None:
        return TicketPanel("unlinked", change)
    settings = settings_of(change.organisation_id)
    if settings is None or not settings.enabled:
        return TicketPanel("disabled", change, message="The ConnectWise integration is disabled: "
                                                       "the ticket details below are the last ones seen.")
    url = links.ticket_url(settings.base_url, settings.cw_company_id, ticket_id) if settings.base_url else None
    mark = mark_token(change.organisation_id, ticket_id)
    try:
        found = live_ticket(settings, ticket_id, refresh)
    except (errors.ConnectWiseError, SecretUnreadable) as error:
        return TicketPanel("unreachable", change, message=str(error), ticket_url=url, mark=mark)
    if found == DELETED:
        return TicketPanel("deleted", change, ticket_url=None, mark=mark)
    if remember_status(change, found):
        db.session.commit()
    return TicketPanel("live", change, ticket=found, ticket_url=url, mark=mark,
                       member=member_of(user) if user.can_edit_changes else None)


def live_ticket(settings: ConnectWiseSettings, ticket_id: int, refresh: bool = False) -> Ticket | str:
    """The ticket from the cache or ConnectWise, or DELETED when ConnectWise no longer has it."""
    key = cache_key(settings, ticket_id)
    if not refresh:
        cached = ticket_cache.tickets.get(key, changed_at=last_changed_at(settings.organisation_id, ticket_id))
        if cached is not None:
            return cached
    asked_at = utcnow()
    try:
        found: Ticket | str = fetch(client_for(settings, interactive=True), ticket_id)
    except errors.NotFound as error:
        if not error.record_gone:
            raise
        found = DELETED
    ticket_cache.tickets.put(key, found, stored_at=asked_at)
    return found


def last_changed_at(organisation_id: int, ticket_id: int) -> datetime | None:
    """When the ticket last changed as far as any process knows: our own write, or ConnectWise's
    callback. A cached copy read before then is stale."""
    known = [t for t in (last_written_at(organisation_id, ticket_id), marked_at(organisation_id, ticket_id)) if t]
    return max(known, default=None)


def last_written_at(organisation_id: int, ticket_id: int) -> datetime | None:
    """When our outbox last changed the ticket (any worker or the scheduler may have sent it), so the
    widget shows the status a change's own event just set rather than a cached older one."""
    return db.session.scalar(select(func.max(OutboxWrite.finished_at)).where(
        OutboxWrite.organisation_id == organisation_id, OutboxWrite.ticket_id == ticket_id,
        OutboxWrite.state == "sent"))


def forget(settings: ConnectWiseSettings, ticket_id: int) -> None:
    """Drop a ticket from this process's cache (after we changed it, e.g. logged time)."""
    ticket_cache.tickets.drop(cache_key(settings, ticket_id))


def remember_status(change: Change, ticket: Ticket) -> bool:
    """Keep the last seen status, summary and board on the change, without bumping its version or
    its `updated_at`: what ConnectWise shows is not an edit of the change, must not fail a
    concurrent edit, nor move the change up the list or change when it was last acted on.
    True when something changed (the caller commits)."""
    seen = {"linked_ticket_status": ticket.status[:100] or None, "linked_ticket_summary": ticket.summary[:200] or None,
            "linked_ticket_board": ticket.board[:100] or None}
    if all(getattr(change, name) == value for name, value in seen.items()):
        return False
    db.session.execute(update(Change).where(Change.id == change.id, Change.linked_ticket_id == ticket.id,
                                            Change.linked_ticket_system == TICKET_SYSTEM)
                       .values(**seen, updated_at=Change.updated_at).execution_options(synchronize_session=False))
    for name, value in seen.items():
        set_committed_value(change, name, value)
    return True
