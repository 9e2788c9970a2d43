import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from cbcw.accounts import delegation
from cbcw.accounts.timezones import is_choosable, zones_called
from cbcw.main.forms import single_line

# A shape check only: email-validator refuses the reserved .test domain the demo uses.
email_shape = Regexp(re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), message="Enter a valid email address.")
PASSWORD_MIN_LENGTH = 10
password_length = Length(min=PASSWORD_MIN_LENGTH, max=200, message=f"Use at least {PASSWORD_MIN_LENGTH} characters.")


def real_timezone(form, field) -> None:
    if is_choosable(field.data or ""):
        return
    matches = zones_called(field.data or "")
    if len(matches) > 1:
        raise ValidationError(f"“{field.data}” matches several timezones: {', '.join(matches)}. Pick one of them.")
    raise ValidationError("Pick a timezone from the list, e.g. Europe/London.")


def _canonical_zone(value):
    """A typed city that names exactly one zone ("sydney") becomes that zone ("Australia/Sydney")."""
    if not isinstance(value, str) or is_choosable(value):
        return value
    matches = zones_called(value)
    return matches[0] if len(matches) == 1 else value


class TimezoneField(StringField):
    """A text box searching the list of real zones (`timezone_options` in _forms.html); the
    hint promises that a city alone ("Sydney") is enough, so the filter turns it into its zone."""

    def __init__(self, label="Timezone", **kwargs):
        kwargs.setdefault("default", "UTC")
        super().__init__(label, validators=[DataRequired(), real_timezone], filters=[_strip, _canonical_zone],
                         **kwargs)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254), email_shape])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me logged in")


class ProfileForm(FlaskForm):
    display_name = StringField("Name", validators=[DataRequired(), Length(max=120), single_line], filters=[_strip])
    timezone = TimezoneField()


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField("New password", validators=[DataRequired(), password_length])
    confirm_password = PasswordField(
        "Repeat the new password", validators=[DataRequired(), EqualTo("new_password", message="The passwords differ.")]
    )


class EmptyForm(FlaskForm):
    """CSRF token only: for one-button actions."""


class DelegationForm(FlaskForm):
    """Who decides my approvals while I am away, and when (PRODUCT §2.9); choices set by the view."""

    delegate = SelectField("Delegate", coerce=int, validate_choice=True)
    starts_on = DateField("From", validators=[DataRequired(message="Give the first day you are away.")])
    ends_on = DateField("Until (included)", validators=[DataRequired(message="Give the last day you are away.")])

    def validate_starts_on(self, field) -> None:
        _within_allowed_days(field.data)

    def validate_ends_on(self, field) -> None:
        _within_allowed_days(field.data)
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError("The last day comes after the first.")


def _within_allowed_days(day) -> None:
    first, last = delegation.allowed_days()
    if day is not None and not first <= day <= last:
        raise ValidationError(f"Choose a day between {first.day} {first:%B %Y} and {last.day} {last:%B %Y}.")


class SetPasswordForm(FlaskForm):
    """The invited person's first password."""

    new_password = PasswordField("Password", validators=[DataRequired(), password_length])
    confirm_password = PasswordField(
        "Repeat the password", validators=[DataRequired(), EqualTo("new_password", message="The passwords differ.")]
    )
