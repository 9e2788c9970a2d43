"""Filters of the device list and the device change report, read from the query string."""
from flask_wtf import FlaskForm
from wtforms import DateField, SearchField, SelectField
from wtforms.validators import Length, Optional, ValidationError

from cbcw.changes.forms import options
from cbcw.main.numbers import DATABASE_INT_MAX

ACTIVE_CHOICES = options([("", "Active and inactive"), ("yes", "Active"), ("no", "Inactive")])


def bounded_id(value) -> int | None:
    """A select's id: blank, non-numeric or beyond what an id column holds means "any" (never a database error)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= DATABASE_INT_MAX else None


class _QueryForm(FlaskForm):
    class Meta:
        csrf = False


class DeviceFilterForm(_QueryForm):
    q = SearchField("Search", validators=[Optional(), Length(max=100)])
    company = SelectField("Company", coerce=bounded_id, validate_choice=False)
    type = SelectField("Type", coerce=bounded_id, validate_choice=False)
    active = SelectField("Status", choices=ACTIVE_CHOICES, default="", validate_choice=False)


class ReportFilterForm(_QueryForm):
    company = SelectField("Company", coerce=bounded_id, validate_choice=False)
    device = SelectField("Device", coerce=bounded_id, validate_choice=False)
    type = SelectField("Type", coerce=bounded_id, validate_choice=False)
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")
