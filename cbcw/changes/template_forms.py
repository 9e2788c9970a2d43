"""The template form (PRODUCT §2.7): a version's fields, with the risk questionnaire."""
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp

from cbcw.changes.catalogue import DEVICES_MAX, DURATION_MAX_MINUTES, NAME_MAX, TemplateFields
from cbcw.changes.fields import TITLE_MAX
from cbcw.changes.forms import long_text, optional_id
from cbcw.main.forms import options, single_line


class TemplateForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=NAME_MAX)])
    company_id = SelectField("For", coerce=optional_id, validate_choice=True)
    title_pattern = StringField("Title of its changes", validators=[DataRequired(), Length(max=TITLE_MAX), single_line])
    description = TextAreaField("Description", validators=long_text())
    implementation_plan = TextAreaField("Implementation plan", validators=long_text())
    rollback_plan = TextAreaField("Rollback plan", validators=long_text())
    test_plan = TextAreaField("Test plan", validators=long_text())
    default_duration_minutes = IntegerField(
        "Default duration (minutes)", default=60,
        validators=[InputRequired(), NumberRange(min=1, max=DURATION_MAX_MINUTES)])
    devices = StringField("Devices", validators=[
        Length(max=DEVICES_MAX),
        Regexp(r"^\s*(@[A-Za-z0-9][A-Za-z0-9._-]*\s*)*$", message="Write devices as @hostname, separated by spaces."),
    ])
    risk_keys: tuple[str, ...] = ()  # set by forms.with_questionnaire

    def set_companies(self, companies) -> None:
        self.company_id.choices = options([("", "The whole organisation"), *((c.id, c.name) for c in companies)])

    def risk_fields(self) -> list:
        return [self[f"risk_{key}"] for key in self.risk_keys]

    def template_fields(self) -> TemplateFields:
        return TemplateFields(
            title_pattern=self.title_pattern.data or "", description=self.description.data or "",
            implementation_plan=self.implementation_plan.data or "", rollback_plan=self.rollback_plan.data or "",
            test_plan=self.test_plan.data or "",
            risk_answers={key: self[f"risk_{key}"].data for key in self.risk_keys if self[f"risk_{key}"].data},
            default_duration_minutes=self.default_duration_minutes.data, devices=(self.devices.data or "").strip(),
        )
