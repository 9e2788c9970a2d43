"""Jinja filters: times are stored in UTC and shown in the viewer's timezone.

Display never raises: a datetime the viewer's timezone cannot express (year 1 west of UTC, year
9999 east of it) is shown in UTC instead, and text that is not a date is shown as it is.
"""
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask
from flask_login import current_user

DEFAULT_FORMAT = "%d %b %Y %H:%M"


def user_zone() -> ZoneInfo:
    name = getattr(current_user, "timezone", None) or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def localtime(value: datetime | str | None, fmt: str = DEFAULT_FORMAT, zone: ZoneInfo | None = None) -> str:
    """A UTC datetime (or the ISO text timeline details store) in the viewer's timezone (or `zone`,
    which a long CSV looks up once instead of once per cell)."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    try:
        return value.astimezone(zone or user_zone()).strftime(fmt)
    except (OverflowError, ValueError):  # beyond year 1…9999 once shifted into the zone
        return f"{value.strftime(fmt)} UTC"


def init_app(app: Flask) -> None:
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.globals["user_zone"] = user_zone
