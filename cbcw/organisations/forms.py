from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from cbcw.accounts.forms import TimezoneField, email_shape, password_length
from cbcw.accounts.models import ROLE_LABELS
from cbcw.main.forms import single_line


class OrganisationForm(FlaskForm):
    """Organisation-wide settings only an admin may change."""

    allow_self_approval = BooleanField("Small team: allow requesters to approve their own changes")


class CompanyForm(FlaskForm):
    name = StringField("Company name", validators=[DataRequired(), Length(max=120)])
    active = BooleanField("Active", default=True)


class InviteForm(FlaskForm):
    """An invitation: the person chooses their own password through the link (PRODUCT §2.9)."""

    display_name = StringField("Name", validators=[DataRequired(), Length(max=120), single_line])
    email = EmailField("Email", validators=[DataRequired(), Length(max=254), email_shape])
    role = SelectField(
        "Role", choices=[SelectChoice(value, label) for value, label in ROLE_LABELS.items()], default="engineer"
    )
    timezone = TimezoneField()
    vcab_member = BooleanField("vCAB member")
    ecab_member = BooleanField("ECAB member (emergency approver)")


class UserForm(InviteForm):
    """A user as an admin or MSP user edits them (new people are invited instead)."""

    active = BooleanField("Active", default=True)
    # Temporary: the user chooses their own at next login (PRODUCT §1).
    password = PasswordField("Password", validators=[Optional(), password_length])
