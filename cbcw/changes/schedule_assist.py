"""The schedule form's helpers, read from the change page's query string (so they work as plain
GET links without JavaScript, and as HTMX swaps of the action panel with it): "Suggest a window"
(`suggest=1&duration=<minutes>`, with htmx also the schedule form's fields as they stand: the
suggestions are for the implementer picked there, and what was typed is kept) and a suggested
slot filling the form (`fill_start`, `fill_end`: ISO UTC; `fill_implementer`). Hostile values
are left out, never an error."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Mapping
from zoneinfo import ZoneInfo

from cbcw.changes.suggest import suggest
from cbcw.devices.forms import bounded_id

DURATIONS = (30, 60, 90, 120, 180, 240, 360, 480)  # minutes offered
DEFAULT_DURATION = 60
FIRST, LAST = datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(9000, 1, 1, tzinfo=timezone.utc)


def schedule_assist(change, form, args: Mapping[str, str], zone: ZoneInfo, now: datetime) -> dict:
    """Fill `form` from a chosen slot, and the suggestions asked for: the template's context."""
    implementer_id = (bounded_id(args.get("fill_implementer")) or bounded_id(args.get("schedule-implementer_id"))
                      or form.implementer_id.data or change.implementer_id)
    if implementer_id in {choice.value for choice in form.implementer_id.choices}:
        form.implementer_id.data = implementer_id
    else:
        implementer_id = form.implementer_id.data
    start, end = _moment(args.get("fill_start")), _moment(args.get("fill_end"))
    if start and end and start < end:
        form.window_start.data, form.window_end.data = start.astimezone(zone), end.astimezone(zone)
    else:
        _keep_typed(form, args)
    duration = _duration(args.get("duration"))
    context = {"suggest_durations": DURATIONS, "suggest_duration": duration, "suggestions": None}
    if args.get("suggest") == "1":
        context["suggestions"] = suggest(change, timedelta(minutes=duration), implementer_id, now, zone)
        context["suggest_implementer"] = implementer_id
    return context


def _keep_typed(form, args: Mapping[str, str]) -> None:
    """The window as the schedule form held it when "Suggest a window" was pressed, kept as typed."""
    for name in ("window_start", "window_end"):
        text = args.get(f"schedule-{name}")
        if not text:
            continue
        field = form[name]
        field.raw_data = [text[:40]]
        try:
            field.process_formdata(field.raw_data)
        except ValueError:
            field.data = None  # shown as typed; the save says what is wrong with it


def _moment(text: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat((text or "")[:40])
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    try:
        moment = moment.astimezone(timezone.utc)
    except OverflowError:
        return None
    return moment if FIRST <= moment <= LAST else None


def _duration(text: str | None) -> int:
    try:
        minutes = int((text or "")[:6])
    except ValueError:
        return DEFAULT_DURATION
    return minutes if minutes in DURATIONS else DEFAULT_DURATION
