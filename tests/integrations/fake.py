"""A second PSA, declared as ConnectWise is, for the registry's tests: its widget, panel, settings
page, CLI command, job, signal receiver and ticket system answer in a way a test can recognise."""
from __future__ import annotations

from datetime import timedelta

import click
from flask import Blueprint, url_for
from flask_login import login_required
from markupsafe import Markup, escape

from cbcw.changes import signals
from cbcw.changes.fields import LinkedTicket
from cbcw.changes.models import Change
from cbcw.integrations.spec import Integration, Panel, SettingsLink, TicketRefused
from cbcw.scheduler.jobs import ScheduledJob
from cbcw.tenancy import get_or_404

KEY = "fakepsa"
REFUSED_TICKET = 13  # the ticket its check refuses
bp = Blueprint("fake_psa", __name__)


@bp.get("/fake-psa/changes/<int:change_id>/ticket")
@login_required
def widget(change_id: int):
    return f"<p>Fake PSA widget of change {get_or_404(Change, change_id).id}</p>"


@bp.get("/fake-psa/changes/<int:change_id>/panel")
@login_required
def panel_page(change_id: int):
    return f"<p>Fake PSA panel of change {get_or_404(Change, change_id).id}</p>"


@bp.get("/settings/integrations/fake-psa")
@login_required
def settings():
    return "<p>Fake PSA settings</p>"


class FakeTickets:
    """Tickets of the fake PSA, on for the organisations in `enabled`."""

    label = "Fake PSA"

    def __init__(self, key: str = KEY, widget_endpoint: str = "fake_psa.widget"):
        self.key = key
        self.widget_endpoint = widget_endpoint
        self.enabled: set[int] = set()

    def enabled_for(self, organisation_id: int) -> bool:
        return organisation_id in self.enabled

    def field(self, organisation_id, company_id, chosen, error) -> Markup:
        value = chosen.id if chosen else ""
        return Markup(f'<input type="hidden" name="linked_ticket_id" value="{value}" data-fake-psa-picker>'
                      f'<p class="error">{escape(error or "")}</p>')

    def check(self, organisation_id, company_id, ticket_id) -> LinkedTicket:
        if ticket_id == REFUSED_TICKET:
            raise TicketRefused(f"The fake PSA refuses ticket #{ticket_id}.")
        return LinkedTicket(ticket_id, f"Fake ticket {ticket_id}", system=self.key)


TICKETS = FakeTickets()
created: list[int] = []  # ids of the changes whose creation the receiver heard


def _heard(change, **_details) -> None:
    created.append(change.id)


def subscribe(app) -> None:
    signals.change_created.connect(_heard)


def unsubscribe() -> None:
    signals.change_created.disconnect(_heard)


def panel(change: Change) -> Panel:
    return Panel("Fake PSA", url_for("fake_psa.panel_page", change_id=change.id))


def preview(change: Change, action: str, user) -> list[str]:
    return [f"The fake PSA will hear of {action}."]


def poll() -> None:
    """Nothing to do: the tests only look at the schedule."""


@click.command("fake-psa-poll")
def poll_command() -> None:
    click.echo("Fake PSA polled.")


FAKE = Integration(
    name="fakepsa",
    blueprints=(bp,),
    commands=(poll_command,),
    jobs=lambda config: [ScheduledJob("fake-psa-poll", poll, "interval", {"minutes": 5},
                                      lease=timedelta(minutes=4))],
    receivers=(subscribe,),
    panels=(panel,),
    previews=(preview,),
    settings_links=(SettingsLink("Fake PSA", "fake_psa.settings"),),
    ticket_system=TICKETS,
)
# Each clashes with ConnectWise: the registry must refuse to start with it.
SAME_NAME = Integration(name="connectwise")
SAME_TICKET_KEY = Integration(name="another-psa", ticket_system=FakeTickets(key="connectwise"))
NOT_AN_INTEGRATION = "just a string"
