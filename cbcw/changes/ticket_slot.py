"""Where a ticketing integration plugs into the change pages; the domain only asks.

- The slot on a change's Overview: an integration registers the endpoint (taking
  `change_id`) that renders its ticket widget; the detail page then loads that URL with
  `hx-get` once the page is shown, so a slow PSA never delays the page. Until it answers, or
  when no integration registered, the slot shows what the change remembers of its linked
  ticket (id, summary, board, last seen status).
- The ticket field of the change form: an integration registers a `TicketPicker`, which draws
  the field and checks a chosen ticket before it is linked. Without one, the form has no
  ticket field and a posted ticket is refused.
"""
from typing import Optional, Protocol

from flask import Flask, current_app, url_for
from markupsafe import Markup

from cbcw.changes.fields import LinkedTicket
from cbcw.changes.models import Change

_EXTENSION = "cbcw.linked_ticket_widget"
_PICKER = "cbcw.linked_ticket_picker"


class TicketRefused(Exception):
    """The chosen ticket may not be linked (or could not be checked); str() tells the user why."""


class TicketPicker(Protocol):
    def field(self, organisation_id: int, company_id: Optional[int], chosen: Optional[LinkedTicket],
              error: Optional[str]) -> Markup:
        """The form field's HTML, posting `linked_ticket_id` (see `ticket_choice.TicketChoiceMixin`)."""

    def check(self, organisation_id: int, company_id: Optional[int], ticket_id: int) -> LinkedTicket:
        """The ticket as the change should remember it; TicketRefused if it may not be linked."""


def register_widget(app: Flask, endpoint: str) -> None:
    """Let `endpoint` (a view taking `change_id`) fill the linked-ticket slot."""
    app.extensions[_EXTENSION] = endpoint


def widget_url(change: Change) -> Optional[str]:
    """The URL of the registered ticket widget for this change, or None."""
    endpoint = current_app.extensions.get(_EXTENSION)
    return url_for(endpoint, change_id=change.id) if endpoint else None


def register_picker(app: Flask, picker: TicketPicker) -> None:
    """Let `picker` draw the change form's ticket field and check the tickets chosen in it."""
    app.extensions[_PICKER] = picker


def picker_field(organisation_id: int, company_id: Optional[int], chosen: Optional[LinkedTicket],
                 error: Optional[str]) -> Markup:
    """The ticket field for the change form, or nothing without an integration."""
    picker = current_app.extensions.get(_PICKER)
    return picker.field(organisation_id, company_id, chosen, error) if picker else Markup("")


def check_ticket(organisation_id: int, company_id: Optional[int], ticket_id: int) -> LinkedTicket:
    """The chosen ticket, checked by the integration; TicketRefused if it may not be linked."""
    picker = current_app.extensions.get(_PICKER)
    if picker is None:
        raise TicketRefused("No ticketing integration is set up, so no ticket can be linked.")
    return picker.check(organisation_id, company_id, ticket_id)
