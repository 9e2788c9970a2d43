"""A moment typed as the app shows it: a date ("10 Dec 2026") and a 24-hour time ("22:00").

The browser's `datetime-local` control shows its own locale's format (12/10/2026, 10:00 PM in
the US) while every page of the app reads "10 Dec 2026 22:00"; two plain inputs with the format
shown as placeholder and help keep what is typed and what is shown the same. The time is in the
user's timezone and handed on as an aware datetime. ISO dates ("2026-12-10") are accepted too,
and so is one combined value ("2026-12-10T22:00", "10 Dec 2026 22:00") from scripts and tests.
"""
from datetime import datetime, timezone

from markupsafe import Markup
from wtforms import Field
from wtforms.widgets import html_params

from cbcw.main.templating import user_zone

DATE_FORMAT, TIME_FORMAT = "%d %b %Y", "%H:%M"
ACCEPTED = ("%d %b %Y %H:%M", "%d %B %Y %H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")
FORMAT_HELP = "Give the date as 10 Dec 2026 and the time as 22:00 (24-hour)."


class OutOfRange(ValueError):
    """The typed moment exists locally but cannot be converted to UTC (the ends of the calendar)."""


def parse_local(text: str) -> datetime:
    """The aware datetime for `text` read in the user's timezone, or ValueError with the message to show."""
    text = " ".join(text.split())
    for fmt in ACCEPTED:
        try:
            naive = datetime.strptime(text, fmt)
        except ValueError:
            continue
        moment = naive.replace(tzinfo=user_zone())
        try:
            moment.astimezone(timezone.utc)
        except OverflowError:
            raise OutOfRange("That date is outside the range the app can store.") from None
        return moment
    raise ValueError(FORMAT_HELP)


class DateAndTimeInputs:
    """Renders the field as a date input and a time input sharing the field's name."""

    def __call__(self, field, **kwargs):
        day, clock = field.parts()
        element_id = kwargs.pop("id", field.id)
        common = {"type": "text", "name": field.name, "autocomplete": "off", **kwargs}
        date_input = html_params(id=element_id, value=day, placeholder="10 Dec 2026", size=11, **common)
        time_input = html_params(id=f"{element_id}-time", value=clock, placeholder="22:00", size=5,
                                 inputmode="numeric", aria_label=f"{field.label.text} (time, 24-hour)", **common)
        return Markup(f'<span class="date-time"><input {date_input}><input {time_input}></span>')


class LocalDateTimeField(Field):
    widget = DateAndTimeInputs()

    def parts(self) -> tuple[str, str]:
        """What the two inputs show: as typed after a failed submit, else the value in the user's zone."""
        if self.raw_data:
            return self.raw_data[0], self.raw_data[1] if len(self.raw_data) > 1 else ""
        if self.data is not None:
            local = self.data.astimezone(user_zone())
            return local.strftime(DATE_FORMAT), local.strftime(TIME_FORMAT)
        return "", ""

    def process_formdata(self, valuelist):
        text = " ".join(value.strip() for value in valuelist if value)
        self.data = parse_local(text) if text else None
