"""Compare a ticket as ConnectWise shows it with what is expected, and say each mismatch in plain
words. Problems are plain dicts (stored as JSON with the finding) so the page can word them in
the viewer's timezone:

- `{"kind": "ticket_gone"}`: the ticket no longer exists;
- `{"kind": "status", "actual": "In Progress", "expected": "Change Scheduled"}`;
- `{"kind": "missing", "user_id", "name", "window": [start, end] | None}`: not a resource;
- `{"kind": "window", "user_id", "name", "actual": [start, end] | None, "expected": [start, end]}`.

Only what is missing or different counts: resources added by hand in ConnectWise are left alone.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from cbcw.connectwise.api import shapes
from cbcw.connectwise.drift.expected import Expected, Resource


def compare(expected: Expected, ticket: dict | None, entries: list[dict]) -> list[dict]:
    """The mismatches between `expected` and the ticket (None: not found) with its schedule entries."""
    if ticket is None:
        return [{"kind": "ticket_gone"}]
    problems = []
    status = ticket.get("status")
    actual = shapes.text(status, "name").strip() if isinstance(status, dict) else ""
    if expected.status and actual.lower() != expected.status.lower():
        problems.append({"kind": "status", "actual": actual, "expected": expected.status})
    for resource in expected.resources:
        problems += _resource_problems(resource, [e for e in entries if shapes.reference_id(e, "member")
                                                  == resource.member_id])
    return problems


def _resource_problems(resource: Resource, mine: list[dict]) -> list[dict]:
    who = {"user_id": resource.user.id, "name": resource.user.display_name}
    expected = _iso_span(resource.window) if resource.window else None
    if not mine:
        return [{"kind": "missing", **who, "window": expected}]
    if resource.window is None:
        return []
    spans = [_span(entry) for entry in mine]
    if any(span == _minutes(resource.window) for span in spans):
        return []
    dated = [span for span in spans if span is not None]
    return [{"kind": "window", **who, "actual": _iso_span(dated[0]) if dated else None, "expected": expected}]


def _span(entry: dict) -> tuple[datetime, datetime] | None:
    start, end = _moment(entry.get("dateStart")), _moment(entry.get("dateEnd"))
    return (start, end) if start and end else None


def _moment(value) -> datetime | None:
    """A ConnectWise datetime ("2030-05-01T22:00:00Z"), to the minute; anything else is None."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(second=0, microsecond=0)


def _minutes(span: tuple[datetime, datetime]) -> tuple[datetime, datetime]:
    return tuple(moment.astimezone(timezone.utc).replace(second=0, microsecond=0) for moment in span)


def _iso_span(span: tuple[datetime, datetime]) -> list[str]:
    return [moment.isoformat() for moment in _minutes(span)]


def describe(problem: dict, ticket_id: int, when: Callable[[datetime, str], str]) -> str:
    """One mismatch in plain words; `when(moment, strftime_format)` shows a time to the reader."""
    kind = problem.get("kind")
    if kind == "ticket_gone":
        return f"Ticket #{ticket_id} no longer exists in ConnectWise (deleted or merged): link the change to another ticket."
    if kind == "status":
        actual = f"“{problem['actual']}”" if problem.get("actual") else "not set"
        return f"Status is {actual}, expected “{problem['expected']}”."
    if kind == "missing":
        window = problem.get("window")
        return f"{problem['name']} is not a resource" + (
            f" (expected with the implementation window {_words(window, when)})." if window else ".")
    if kind == "window":
        expected = _words(problem["expected"], when)
        if not problem.get("actual"):
            return f"{problem['name']} has no implementation window on the ticket, expected {expected}."
        return f"Window of {problem['name']} is {_words(problem['actual'], when)}, expected {expected}."
    return "The ticket does not match the change."


def _words(span: list[str], when: Callable[[datetime, str], str]) -> str:
    """`10 Dec 2030 22:00–23:00`, or both dates in full when the window spans midnight."""
    start, end = (datetime.fromisoformat(moment) for moment in span)
    same_day = when(start, "%Y-%m-%d") == when(end, "%Y-%m-%d")
    return f"{when(start, '%d %b %Y %H:%M')}–{when(end, '%H:%M' if same_day else '%d %b %Y %H:%M')}"
