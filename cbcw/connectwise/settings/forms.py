"""The ConnectWise settings forms: connection, statuses, mappings, board filter, members."""
from flask_wtf import FlaskForm
from wtforms import (BooleanField, IntegerField, PasswordField, SelectChoice, SelectField, SelectMultipleField,
                     StringField)
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
    plan_includes_test_and_rollback = BooleanField(
        "Add the test and rollback plans to the plan block in the ticket's description (the customer sees it)")
    time_notes_to_discussion = BooleanField(
        "Put time entry notes in the ticket's discussion (the customer sees them) instead of its internal analysis")


class MapCompanyForm(FlaskForm):
    cw_company_id = IntegerField(validators=[DataRequired(), NumberRange(min=1)])


class PickMemberForm(FlaskForm):
    cw_member_id = IntegerField(validators=[Optional(), NumberRange(min=1)])
    # Set by "Match anyway" after the warning that the member is matched to another user.
    confirm = BooleanField()


class BoardFilterForm(FlaskForm):
    """The boards a company's tickets may come from; only boards ConnectWise listed are valid."""

    board_id = SelectMultipleField(coerce=int, validate_choice=False)  # ids ConnectWise no longer lists are dropped

    @classmethod
    def for_boards(cls, boards: list[dict]) -> "BoardFilterForm":
        form = cls()
        form.board_id.choices = [SelectChoice(board["id"], str(board.get("name", ""))) for board in boards]
        return form


def _optional_id(value):
    return int(value) if value not in (None, "", "None") else None


class TypeMappingForm(FlaskForm):
    """One select per ConnectWise configuration type (`type_<id>`): a device type, or none."""

    @classmethod
    def for_types(cls, cw_types: list[dict], device_types) -> "TypeMappingForm":
        choices = [SelectChoice(None, "— not imported —")] + [SelectChoice(t.id, t.name) for t in device_types]
        fields = {f"type_{t['id']}": SelectField(coerce=_optional_id, choices=choices, validate_choice=False)
                  for t in cw_types}
        return type("BoundTypeMappingForm", (cls,), fields)()

    def chosen(self) -> dict[int, int | None]:
        """{ConnectWise type id: device type id or None}."""
        return {int(name.removeprefix("type_")): field.data for name, field in self._fields.items()
                if name.startswith("type_")}
