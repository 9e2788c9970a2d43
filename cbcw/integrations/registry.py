"""The app's integrations: loaded from config `INTEGRATIONS`, registered on the app, and asked by the core.

`INTEGRATIONS` is a tuple of dotted paths to `spec.Integration` values (environment
`CBCW_INTEGRATIONS`, comma-separated). Its order is the order of the change page's panels and
previews, and decides which ticket system an organisation's change form uses when several are
enabled for it: the first.

Two integrations with the same name, or two ticket systems with the same key, refuse to start:
the second would otherwise silently replace the first's pages or the tickets changes recorded.
"""
from __future__ import annotations

import importlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Mapping, Optional

from flask import Flask, current_app, request, url_for
from werkzeug.utils import ImportStringError, import_string

from cbcw.integrations.spec import (BusyEntry, Integration, LinkedChange, Panel, ScheduleUnavailable, SettingsLink,
                                    TicketSystem)

EXTENSION = "cbcw.integrations"
KEY_MAX = 32  # Change.linked_ticket_system


class IntegrationError(RuntimeError):
    """The configured integrations cannot start together; the message says which and why."""


def load(paths: Iterable[str]) -> tuple[Integration, ...]:
    """The integrations at these dotted paths, checked to fit together."""
    integrations = tuple(_import(path) for path in paths)
    _refuse_twins("integration name", [integration.name for integration in integrations])
    systems = [integration.ticket_system for integration in integrations if integration.ticket_system]
    for system in systems:
        if not system.key or len(system.key) > KEY_MAX:
            raise IntegrationError(f"Ticket system key {system.key!r} must be 1 to {KEY_MAX} characters.")
    _refuse_twins("ticket system key", [system.key for system in systems])
    return integrations


def _import(path: str) -> Integration:
    try:
        found = import_string(path)
    except ImportStringError as error:
        raise IntegrationError(f"INTEGRATIONS names {path!r}, which cannot be imported: {error.exception}") from None
    if not isinstance(found, Integration):
        raise IntegrationError(f"INTEGRATIONS names {path!r}, which is not a cbcw.integrations.spec.Integration.")
    return found


def _refuse_twins(what: str, values: list[str]) -> None:
    twins = sorted(value for value, count in Counter(values).items() if count > 1)
    if twins:
        raise IntegrationError(f"Two integrations declare the {what} {', '.join(map(repr, twins))}: "
                               "remove one from INTEGRATIONS (CBCW_INTEGRATIONS).")


class Registry:
    """The loaded integrations, in `INTEGRATIONS` order, and the answers the core asks of them."""

    def __init__(self, integrations: tuple[Integration, ...]):
        self.integrations = integrations
        self.systems: dict[str, TicketSystem] = {
            i.ticket_system.key: i.ticket_system for i in integrations if i.ticket_system}

    def panels(self, change: LinkedChange) -> list[Panel]:
        return [panel for i in self.integrations for provider in i.panels if (panel := provider(change))]

    def previews(self, change: LinkedChange, action: str, user: Any) -> list[str]:
        return [line for i in self.integrations for provider in i.previews for line in provider(change, action, user)]

    def system_for_organisation(self, organisation_id: int) -> Optional[TicketSystem]:
        """The ticket system the organisation's change form uses: the first enabled for it."""
        return next((system for system in self.systems.values() if system.enabled_for(organisation_id)), None)

    def system_of(self, change: LinkedChange) -> Optional[TicketSystem]:
        """The system of the change's linked ticket (None when that system is no longer loaded);
        for a change without one, the system its organisation uses."""
        if change.linked_ticket_id is not None:
            return self.systems.get(change.linked_ticket_system or "")
        return self.system_for_organisation(change.organisation_id)

    def busy_elsewhere(self, organisation_id: int, user_id: int, start: datetime, end: datetime,
                       skip_ticket_id: Optional[int]) -> "BusyAnswer":
        """What the integrations' people schedules say the user is booked on in `start`–`end`."""
        answer = BusyAnswer()
        for schedule in (i.people_schedule for i in self.integrations if i.people_schedule):
            try:
                entries = schedule.busy(organisation_id, user_id, start, end, skip_ticket_id)
            except ScheduleUnavailable as failure:
                answer.unchecked.append(f"{schedule.label}: {failure}")
                continue
            if entries is not None:
                answer.checked.append(schedule.label)
                answer.entries += [(schedule.label, entry) for entry in entries]
        return answer

    def jobs(self, config: Mapping[str, Any]) -> list:
        return [job for i in self.integrations if i.jobs for job in i.jobs(config)]

    def settings_links(self) -> list[SettingsLink]:
        return [link for i in self.integrations for link in i.settings_links]

    def dashboard_panels(self, user: Any) -> list[Panel]:
        return [panel for i in self.integrations for provider in i.dashboard_panels if (panel := provider(user))]


def init_app(app: Flask) -> Registry:
    """Load the configured integrations and register every part they declare on `app`."""
    registry = Registry(load(app.config["INTEGRATIONS"]))
    for integration in registry.integrations:
        for module in integration.models:
            importlib.import_module(module)
        for blueprint in integration.blueprints:
            app.register_blueprint(blueprint)
        for command in integration.commands:
            app.cli.add_command(command)
        for receiver in integration.receivers:
            receiver(app)
    app.extensions[EXTENSION] = registry
    app.add_template_global(registry.settings_links, "integration_settings_links")
    app.add_template_global(_settings_page_shown, "integration_settings_shown")
    return registry


def current() -> Registry:
    """The registry of the app handling this request or command."""
    return current_app.extensions[EXTENSION]


def dashboard_panels(user: Any) -> list[Panel]:
    """The integrations' panels on the dashboard for this user."""
    return current().dashboard_panels(user)


def jobs(config: Mapping[str, Any]) -> list:
    """The scheduled jobs of the integrations `config` names (the scheduler asks before any app context)."""
    return Registry(load(config["INTEGRATIONS"])).jobs(config)


@dataclass
class BusyAnswer:
    """Other bookings of a person, each with its system's label; `checked` names the systems that
    answered for the person, `unchecked` says which could not be asked, and why."""

    entries: list[tuple[str, BusyEntry]] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TicketWidget:
    url: str
    label: str  # the ticket system's name


def ticket_widget(change: LinkedChange) -> Optional[TicketWidget]:
    """Where the change's ticket widget loads from, or None: the slot then shows what the change remembers."""
    system = current().system_of(change)
    return TicketWidget(url_for(system.widget_endpoint, change_id=change.id), system.label) if system else None


def _settings_page_shown() -> bool:
    """Whether this request shows one of the integrations' settings pages."""
    return any(link.is_current(request.endpoint, request.blueprint) for link in current().settings_links())
