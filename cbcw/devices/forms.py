"""Filters of the device list and the device change report, read from the query string."""
from flask import request
from flask_wtf import FlaskForm
from wtforms import BooleanField, SearchField, SelectField
from wtforms.validators import Length, Optional, ValidationError

from cbcw.devices import queries
from cbcw.main.datetime_field import LocalDateField
from cbcw.main.forms import options
from cbcw.main.numbers import DATABASE_INT_MAX

ACTIVE_CHOICES = options([("", "Active and inactive"), ("yes", "Active"), ("no", "Inactive")])
MAX_PAGE = 10_000


def bounded_id(value) -> int | None:
    """A select's id: blank, non-numeric or beyond what an id column holds means "any" (never a database error)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= DATABASE_INT_MAX else None


def page_argument() -> int:
    """The `page` argument, kept within what a list can have (hostile values never reach SQL)."""
    return min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)


def chosen_filters(*names) -> dict:
    """The filters the query string sets, for the pager's links."""
    return {name: request.args[name] for name in names if request.args.get(name)}


def with_company_and_type_choices(form):
    """The organisation's companies and device types as the form's filter options."""
    form.company.choices = options([("", "Any company"), *((c.id, c.name) for c in queries.companies())])
    form.type.choices = options([("", "Any type"), *((t.id, t.name) for t in queries.device_types())])
    return form


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
    # A hostname (or part of one), not a dropdown: at 10,000 changes one lists 20,000 devices.
    device = SearchField("Device", validators=[Optional(), Length(max=100)])
    exact = BooleanField("Exact hostname")  # a device page's Report link: that device, not srv01 and srv010
    type = SelectField("Type", coerce=bounded_id, validate_choice=False)
    date_from = LocalDateField("From", validators=[Optional()])
    date_to = LocalDateField("To", validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")
