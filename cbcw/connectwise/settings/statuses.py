"""Check the configured status names against the statuses of every board in use (PRODUCT §3.4)."""
from cbcw.connectwise.api.client import ConnectWiseClient
from cbcw.connectwise.settings.mappings import board_ids_in_use
from cbcw.connectwise.settings.models import STATUS_EVENTS, ConnectWiseSettings


def missing_statuses(settings: ConnectWiseSettings, client: ConnectWiseClient) -> list[dict]:
    """[{event, status, board}] for each set name a board in use lacks (case-insensitive, active statuses)."""
    names = {label: getattr(settings, attr).strip() for attr, label in STATUS_EVENTS if getattr(settings, attr).strip()}
    if not names:
        return []
    in_use = board_ids_in_use(settings.organisation_id)
    boards = [b for b in client.list_boards() if in_use is None or b["id"] in in_use]
    warnings = []
    for board in sorted(boards, key=lambda b: b["name"].lower()):
        available = {s.get("name", "").strip().lower() for s in client.list_board_statuses(board["id"])}
        warnings += [
            {"event": event, "status": name, "board": board["name"]}
            for event, name in names.items() if name.lower() not in available
        ]
    return warnings
