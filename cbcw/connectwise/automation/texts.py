"""Readable texts of the notes ChangeBreeze posts on a ticket: what happened to which change,
who did it and when, the fields that matter, and a link back (PRODUCT §3.7)."""
from datetime import datetime

from flask import current_app

from cbcw.changes.models import Change

ROLE_LABELS = {"creator": "change creator", "technical": "technical approver",
               "operational": "operational approver", "vcab": "vCAB member", "implementer": "implementer"}
APPROVAL_LABELS = {"technical": "technical", "operational": "operational", "vcab": "vCAB"}


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def change_link(change: Change) -> str:
    return f"{current_app.config['APP_BASE_URL'].rstrip('/')}/changes/{change.id}"


def note(change: Change, headline: str, who: str, moment: datetime, fields: list[tuple[str, str]]) -> str:
    """`CHG-000123 "Title": headline`, then by/when, the non-empty fields, and the link back."""
    lines = [f'{change.reference} "{change.title}": {headline}', f"By {who}, {when(moment)}"]
    lines += [f"{label}: {value.strip()}" for label, value in fields if value and value.strip()]
    lines.append(f"Change: {change_link(change)}")
    return "\n".join(lines)


def with_reference(text: str, reference: str) -> str:
    """The note text ending with its short reference (how a retry finds it on the ticket)."""
    return f"{text}\n[{reference}]"


def roles_phrase(roles: list[str]) -> str:
    return " and ".join(ROLE_LABELS.get(role, role) for role in roles)
