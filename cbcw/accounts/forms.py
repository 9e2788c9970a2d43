import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from cbcw.accounts.timezones import is_choosable

# A shape check only: email-validator refuses the reserved .test domain the demo uses.
email_shape = Regexp(re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), message="Enter a valid email address.")
PASSWORD_MIN_LENGTH = 10
password_length = Length(min=PASSWORD_MIN_LENGTH, max=200, message=f"Use at least {PASSWORD_MIN_LENGTH} characters.")


def real_timezone(form, field) -> None:
    if not is_choosable(field.data or ""):
        raise ValidationError("Pick a timezone from the list, e.g. Europe/London.")


class TimezoneField(StringField):
    """A text box searching the list of real zones (`timezone_options` in _forms.html)."""

    def __init__(self, label="Timezone", **kwargs):
        kwargs.setdefault("default", "UTC")
        super().__init__(label, validators=[DataRequired(), real_timezone], filters=[_strip], **kwargs)


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254), email_shape])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me logged in")


class ProfileForm(FlaskForm):
    display_name = StringField("Name", validators=[DataRequired(), Length(max=120)], filters=[_strip])
    timezone = TimezoneField()


class PasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField("New password", validators=[DataRequired(), password_length])
    confirm_password = PasswordField(
        "Repeat the new password", validators=[DataRequired(), EqualTo("new_password", message="The passwords differ.")]
    )


class EmptyForm(FlaskForm):
    """CSRF token only: for one-button actions."""
