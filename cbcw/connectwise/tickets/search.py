"""Which ConnectWise tickets a change may link (PRODUCT §3.5, "Board Filtering").

A change may link an open ticket of the ConnectWise company its company is mapped to, on one
of the boards chosen for that mapping (all boards when none are chosen). The typeahead offers
only such tickets, and `check_linkable` enforces the same rule on save, so a crafted POST with
another company's ticket number is refused.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from cbcw.connectwise.api import errors
from cbcw.connectwise.api.client import ConnectWiseClient
from cbcw.connectwise.settings.models import CompanyMapping, ConnectWiseSettings
from cbcw.connectwise.tickets.cache import TicketCache
from cbcw.extensions import db

MAX_RESULTS = 25
MAX_QUERY_LENGTH = 100


@dataclass(frozen=True)
class Ticket:
    """What ChangeBreeze shows of a ConnectWise ticket, read from a record of any shape."""

    id: int
    summary: str
    board_id: int | None
    board: str
    status: str
    company_id: int | None
    closed: bool

    @classmethod
    def from_record(cls, record) -> "Ticket":
        """Validate one ticket record; anything without an integer id is a BadResponse."""
        if not isinstance(record, dict) or not _is_id(record.get("id")):
            raise errors.BadResponse(detail="a ticket without an id")
        board, status, company = (_reference(record.get(key)) for key in ("board", "status", "company"))
        return cls(
            id=record["id"], summary=_text(record.get("summary")), board_id=_id_or_none(board.get("id")),
            board=_text(board.get("name")), status=_text(status.get("name")),
            company_id=_id_or_none(company.get("id")), closed=record.get("closedFlag") is True,
        )


class NotLinkable(Exception):
    """The ticket exists but this change may not link it; str() is the message for the user."""


def mapping_for(organisation_id: int, company_id: int | None) -> CompanyMapping | None:
    """The company's ConnectWise mapping inside this organisation, or None."""
    if company_id is None:
        return None
    return db.session.scalar(select(CompanyMapping).where(
        CompanyMapping.organisation_id == organisation_id, CompanyMapping.company_id == company_id))


# The tickets the typeahead has just offered (a minute, per process): saving a change with the
# ticket picked from it checks this copy rather than asking ConnectWise again while the user waits
# (PRODUCT §3.8); a ticket typed in by number, or picked in another worker, is fetched.
recently_offered = TicketCache()


def linking_scope(organisation_id: int, company_id: int) -> tuple[ConnectWiseSettings, CompanyMapping] | None:
    """The organisation's settings and the company's mapping in ONE query (the typeahead runs it
    per keystroke), or None when the company is not mapped."""
    row = db.session.execute(
        select(ConnectWiseSettings, CompanyMapping)
        .join(CompanyMapping, CompanyMapping.organisation_id == ConnectWiseSettings.organisation_id)
        .where(ConnectWiseSettings.organisation_id == organisation_id, CompanyMapping.company_id == company_id)
    ).first()
    return (row[0], row[1]) if row else None


def search(client: ConnectWiseClient, mapping: CompanyMapping, query: str) -> list[Ticket]:
    """Open tickets of the mapped company on its allowed boards matching a number or words,
    newest first, at most 25: ONE ConnectWise request."""
    query = query.strip()[:MAX_QUERY_LENGTH]
    if not query.lstrip("#").strip():
        return []
    records = client.search_tickets(query, mapping.cw_company_id, mapping.board_ids or None, limit=MAX_RESULTS)
    if not isinstance(records, list):
        raise errors.BadResponse(detail="expected a list of tickets")
    found = [Ticket.from_record(record) for record in records]
    # Re-check the scope here too: whatever ConnectWise did with the conditions, never offer
    # a ticket that could not be linked.
    offered = [ticket for ticket in found if not ticket.closed and _in_scope(ticket, mapping)][:MAX_RESULTS]
    for ticket in offered:
        recently_offered.put((mapping.organisation_id, ticket.id), ticket)
    return offered


def fetch(client: ConnectWiseClient, ticket_id: int) -> Ticket:
    """One ticket; a deleted or unknown ticket raises errors.NotFound."""
    return Ticket.from_record(client.get_ticket(ticket_id))


def check_linkable(client: ConnectWiseClient, mapping: CompanyMapping | None, ticket_id: int) -> Ticket:
    """The ticket, if this mapping's change may link it; NotLinkable (with the reason) otherwise.

    ConnectWise failures propagate as ConnectWiseError so the caller can say ConnectWise is
    down rather than that the ticket is wrong.
    """
    if mapping is None:
        raise NotLinkable("The change's company is not mapped to a ConnectWise company, so no ticket can be linked.")
    try:
        ticket = recently_offered.get((mapping.organisation_id, ticket_id)) or fetch(client, ticket_id)
    except errors.NotFound:
        raise NotLinkable(f"ConnectWise has no ticket #{ticket_id}.") from None
    if ticket.company_id != mapping.cw_company_id:
        raise NotLinkable(f"Ticket #{ticket_id} does not belong to {mapping.cw_company_name} in ConnectWise.")
    if not _in_scope(ticket, mapping):
        raise NotLinkable(f"Ticket #{ticket_id} is on the {ticket.board or 'unknown'} board, which is not among "
                          f"the boards chosen for {mapping.cw_company_name}.")
    if ticket.closed:
        raise NotLinkable(f"Ticket #{ticket_id} is closed in ConnectWise: link an open ticket.")
    return ticket


def _in_scope(ticket: Ticket, mapping: CompanyMapping) -> bool:
    return ticket.company_id == mapping.cw_company_id and (
        not mapping.board_ids or ticket.board_id in mapping.board_ids)


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def _id_or_none(value) -> int | None:
    return value if _is_id(value) else None


def _reference(value) -> dict:
    return value if isinstance(value, dict) else {}


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""
