"""The boards' statuses (PRODUCT §3.4): offered as a pick-list on the settings page, and the
configured names checked against every board in use."""
from cbcw.connectwise.api.client import ConnectWiseClient
from cbcw.connectwise.settings.mappings import board_ids_in_use
from cbcw.connectwise.settings.models import STATUS_EVENTS, ConnectWiseSettings


def statuses_by_board(settings: ConnectWiseSettings, client: ConnectWiseClient) -> list[tuple[str, dict[str, str]]]:
    """[(board name, {lower-case status name: name as ConnectWise spells it})] for the boards in use, by name."""
    in_use = board_ids_in_use(settings.organisation_id)
    boards = [b for b in client.list_boards() if in_use is None or b["id"] in in_use]
    return [(board["name"], {s.get("name", "").strip().lower(): s.get("name", "").strip()
                             for s in client.list_board_statuses(board["id"]) if s.get("name", "").strip()})
            for board in sorted(boards, key=lambda b: b["name"].lower())]


def status_choices(settings: ConnectWiseSettings, client: ConnectWiseClient) -> list[tuple[str, str]]:
    """(name, where it exists) for every status of the boards in use: "all boards" or the boards' names."""
    boards = statuses_by_board(settings, client)
    names: dict[str, tuple[str, list[str]]] = {}
    for board, statuses in boards:
        for key, name in statuses.items():
            names.setdefault(key, (name, []))[1].append(board)
    return [(name, "on every board in use" if len(on) == len(boards) else "only on " + ", ".join(on))
            for name, on in sorted(names.values(), key=lambda item: item[0].lower())]


def missing_statuses(settings: ConnectWiseSettings, client: ConnectWiseClient) -> list[dict]:
    """[{event, status, board}] for each set name a board in use lacks (case-insensitive, active statuses)."""
    names = {label: getattr(settings, attr).strip() for attr, label in STATUS_EVENTS if getattr(settings, attr).strip()}
    if not names:
        return []
    return [{"event": event, "status": name, "board": board}
            for board, available in statuses_by_board(settings, client)
            for event, name in names.items() if name.lower() not in available]
