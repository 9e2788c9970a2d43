"""Append-only timeline of a change (PRODUCT §2.3): one helper every writer uses."""
from datetime import datetime
from typing import Any, Optional

from cbcw.accounts.models import User
from cbcw.changes.models import Change, TimelineEntry
from cbcw.extensions import db


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    return value


def record(
    change: Change, actor: Optional[User], kind: str, message: str, /, **details: Any
) -> TimelineEntry:
    """Add a timeline entry to the session (flushed with the rest of the operation).

    `actor` is None for the system or the integration; `details` must be JSON-able (datetimes
    are stored as ISO 8601 strings). Entries are never updated or deleted.
    """
    if change.id is None:
        db.session.flush()
    return record_system(change.organisation_id, change.id, kind, message,
                         actor_id=actor.id if actor is not None else None, **details)


def record_system(organisation_id: int, change_id: int, kind: str, message: str, /,
                  actor_id: Optional[int] = None, **details: Any) -> TimelineEntry:
    """The same for a writer that holds only the change's ids (the integration's deliverer,
    which should not reload every change it writes about)."""
    entry = TimelineEntry(
        organisation_id=organisation_id,
        change_id=change_id,
        actor_id=actor_id,
        kind=kind,
        message=message,
        details=_jsonable(details),
    )
    db.session.add(entry)
    return entry
