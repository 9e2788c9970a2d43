"""/service: boards and their statuses, tickets and ticket notes."""
from __future__ import annotations

from typing import Iterable

from cbcw.connectwise.api import shapes
from cbcw.connectwise.api.conditions import C
from cbcw.connectwise.api.endpoints.bodies import replace
from cbcw.connectwise.api.http import ApiSession

TICKET_FIELDS = "id,summary,board,status,company,closedFlag,_info"
TICKET_STATE_FIELDS = "id,board,status,closedFlag"
MAX_TICKET_ID = 2**31 - 1  # ConnectWise record ids are 32-bit integers (REFERENCE: `int` in the spec)


class ServiceEndpoints(ApiSession):
    """The tickets a change is linked to, the boards and statuses it moves them through, and
    the notes it writes on them."""

    # -- boards and statuses ---------------------------------------------------------------

    def list_boards(self) -> list[dict]:
        """Active service (not project) boards."""
        boards = self.iter_list("/service/boards", C.and_(C.eq("inactiveFlag", False), C.eq("projectFlag", False)))
        return [b for b in map(shapes.record, boards)
                if not shapes.flag(b, "inactiveFlag") and not shapes.flag(b, "projectFlag")]

    def list_board_statuses(self, board_id: int, include_inactive: bool = False) -> list[dict]:
        conditions = None if include_inactive else C.eq("inactive", False)
        statuses = map(shapes.record, self.iter_list(f"/service/boards/{int(board_id)}/statuses", conditions))
        return [s for s in statuses if include_inactive or not shapes.flag(s, "inactive")]

    def find_board_status(self, board_id: int, name: str) -> dict | None:
        """The active status called `name` (case-insensitive) on that board, or None."""
        wanted = name.strip().lower()
        return next((s for s in self.list_board_statuses(board_id) if shapes.text(s, "name").strip().lower() == wanted),
                    None)

    # -- tickets ---------------------------------------------------------------------------

    def search_tickets(self, text: str, company_id: int, board_ids: Iterable[int] | None = None,
                       limit: int = 25) -> list[dict]:
        """Open tickets of one company (optionally on some boards) matching a number or the
        words of a summary, newest first; results are re-checked against all of that."""
        text = text.strip().lstrip("#")
        words = text.split()
        if not words:
            return []
        boards = {int(b) for b in board_ids or ()}
        scope = [C.eq("company/id", int(company_id)), C.eq("closedFlag", False)]
        if boards:
            scope.append(C.in_("board/id", sorted(boards)))
        number = text.isascii() and text.isdigit()  # isdigit() alone accepts "²", which int() refuses
        if number:
            match = C.or_(*id_prefix_conditions(text), C.contains("summary", text))
        else:
            match = C.and_(*(C.contains("summary", word) for word in words))
        found = self._first_page("/service/tickets", C.and_(*scope, match), limit, "id desc", TICKET_FIELDS)

        def fits(ticket):
            summary = shapes.text(ticket, "summary").lower()
            return (shapes.reference_id(ticket, "company") == int(company_id) and not shapes.flag(ticket, "closedFlag")
                    and (not boards or shapes.reference_id(ticket, "board") in boards)
                    and ((number and str(ticket["id"]).startswith(text)) or all(w.lower() in summary for w in words)))

        return [t for t in found if fits(t)]

    def list_tickets(self, ticket_ids: Iterable[int]) -> list[dict]:
        """The board, status and closed flag of the tickets among these ids that still exist (a
        deleted one is simply absent), in as few listings as the URL length limit allows; each
        record is re-checked against the ids."""
        wanted, fields = sorted({int(t) for t in ticket_ids}), TICKET_STATE_FIELDS
        found = []
        for run in self._runs("/service/tickets", wanted, lambda run: C.in_("id", run), fields):
            found += [t for t in map(shapes.record, self.iter_list("/service/tickets", C.in_("id", run), fields=fields))
                      if t["id"] in run]
        return found

    def get_ticket(self, ticket_id: int) -> dict:
        return shapes.record(self.request("GET", f"/service/tickets/{int(ticket_id)}"), "a ticket")

    def patch_ticket(self, ticket_id: int, operations: list[dict]) -> dict:
        """JSON Patch on top-level, case-sensitive field names (REFERENCE §6)."""
        return self.request("PATCH", f"/service/tickets/{int(ticket_id)}", json=operations)

    def set_ticket_status(self, ticket_id: int, status_id: int) -> dict:
        """Status by id: ids are per board, so resolve with `find_board_status` first."""
        return self.patch_ticket(ticket_id, [replace("status", {"id": int(status_id)})])

    # -- notes -----------------------------------------------------------------------------

    def list_ticket_notes(self, ticket_id: int, conditions: str | None = None) -> list[dict]:
        return [shapes.record(n, "a note") for n in self.iter_list(f"/service/tickets/{int(ticket_id)}/notes", conditions)]

    def create_ticket_note(self, ticket_id: int, text: str, *, internal_analysis: bool = True,
                           detail_description: bool = False, resolution: bool = False,
                           process_notifications: bool = False, member_id: int | None = None) -> dict:
        """A note; by default internal and silent (PRODUCT §3.7). One display flag must be true."""
        body = {"text": text, "internalAnalysisFlag": internal_analysis,
                "detailDescriptionFlag": detail_description, "resolutionFlag": resolution,
                "processNotifications": process_notifications}
        if member_id is not None:
            body["member"] = {"id": int(member_id)}
        return self.request("POST", f"/service/tickets/{int(ticket_id)}/notes", json=body)

    def patch_ticket_note(self, ticket_id: int, note_id: int, operations: list[dict]) -> dict:
        return self.request("PATCH", f"/service/tickets/{int(ticket_id)}/notes/{int(note_id)}", json=operations)


def id_prefix_conditions(digits: str) -> list[str]:
    """Conditions matching every ticket id that starts with `digits`: ConnectWise cannot match a
    prefix of a number, but ranges can ("501": 501, 5010–5019, 50100–50199, … up to the largest
    id). A number with a leading zero is no id prefix: nothing."""
    if not digits or digits.startswith("0"):
        return []
    low = int(digits)
    if low > MAX_TICKET_ID:
        return []
    parts, width = [C.eq("id", low)], 10
    while low * width <= MAX_TICKET_ID:
        parts.append(C.and_(C.ge("id", low * width), C.le("id", min(MAX_TICKET_ID, (low + 1) * width - 1))))
        width *= 10
    return parts


def ticket_resource_identifiers(ticket: dict) -> list[str]:
    """Member identifiers in `Ticket.resources` (a comma-separated string, REFERENCE §9)."""
    return [part.strip() for part in shapes.text(ticket, "resources").split(",") if part.strip()]
