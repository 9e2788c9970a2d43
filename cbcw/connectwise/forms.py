from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class ConnectionForm(FlaskForm):
    enabled = BooleanField("Enable ConnectWise Integration")
    base_url = StringField("Base URL", validators=[DataRequired(), Length(max=300)])
    cw_company_id = StringField("Company ID", validators=[DataRequired(), Length(max=100)])
    public_key = StringField("Public Key", validators=[Optional(), Length(max=100)])
    # Never rendered back (PasswordField hides its value); blank keeps the stored key.
    private_key = PasswordField("Private Key", validators=[Optional(), Length(max=100)])

    def require_keys(self, has_public: bool, has_private: bool, reason: str | None = None) -> bool:
        """Keys are required when none usable is stored (`reason` says why a stored one is not)."""
        ok = True
        for field, stored in ((self.public_key, has_public), (self.private_key, has_private)):
            if not stored and not (field.data or "").strip():
                field.errors.append(reason or "Enter the key from the API member's API Keys tab.")
                ok = False
        return ok


class StatusForm(FlaskForm):
    """Field names match ConnectWiseSettings and STATUS_EVENTS."""

    auto_update_status = BooleanField("Auto-Update Ticket Status")
    status_change_created = StringField("Change Created", validators=[Length(max=50)])
    status_fully_approved = StringField("Fully Approved", validators=[Length(max=50)])
    status_change_scheduled = StringField("Change Scheduled", validators=[Length(max=50)])
    status_change_completed = StringField("Change Completed", validators=[Length(max=50)])
    status_change_cancelled = StringField("Change Cancelled", validators=[Length(max=50)])


class MapCompanyForm(FlaskForm):
    cw_company_id = IntegerField(validators=[DataRequired(), NumberRange(min=1)])


class PickMemberForm(FlaskForm):
    cw_member_id = IntegerField(validators=[Optional(), NumberRange(min=1)])
