"""How request bodies are written: UTC datetimes and JSON Patch operations."""
from __future__ import annotations

from datetime import datetime, timezone


def replace(path: str, value) -> dict:
    """One JSON Patch `replace` operation."""
    return {"op": "replace", "path": path, "value": value}


def iso(moment: datetime) -> str:
    """A body datetime: UTC ISO-8601 with `Z`, no brackets (brackets are for conditions only)."""
    if moment.tzinfo is None:
        raise ValueError("datetimes sent to ConnectWise must be timezone-aware")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
