"""One date-and-time control for every form: the change form's window, the schedule panel and
the time-entry popup; and its date-only sibling for date filters (the device change report).

It is the browser's own `<input type="datetime-local">`: its picker shows the date in the format
of the user's own browser and language (10/12/2026 in the UK, 12/10/2026 in the US), posts ISO
text ("2026-12-10T22:00"), and the server reads that in the user's timezone (their profile) and
hands on an aware datetime. Text from elsewhere — a browser without the picker, a script, an older
form posting a date and a time as two values of one name ("10 Dec 2026", "22:00") — is read
too; text that is no moment is refused with what is wrong with it ("31 Feb 2026 is not a date:
February 2026 has 28 days"), never with the help text repeated.
"""
import calendar
import re
from datetime import date, datetime, timezone

from markupsafe import Markup
from wtforms import Field
from wtforms.widgets import html_params

from cbcw.main.templating import user_zone

ISO_FORMAT = "%Y-%m-%dT%H:%M"
DATE_ACCEPTED = ("%Y-%m-%d", "%d %b %Y", "%d %B %Y")
ACCEPTED = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S",
            "%d %b %Y %H:%M", "%d %B %Y %H:%M")
EXAMPLE = "2026-12-10 22:00"
MONTHS = {name.lower(): number for names in (calendar.month_abbr, calendar.month_name)
          for number, name in enumerate(names) if name}
_ISO_DATE = re.compile(r"^(\d{1,4})-(\d{1,2})-(\d{1,2})(?:[T ](.*))?$")
_NAMED_DATE = re.compile(r"^(\d{1,2}) ([A-Za-z]+)\.? (\d{1,4})(?: (.*))?$")
_SLASHED = re.compile(r"^\d{1,4}[/.]\d{1,2}[/.]\d{1,4}")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
QUOTE_MAX = 40  # what is quoted back of a hostile or mistyped value


class OutOfRange(ValueError):
    """The typed moment exists locally but cannot be converted to UTC (the ends of the calendar)."""


def parse_local(text: str) -> datetime:
    """The aware datetime for `text` read in the user's timezone, or ValueError saying what is wrong."""
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
    raise ValueError(problem_with(text))


def parse_date(text: str) -> date:
    """The calendar date `text` names, or ValueError saying what is wrong."""
    text = " ".join(text.split())
    for fmt in DATE_ACCEPTED:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(problem_with(text, with_time=False))


def problem_with(text: str, with_time: bool = True) -> str:
    """What is wrong with text that is not a date (and time, if `with_time`)."""
    shown = text if len(text) <= QUOTE_MAX else text[:QUOTE_MAX] + "…"
    example = EXAMPLE if with_time else EXAMPLE.split()[0]
    generic = (f"“{shown}” is not a date{' and time' if with_time else ''}: pick one in the calendar, "
               f"or type it as {example}.")
    if _SLASHED.match(text):
        return (f"“{shown}” can be read two ways (day or month first): pick the date in the calendar, "
                f"or type it as {example}.")
    iso, named = _ISO_DATE.match(text), _NAMED_DATE.match(text)
    if not (iso or named):
        return generic
    if iso:
        year, month, day, rest = int(iso[1]), int(iso[2]), int(iso[3]), iso[4]
    else:
        day, name, year, rest = int(named[1]), named[2], int(named[3]), named[4]
        month = MONTHS.get(name.lower())
        if month is None:
            return f"“{name[:QUOTE_MAX]}” is not a month."
    if not 1 <= month <= 12:
        return f"{month} is not a month (1 to 12)."
    try:
        date(year, month, day)
    except ValueError:
        said = f"{day} {calendar.month_abbr[month]} {year}"
        if year < 1:
            return f"{said} is not a date."
        return f"{said} is not a date: {calendar.month_name[month]} {year} has {calendar.monthrange(year, month)[1]} days."
    if not with_time:
        return generic
    if not rest:
        return "Add the time as well as the date (for example 22:00)."
    clock = _TIME.match(rest)
    if not clock:
        return f"“{rest[:QUOTE_MAX]}” is not a time: give it as 22:00 (24-hour)."
    if int(clock[1]) > 23 or int(clock[2]) > 59 or int(clock[3] or 0) > 59:
        return f"{rest} is not a time of day (00:00 to 23:59)."
    return generic


class NativeInput:
    """The field as one native date (or date-and-time) input showing `field.input_value()`."""

    def __init__(self, input_type: str, **attributes):
        self.input_type, self.attributes = input_type, attributes

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        params = html_params(type=self.input_type, name=field.name, value=field.input_value(),
                             **self.attributes, **kwargs)
        return Markup(f"<input {params}>")


def _typed(field) -> str:
    return " ".join(value.strip() for value in field.raw_data or () if value)


class LocalDateTimeField(Field):
    """A moment in the user's timezone, as an aware datetime (None when left blank)."""

    widget = NativeInput("datetime-local", step=60)

    def input_value(self) -> str:
        """The ISO text the input shows: the moment read, or what was typed if it was not one."""
        if self.data is not None:
            try:
                local = self.data.astimezone(user_zone())
            except OverflowError:  # stored at the ends of the calendar: shown as it is kept
                local = self.data
            return local.strftime(ISO_FORMAT)
        return _typed(self)

    def process_formdata(self, valuelist):
        text = " ".join(value.strip() for value in valuelist if value)
        self.data = None
        if text:
            self.data = parse_local(text)


class LocalDateField(Field):
    """A calendar date (a date filter), None when left blank."""

    widget = NativeInput("date")

    def input_value(self) -> str:
        return self.data.isoformat() if self.data is not None else _typed(self)

    def process_formdata(self, valuelist):
        text = " ".join(value.strip() for value in valuelist if value)
        self.data = None
        if text:
            self.data = parse_date(text)
