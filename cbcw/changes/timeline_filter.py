"""Show or hide the timeline's system events (what an integration or the scheduler did, with no
person acting): chosen by `?system=show|hide` so a filtered timeline can be bookmarked, and
remembered in a cookie so the choice holds on the next change opened."""
from dataclasses import dataclass

from flask import Response, request

COOKIE = "timeline_system"
CHOICES = ("show", "hide")
ONE_YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class Timeline:
    entries: list
    system_count: int  # system events of the change, shown or not
    hide_system: bool


def choice() -> str:
    """The URL's choice, else the remembered one, else show."""
    asked = request.args.get("system")
    if asked in CHOICES:
        return asked
    return request.cookies.get(COOKIE) if request.cookies.get(COOKIE) in CHOICES else "show"


def shown(entries: list) -> Timeline:
    """The entries the timeline shows under the current choice."""
    hide = choice() == "hide"
    system = [entry for entry in entries if entry.actor_id is None]
    return Timeline([entry for entry in entries if not (hide and entry.actor_id is None)], len(system), hide)


def remember(response: Response) -> Response:
    """Keep a choice made in the URL for the next timeline opened."""
    asked = request.args.get("system")
    if asked in CHOICES and request.cookies.get(COOKIE) != asked:
        response.set_cookie(COOKIE, asked, max_age=ONE_YEAR, httponly=True, samesite="Lax",
                            secure=request.is_secure)
    return response
