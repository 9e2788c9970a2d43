"""The linked-ticket slot on a change's Overview: an integration fills it, the domain only asks.

An integration registers the endpoint (taking `change_id`) that renders its ticket widget; the
detail page then loads that URL with `hx-get` once the page is shown, so a slow PSA never
delays the page. Until it answers, or when no integration registered, the slot shows what the
change remembers of its linked ticket (id, summary, board, last seen status).
"""
from typing import Optional

from flask import Flask, current_app, url_for

from cbcw.changes.models import Change

_EXTENSION = "cbcw.linked_ticket_widget"


def register_widget(app: Flask, endpoint: str) -> None:
    """Let `endpoint` (a view taking `change_id`) fill the linked-ticket slot."""
    app.extensions[_EXTENSION] = endpoint


def widget_url(change: Change) -> Optional[str]:
    """The URL of the registered ticket widget for this change, or None."""
    endpoint = current_app.extensions.get(_EXTENSION)
    return url_for(endpoint, change_id=change.id) if endpoint else None
