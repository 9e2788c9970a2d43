"""Where other packages (an integration) add to the change pages without the domain importing them:
a line of preview under a transition form, and a panel on the detail page."""
from dataclasses import dataclass
from typing import Callable

from cbcw.accounts.models import User
from cbcw.changes.models import Change


@dataclass(frozen=True)
class Panel:
    title: str
    url: str  # an HTMX fragment (also a full page without JavaScript)


_previews: list[Callable[[Change, str, User], list[str]]] = []
_panels: list[Callable[[Change], "Panel | None"]] = []


def add_preview(provider: Callable[[Change, str, User], list[str]]) -> None:
    """`provider(change, action, user)` → lines saying what confirming `action` will also do."""
    if provider not in _previews:
        _previews.append(provider)


def add_panel(provider: Callable[[Change], "Panel | None"]) -> None:
    if provider not in _panels:
        _panels.append(provider)


def previews(change: Change, action: str, user: User) -> list[str]:
    return [line for provider in _previews for line in provider(change, action, user)]


def panels(change: Change) -> list[Panel]:
    return [panel for provider in _panels if (panel := provider(change)) is not None]
