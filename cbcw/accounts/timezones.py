"""The timezones a user can pick: real IANA zones, the common ones first (PRODUCT §1).

`zoneinfo.available_timezones()` also lists "Factory", "localtime", "posixrules" and legacy
aliases ("US/Eastern", "GB", "EST5EDT"); the zone.tab of the tz database names only the
canonical zone of each region, which is what a person picks from.
"""
from functools import cache
from pathlib import Path
from zoneinfo import TZPATH, available_timezones

COMMON = (
    "UTC",
    "Europe/London", "Europe/Dublin", "Europe/Amsterdam", "Europe/Berlin", "Europe/Paris",
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
    "America/Toronto", "America/Sao_Paulo",
    "Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo",
    "Australia/Perth", "Australia/Brisbane", "Australia/Adelaide", "Australia/Sydney", "Australia/Melbourne",
    "Pacific/Auckland",
)
REGIONS = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/", "Europe/", "Indian/", "Pacific/")


@cache
def timezone_choices() -> tuple[str, ...]:
    """Every zone a user may choose, common ones first, then the rest alphabetically."""
    zones = _zone_tab_names() or _region_names()
    rest = sorted(zones - set(COMMON))
    return tuple(zone for zone in COMMON if zone in zones or zone == "UTC") + tuple(rest)


def is_choosable(name: str) -> bool:
    return name in timezone_choices()


def zones_called(text: str) -> list[str]:
    """The zones a person may mean by `text`: the zone itself in any case ("europe/london"), or
    those whose city (last part) it names, case-insensitive, a space for an underscore
    ("sydney", "new york", "New_York"). More than one means the text is ambiguous."""
    wanted = "_".join(text.split()).casefold()
    if not wanted:
        return []
    exact = [zone for zone in timezone_choices() if zone.casefold() == wanted]
    return exact or [zone for zone in timezone_choices() if zone.rsplit("/", 1)[-1].casefold() == wanted]


def _zone_tab_names() -> set[str]:
    for directory in TZPATH:
        zone_tab = Path(directory) / "zone.tab"
        if zone_tab.is_file():
            lines = zone_tab.read_text(encoding="utf-8").splitlines()
            return {line.split("\t")[2] for line in lines if line and not line.startswith("#")} & available_timezones()
    return set()


def _region_names() -> set[str]:
    """Without zone.tab (the tzdata wheel ships none): region/city names, which leaves out the
    aliases without a region and "Factory"/"localtime"."""
    return {zone for zone in available_timezones() if zone.startswith(REGIONS)}
