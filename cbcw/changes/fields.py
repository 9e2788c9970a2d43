"""What a change is made of when someone writes it: the typed values and their limits.

Forms build these values from what a user typed (and check the limits there, next to the
field); services take them as they are and enforce the rules that need the database or the
change's state. The limits live here once, so the form and the service read the same numbers.
"""
from dataclasses import dataclass, field, fields as dataclass_fields
from datetime import datetime
from typing import Optional

from cbcw.changes.models import MAX_WINDOW, Change

TITLE_MAX = 200
LONG_TEXT_MAX = 20_000  # description, plans, notes, reasons, comments
# Implementation windows are typed within these years (as local times): far enough for any real
# plan, and far from the ends of `datetime`, so converting between timezones can never overflow.
WINDOW_YEARS = (2000, 2100)
LINKED_TICKET_SUMMARY_MAX = 200
LINKED_TICKET_BOARD_MAX = 100


def window_problem(start: Optional[datetime], end: Optional[datetime]) -> Optional[str]:
    """Why this implementation window is impossible, or None when it is fine (or incomplete)."""
    if start is not None and end is not None and end <= start:
        return "The implementation window must end after it starts."
    if start is not None and end is not None and end - start > MAX_WINDOW:
        return (f"An implementation window can last at most {MAX_WINDOW.days} days: "
                "split longer work into several changes.")
    return None


@dataclass(frozen=True)
class ChangeFields:
    """Every §2.1 field a person edits on the change form (the state and history are not)."""

    title: str = ""
    company_id: Optional[int] = None
    risk: str = "low"
    description: str = ""
    reason: str = ""
    impact: str = ""
    implementation_plan: str = ""
    rollback_plan: str = ""
    test_plan: str = ""
    window_start: Optional[datetime] = None
    window_end: Optional[datetime] = None
    implementer_id: Optional[int] = None
    technical_approver_id: Optional[int] = None
    operational_approver_id: Optional[int] = None
    requires_vcab: bool = False
    change_type: str = "normal"
    template_version_id: Optional[int] = None
    # {question key: answer value}; empty: the risk above is kept as given (no questionnaire).
    risk_answers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, change: Change) -> "ChangeFields":
        """The change's current values, e.g. to edit one of them with `dataclasses.replace`."""
        return cls(**{name: getattr(change, name) for name in cls.names()})

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(field.name for field in dataclass_fields(cls))


@dataclass(frozen=True)
class LinkedTicket:
    """The ticket a change is linked to, as the change remembers it (an integration fills it,
    `system` being its ticket system's key)."""

    id: int
    summary: Optional[str] = None
    board: Optional[str] = None
    status: Optional[str] = None
    system: Optional[str] = None
