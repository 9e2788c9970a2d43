"""What an integration may add to ChangeBreeze, declared in one typed object.

flaskbb's `plugins/spec.py` lists, as pluggy hook specifications, everything a plugin may add
(blueprints, CLI commands, event handlers, template hooks); the core calls the hooks and names no
plugin. `Integration` is the same list as a frozen dataclass: an integration writes one value
naming its parts, and `cbcw.integrations.registry` registers them and answers the core.

Why a declaration and not pluggy: every part here is known before the app starts and none is a
chain of calls that plugins wrap or short-circuit (pluggy's `firstresult`, `tryfirst`, hook
wrappers). A dataclass is read at a glance, type-checked field by field, and its mistakes (two
integrations with one name or one ticket-system key) are refused at start-up rather than found
when a hook happens to run. The domain's events stay blinker signals (`cbcw.changes.signals`);
the declaration's `receivers` say who connects to them, so there is one place to look.

This package is below the core that asks it (`cbcw.changes`, `cbcw.scheduler`), so it imports
neither: the change, user, linked ticket and scheduled job are described by what is read of them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping, Optional, Protocol

from click import Command
from flask import Blueprint, Flask
from markupsafe import Markup


class TicketRefused(Exception):
    """The chosen ticket may not be linked (or could not be checked); str() tells the user why."""


class LinkedChange(Protocol):
    """What the registry reads of a change (`cbcw.changes.models.Change`)."""

    id: int
    organisation_id: int
    linked_ticket_id: Optional[int]
    linked_ticket_system: Optional[str]


@dataclass(frozen=True)
class Panel:
    """A panel on a change's detail page, loaded from `url` (an HTMX fragment, also a full page).

    With a `tab` key the panel is a tab of its own (`/changes/<id>?tab=<key>`, a real URL) and
    `summary` is its one line on the Overview, so a busy integration does not drown the Overview;
    without one it is a section under the tabs (for what must not be missed, e.g. drift). `live` is
    markup the Overview shows under that line while the integration is busy (writes on their way),
    which may refresh itself with htmx."""

    title: str
    url: str
    tab: str = ""
    summary: str = ""
    live: str = ""


@dataclass(frozen=True)
class SettingsLink:
    """A link under Organisation Settings → Integrations; current on `endpoint`, or on any page of
    one of `blueprints`."""

    label: str
    endpoint: str
    blueprints: tuple[str, ...] = ()

    def is_current(self, endpoint: Optional[str], blueprint: Optional[str]) -> bool:
        return endpoint == self.endpoint or blueprint in self.blueprints


class TicketSystem(Protocol):
    """A PSA whose tickets a change can link: the change form's field and its check, and the
    widget on the change's Overview.

    `key` is stored on each change it links (`Change.linked_ticket_system`, at most 32
    characters), so a change keeps its ticket's widget whichever system its organisation uses
    later.
    """

    key: str
    label: str
    widget_endpoint: str  # a view taking `change_id`: the Overview's linked-ticket slot loads it

    def enabled_for(self, organisation_id: int) -> bool:
        """Whether the organisation's changes link tickets of this system now."""

    def field(self, organisation_id: int, company_id: Optional[int], chosen: Any, error: Optional[str]) -> Markup:
        """The change form's ticket field, posting `linked_ticket_id` (`cbcw.changes.ticket_choice`);
        `chosen` is the `LinkedTicket` shown as picked."""

    def check(self, organisation_id: int, company_id: Optional[int], ticket_id: int) -> Any:
        """The ticket as the change should remember it (a `cbcw.changes.fields.LinkedTicket` whose
        `system` is `key`); TicketRefused if it may not be linked or cannot be checked now."""


class ScheduleUnavailable(Exception):
    """The people schedule could not be read now (down, slow, refused); str() says why. The core
    shows "could not check" and never refuses a schedule for it."""


@dataclass(frozen=True)
class BusyEntry:
    """Something else a person is booked on in another system, in UTC."""

    start: datetime
    end: datetime
    name: str


class PeopleSchedule(Protocol):
    """A system that dispatches people (a PSA's schedule): what else a user is booked on in a window.

    `label` names the system in messages ("ConnectWise"). `busy` reads at most one request's worth
    within the interactive budget; it returns None when the system cannot speak for this user
    (not enabled for the organisation, no member matched), the other bookings otherwise (leaving
    out those of `skip_ticket_id`, the change's own ticket), and raises ScheduleUnavailable when it
    could not ask.
    """

    label: str

    def busy(self, organisation_id: int, user_id: int, start: datetime, end: datetime,
             skip_ticket_id: Optional[int]) -> Optional[list[BusyEntry]]:
        ...


@dataclass(frozen=True)
class Integration:
    """Everything one integration adds, registered by `cbcw.integrations.registry` in this order:
    models, blueprints, CLI commands, receivers.

    - `models`: dotted names of its model modules, imported so the app and Alembic see the tables.
    - `jobs(config)`: its `cbcw.scheduler.jobs.ScheduledJob`s, run by `flask scheduler`.
    - `receivers`: `init_app(app)`-style callables run once per app: signal subscriptions
      (`cbcw.changes.signals`), request hooks, template globals.
    - `panels(change)` → a `Panel` or None; `previews(change, action, user)` → lines saying what
      confirming `action` will also do (shown under the transition's form).
    - `settings_links`: its pages under Organisation Settings → Integrations.
    - `dashboard_panels`: given the signed-in user, a `Panel` for the dashboard at `/` or None
      (e.g. failed writes and drift findings, for admins and MSP users: PRODUCT §2.10).
    - `ticket_system`: its tickets, if changes can link them.
    - `people_schedule`: its schedule of people, if it dispatches implementers (schedule conflicts).
    """

    name: str
    models: tuple[str, ...] = ()
    blueprints: tuple[Blueprint, ...] = ()
    commands: tuple[Command, ...] = ()
    jobs: Optional[Callable[[Mapping[str, Any]], list]] = None
    receivers: tuple[Callable[[Flask], None], ...] = ()
    panels: tuple[Callable[[Any], Optional[Panel]], ...] = ()
    previews: tuple[Callable[[Any, str, Any], list[str]], ...] = ()
    settings_links: tuple[SettingsLink, ...] = ()
    dashboard_panels: tuple[Callable[[Any], Optional[Panel]], ...] = ()
    ticket_system: Optional[TicketSystem] = None
    people_schedule: Optional[PeopleSchedule] = None
