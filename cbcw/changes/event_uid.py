"""The iCalendar UID of a change's implementation window (RFC 5545 §3.8.4.7).

The private feed (`calendar/feed.py`) and the implementer's e-mailed invitation and its
cancellation (`notifications/invitation.py`) give the same window the same UID, so a calendar
that both subscribes to the feed and receives the invitation matches them as one event. A UID is
global to every calendar, so it names the organisation and the change, at this installation's
address (the host, and port if any, of APP_BASE_URL): two installations, or two organisations,
never share one. It depends on nothing else, so a regenerated feed or an updated invitation keeps it.
"""
from urllib.parse import urlsplit

from flask import current_app

from cbcw.changes.models import Change


def window_uid(change: Change) -> str:
    return f"change-{change.id}.org-{change.organisation_id}@{_installation()}"


def _installation() -> str:
    try:
        address = urlsplit(current_app.config["APP_BASE_URL"])
        host, port = address.hostname, address.port
    except ValueError:  # a malformed port
        host, port = None, None
    if not host:
        return "changebreeze"
    return f"{host}:{port}" if port else host
