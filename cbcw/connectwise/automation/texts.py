"""Readable texts of the notes ChangeBreeze posts on a ticket: what happened to which change,
who did it and when, the fields that matter, and a link back (PRODUCT §3.7)."""
from datetime import datetime

from flask import current_app

from cbcw.changes.models import Change

ROLE_LABELS = {"creator": "change creator", "technical": "technical approver",
               "operational": "operational approver", "vcab": "vCAB member", "implementer": "implementer",
               "ecab": "ECAB member"}
APPROVAL_LABELS = {"technical": "technical", "operational": "operational", "vcab": "vCAB", "ecab": "emergency"}


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


# Change types (PRODUCT §2.7): the notes a standard change's approval, an emergency approval and
# a post-implementation review post.
STANDARD_APPROVED = "approved as a standard change (no approval round)"
EMERGENCY_APPROVED = "emergency approval by an ECAB member"
REVIEW_RECORDED = "Post-implementation review"
REVIEW_FIELDS = (("What was done", "what_was_done"), ("Why it could not wait", "why_urgent"),
                 ("Outcome", "outcome"), ("Follow-up actions", "follow_ups"))


def template_named(change: Change) -> str:
    """"Patch Windows servers, version 3": the template and version a standard change came from."""
    version = change.template_version
    return f"{version.template.name}, version {version.version}" if version is not None else ""
