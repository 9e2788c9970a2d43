"""ConnectWise as a ticket system (`cbcw.integrations.spec.TicketSystem`): the Ticket field of the
change form, the check a chosen ticket must pass on save, and the widget on a change's Overview.

Declared in `cbcw/connectwise/integration.py`, so the change pages show this field and ask this
check without importing the integration.
"""
from __future__ import annotations

from markupsafe import Markup
from flask import render_template

from cbcw.changes.fields import LinkedTicket
from cbcw.connectwise.settings.mappings import active_settings
from cbcw.connectwise.linked import TICKET_SYSTEM
from cbcw.connectwise.tickets import panel as ticket_panel, search as tickets
from cbcw.connectwise.settings.connection import client_for
from cbcw.connectwise.api.errors import ConnectWiseError
from cbcw.connectwise.settings.models import CompanyMapping, ConnectWiseSettings
from cbcw.crypto import SecretUnreadable
from cbcw.extensions import db
from cbcw.integrations.spec import TicketRefused
from cbcw.organisations.models import Company


def disabled_reason(settings: ConnectWiseSettings | None, company: Company | None,
                    mapping: CompanyMapping | None) -> str | None:
    """Why no ticket can be picked now, in words for the user; None when the field works."""
    if settings is None or not settings.enabled:
        return "The ConnectWise integration is disabled, so no ticket can be linked."
    if mapping is not None:
        return None
    if company is None:
        return "Choose the company first: only its ConnectWise company's tickets can be linked."
    return (f"{company.name} is not mapped to a ConnectWise company, so its tickets cannot be linked. "
            "An admin can map it under Settings → ConnectWise.")


def refusal_message(ticket_id: int, failure: Exception) -> str:
    """ConnectWise could not be asked: say so, and that nothing else typed is lost."""
    return (f"Ticket #{ticket_id} could not be checked because ConnectWise did not answer ({failure}). "
            "Your other edits are still here: save again in a moment, or remove the ticket to save without it.")


class ConnectWiseTickets:
    """ConnectWise's ticket system: the field's HTML and the save-time check for the change pages,
    and the Overview's widget (`tickets/routes.py`)."""

    key = TICKET_SYSTEM
    label = "ConnectWise"
    widget_endpoint = "cw_tickets.widget"

    def enabled_for(self, organisation_id: int) -> bool:
        """The organisation has switched the integration on with everything needed to connect."""
        return active_settings(organisation_id) is not None

    def field(self, organisation_id: int, company_id: int | None, chosen: LinkedTicket | None,
              error: str | None) -> Markup:
        company = self._company(organisation_id, company_id)
        settings = ticket_panel.settings_of(organisation_id)
        mapping = tickets.mapping_for(organisation_id, company.id) if company else None
        return Markup(render_template(
            "connectwise/_ticket_field.html", company=company, mapping=mapping, chosen=chosen, error=error,
            disabled_reason=disabled_reason(settings, company, mapping)))

    @staticmethod
    def _company(organisation_id: int, company_id: int | None) -> Company | None:
        company = db.session.get(Company, company_id) if company_id is not None else None
        return company if company is not None and company.organisation_id == organisation_id else None

    def check(self, organisation_id: int, company_id: int | None, ticket_id: int) -> LinkedTicket:
        """The ticket as the change should remember it, if the company may link it.

        Refuses (TicketRefused) a ticket of another ConnectWise company, on a board outside
        the company's filter, closed or unknown, and also when ConnectWise cannot be asked:
        a ticket is never linked unchecked.
        """
        settings = ticket_panel.settings_of(organisation_id)
        mapping = tickets.mapping_for(organisation_id, company_id)
        company = self._company(organisation_id, company_id)
        reason = disabled_reason(settings, company, mapping)
        if reason:
            raise TicketRefused(reason)
        try:
            ticket = tickets.check_linkable(client_for(settings, interactive=True), mapping, ticket_id)
        except tickets.NotLinkable as refused:
            raise TicketRefused(str(refused)) from None
        except (ConnectWiseError, SecretUnreadable) as failure:
            raise TicketRefused(refusal_message(ticket_id, failure)) from None
        return LinkedTicket(ticket.id, ticket.summary[:200] or None, ticket.board[:100] or None,
                            ticket.status[:100] or None, system=TICKET_SYSTEM)


TICKETS = ConnectWiseTickets()
