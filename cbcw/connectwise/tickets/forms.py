"""The forms of a change's ConnectWise ticket: a time entry, and linking another ticket."""
from datetime import datetime, timedelta, timezone

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from cbcw.changes.ticket_choice import TicketChoiceMixin
from cbcw.main.datetime_field import LocalDateTimeField
from cbcw.main.templating import user_zone

EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
LONGEST_ENTRY = timedelta(hours=24)  # PRODUCT §3.6


def _within_years(form, field):
    if field.data is not None and not EARLIEST_YEAR <= field.data.year <= LATEST_YEAR:
        raise ValidationError(f"Enter a date between {EARLIEST_YEAR} and {LATEST_YEAR}.")


class TimeEntryForm(FlaskForm):
    """Time on the linked ticket, typed in the user's timezone (PRODUCT §3.6)."""

    time_start = LocalDateTimeField("Start", validators=[InputRequired("Enter when the work started."), _within_years])
    time_end = LocalDateTimeField("End", validators=[InputRequired("Enter when the work ended."), _within_years])
    notes = TextAreaField("Work description", validators=[
        DataRequired("Describe the work: ConnectWise shows it on the ticket."), Length(max=4000)])

    def validate_time_end(self, field):
        if not (self.time_start.data and field.data):
            return
        if field.data <= self.time_start.data:
            raise ValidationError("The end must be after the start.")
        if field.data - self.time_start.data > LONGEST_ENTRY:
            raise ValidationError("A time entry lasts at most 24 hours: split longer work into several entries.")

    def prefill(self, now: datetime, minutes: int = 30) -> None:
        """The current time in the user's zone as the end, `minutes` earlier as the start."""
        end = now.astimezone(user_zone()).replace(second=0, microsecond=0)
        self.time_end.data, self.time_start.data = end, end - timedelta(minutes=minutes)

    def utc_times(self) -> tuple[datetime, datetime]:
        return self.time_start.data.astimezone(timezone.utc), self.time_end.data.astimezone(timezone.utc)


class LinkTicketForm(TicketChoiceMixin, FlaskForm):
    """Change or remove the ticket of a change past draft (the change form does it for drafts)."""
