"""Statuses per board and the board of each ticket, kept a few minutes per process, so a status
change costs one PATCH instead of three requests (the statuses and the ticket's board rarely move;
a status ConnectWise refuses makes the caller forget both and look again)."""
import threading
import time

from cbcw.connectwise.api.client import ConnectWiseClient
from cbcw.connectwise.api.errors import BadResponse

TTL_SECONDS = 300
_lock = threading.Lock()
_entries: dict[tuple, tuple[float, object]] = {}


def _cached(key: tuple, load):
    now = time.monotonic()
    with _lock:
        hit = _entries.get(key)
        if hit and hit[0] > now:
            return hit[1]
    value = load()
    with _lock:
        _entries[key] = (now + TTL_SECONDS, value)
    return value


def _site(client: ConnectWiseClient, organisation_id: int) -> tuple:
    return organisation_id, client.base_url, client.company_id


def board_status(client: ConnectWiseClient, organisation_id: int, board_id: int, name: str) -> dict | None:
    """The active status called `name` (case-insensitive) on that board, or None."""
    statuses = _cached(("statuses", *_site(client, organisation_id), board_id),
                       lambda: {s.get("name", "").strip().lower(): s for s in client.list_board_statuses(board_id)})
    return statuses.get(name.strip().lower())


def ticket_board(client: ConnectWiseClient, organisation_id: int, ticket_id: int) -> dict:
    """The ticket's board reference `{id, name}` (a deleted ticket raises NotFound)."""
    def load():
        ticket = client.request("GET", f"/service/tickets/{int(ticket_id)}", params={"fields": "id,board"})
        board = ticket.get("board") if isinstance(ticket, dict) else None
        if not isinstance(board, dict) or not isinstance(board.get("id"), int):
            raise BadResponse(detail=f"ticket #{ticket_id} came back without a board")
        return board
    return _cached(("board", *_site(client, organisation_id), ticket_id), load)


def forget_ticket(client: ConnectWiseClient, organisation_id: int, ticket_id: int) -> None:
    with _lock:
        _entries.pop(("board", *_site(client, organisation_id), ticket_id), None)


def forget_board(client: ConnectWiseClient, organisation_id: int, board_id: int) -> None:
    with _lock:
        _entries.pop(("statuses", *_site(client, organisation_id), board_id), None)


def clear() -> None:
    with _lock:
        _entries.clear()
