from zoneinfo import available_timezones

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from cbcw.accounts.forms import email_shape
from cbcw.accounts.models import ROLE_LABELS

TIMEZONES = sorted(available_timezones())


class CompanyForm(FlaskForm):
    name = StringField("Company name", validators=[DataRequired(), Length(max=120)])
    active = BooleanField("Active", default=True)


class UserForm(FlaskForm):
    display_name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), Length(max=254), email_shape])
    role = SelectField("Role", choices=[SelectChoice(value, label) for value, label in ROLE_LABELS.items()])
    timezone = SelectField("Timezone", choices=[SelectChoice(tz) for tz in TIMEZONES], default="UTC")
    vcab_member = BooleanField("vCAB member")
    active = BooleanField("Active", default=True)
    password = PasswordField(
        "Password", validators=[Optional(), Length(min=10, max=200, message="Use at least 10 characters.")]
    )
