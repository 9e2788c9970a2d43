"""The blackout / maintenance window form: every value bounded, the recurrence's own fields
required only for that recurrence (the page shows only those), dates and times through the
browser's own controls. A closing time of 00:00 (or a typed 24:00) is midnight at the end."""
from datetime import datetime, time

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from cbcw.accounts.forms import TimezoneField
from cbcw.main.forms import optional_id, options
from cbcw.windows.models import ScheduleWindow
from cbcw.windows.recurrence import WEEKDAY_NAMES

LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d %b %Y %H:%M")
YEARS = (2000, 2100)  # a window outside these years is a typo


class WindowForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=2000)])
    kind = SelectField("Kind", choices=options((("blackout", "Blackout (no changes)"),
                                                 ("maintenance", "Maintenance window (changes welcome)"))))
    company_id = SelectField("Company", coerce=optional_id)  # choices set by the view
    timezone = TimezoneField()
    recurrence = SelectField("Repeats", choices=options((("once", "Once"), ("weekly", "Weekly"), ("monthly", "Monthly"))))
    starts_local = StringField("Starts", validators=[Optional(), Length(max=30)], render_kw={"type": "datetime-local"},
                               description="In the window's timezone")
    ends_local = StringField("Ends", validators=[Optional(), Length(max=30)], render_kw={"type": "datetime-local"})
    weekdays = SelectMultipleField("Days", choices=options((str(i), n) for i, n in enumerate(WEEKDAY_NAMES)),
                                   widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    monthly_rule = SelectField("Day of the month", choices=options((
        ("day", "A day of the month"), ("first_business_day", "First business day"),
        ("last_business_day", "Last business day"))))
    month_day = IntegerField("Day number (for a day of the month)", validators=[Optional(), NumberRange(1, 31)])
    start_time = StringField("Opens at", validators=[Optional(), Length(max=8)], render_kw={"type": "time"})
    end_time = StringField("Closes at", validators=[Optional(), Length(max=8)], render_kw={"type": "time"},
                           description="00:00 for midnight; earlier than the opening means the next day")

    def validate_company_id(self, field):
        if self.kind.data == "maintenance" and field.data is None:
            raise ValidationError("A maintenance window belongs to one company: choose it.")

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        problems = {"once": self._once, "weekly": self._weekly, "monthly": self._monthly}[self.recurrence.data]()
        for field, message in problems:
            field.errors = [*field.errors, message]
        return not problems

    def _once(self):
        start, end = _local(self.starts_local.data), _local(self.ends_local.data)
        problems = [(f, "Give a date and time such as 2026-12-24 00:00.") for f, v in
                    ((self.starts_local, start), (self.ends_local, end)) if v is None]
        if not problems and end <= start:
            problems.append((self.ends_local, "The end must come after the start."))
        return problems

    def _hours(self):
        return [(f, "Give a time such as 18:00 (24-hour).") for f in (self.start_time, self.end_time)
                if _time(f.data) is None]

    def _weekly(self):
        return self._hours() + ([] if self.weekdays.data else [(self.weekdays, "Choose at least one day.")])

    def _monthly(self):
        missing = self.monthly_rule.data == "day" and not self.month_day.data
        return self._hours() + ([(self.month_day, "Give the day of the month (1–31).")] if missing else [])

    def apply(self, window: ScheduleWindow) -> None:
        """Copy the valid values onto `window`, clearing the fields other recurrences use."""
        window.name, window.reason, window.kind = self.name.data.strip(), (self.reason.data or "").strip(), self.kind.data
        window.company_id, window.timezone, window.recurrence = self.company_id.data, self.timezone.data, self.recurrence.data
        once = window.recurrence == "once"
        window.starts_local = _local(self.starts_local.data) if once else None
        window.ends_local = _local(self.ends_local.data) if once else None
        window.start_time = None if once else _time(self.start_time.data)
        window.end_time = None if once else _time(self.end_time.data)
        window.weekdays = "".join(sorted(self.weekdays.data)) if window.recurrence == "weekly" else ""
        window.monthly_rule = self.monthly_rule.data if window.recurrence == "monthly" else "day"
        window.month_day = self.month_day.data if window.recurrence == "monthly" and window.monthly_rule == "day" else None

    def fill(self, window: ScheduleWindow) -> None:
        """Show a stored window in the form (GET of the edit page)."""
        for name in ("name", "reason", "kind", "company_id", "timezone", "recurrence", "monthly_rule", "month_day"):
            self[name].data = getattr(window, name)
        self.weekdays.data = list(window.weekdays or "")
        self.starts_local.data = f"{window.starts_local:%Y-%m-%dT%H:%M}" if window.starts_local else ""
        self.ends_local.data = f"{window.ends_local:%Y-%m-%dT%H:%M}" if window.ends_local else ""
        self.start_time.data = f"{window.start_time:%H:%M}" if window.start_time is not None else ""
        self.end_time.data = f"{window.end_time:%H:%M}" if window.end_time is not None else ""


def _local(text: str | None) -> datetime | None:
    for fmt in LOCAL_FORMATS:
        try:
            moment = datetime.strptime(" ".join((text or "").split()).replace(" T", "T"), fmt)
        except ValueError:
            continue
        return moment if YEARS[0] <= moment.year <= YEARS[1] else None
    return None


def _time(text: str | None) -> time | None:
    """HH:MM as typed or as the time control posts it (HH:MM:SS when it shows seconds)."""
    text = (text or "").strip()
    if text == "24:00":
        return time(0)
    for fmt in ("%H:%M", "%H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).time().replace(second=0)
        except ValueError:
            continue
    return None
