"""Which changes are ConnectWise's to act on: those whose linked ticket was recorded under this
integration's ticket-system key. A change linked to another PSA's ticket gets no ConnectWise
write, drift check, widget or time entry, even if its ticket number exists in ConnectWise too."""
from sqlalchemy import ColumnElement, and_

from cbcw.changes.models import Change

TICKET_SYSTEM = "connectwise"


def linked_ticket_id(change: Change) -> int | None:
    """The change's ConnectWise ticket, or None (no ticket, or another system's)."""
    return change.linked_ticket_id if change.linked_ticket_system == TICKET_SYSTEM else None


def linked_to_connectwise() -> ColumnElement[bool]:
    """The same rule as a query condition."""
    return and_(Change.linked_ticket_id.is_not(None), Change.linked_ticket_system == TICKET_SYSTEM)
