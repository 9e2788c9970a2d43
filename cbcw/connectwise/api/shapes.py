"""Check what ConnectWise answered before anything reads it.

A Base URL is typed by a user, so "ConnectWise" may be any server: valid JSON of the wrong shape
(a dict where a list belongs, `[null]`, `[{}]`, a name that is a number) must become a
`BadResponse` with a plain message where the answer is read, never a `KeyError` or a 500 later.
"""
from __future__ import annotations

from cbcw.connectwise.api import errors


def obj(value, what: str = "an object") -> dict:
    """A JSON object."""
    if not isinstance(value, dict):
        raise errors.BadResponse(detail=f"expected {what}")
    return value


def record(value, what: str = "a record") -> dict:
    """A JSON object with an integer `id`, as every ConnectWise record has."""
    value = obj(value, what)
    ident = value.get("id")
    if not isinstance(ident, int) or isinstance(ident, bool) or ident < 1:
        raise errors.BadResponse(detail=f"{what} without a valid id")
    return value


def records(value, what: str = "a list of records") -> list[dict]:
    """A JSON list of records."""
    if not isinstance(value, list):
        raise errors.BadResponse(detail=f"expected {what}")
    return [record(item) for item in value]


def text(value: dict, key: str) -> str:
    """A string field, "" when absent or not a string."""
    found = value.get(key)
    return found if isinstance(found, str) else ""


def flag(value: dict, key: str) -> bool:
    """A boolean field; anything but `true` reads as false."""
    return value.get(key) is True


def reference_id(value: dict, key: str) -> int | None:
    """The id of a reference field such as `company` ({"id": 12, …}), or None."""
    found = value.get(key)
    ident = found.get("id") if isinstance(found, dict) else None
    return ident if isinstance(ident, int) and not isinstance(ident, bool) else None


def count(value) -> int:
    """The `{"count": n}` of a /count endpoint."""
    found = obj(value, "a count").get("count")
    if not isinstance(found, int) or isinstance(found, bool) or found < 0:
        raise errors.BadResponse(detail="expected a count")
    return found
