"""Forms for change controls: the change itself, the list filters and one form per transition.

Forms parse and bound what people type (lengths, dates, choices); the operations enforce the
rules. Times are typed in the user's timezone (the one date-and-time control, `cbcw/main/datetime_field.py`)
and handed to the operations as aware UTC datetimes. Transition forms carry a prefix (their
action name) so several can share the detail page without clashing ids; their CSRF field is
prefixed too, which Flask-WTF accepts.
"""
from datetime import datetime, timezone

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from cbcw.changes import sorting
from cbcw.changes.fields import LONG_TEXT_MAX, TITLE_MAX, WINDOW_YEARS, ChangeFields, window_problem
from cbcw.changes.labels import KIND_LABELS, STATE_LABELS, TYPE_LABELS
from cbcw.changes.models import APPROVAL_KINDS, CHANGE_TYPES, RISKS, STATES
from cbcw.changes.schedule_check import ScheduleCheck, blackout_refusal, check_schedule
from cbcw.changes.ticket_choice import TicketChoiceMixin
from cbcw.main.datetime_field import LocalDateTimeField, OutOfRange
from cbcw.main.forms import optional_id, options, single_line
from cbcw.main.numbers import bounded_int


BLANK = ("", "— none —")
RISK_CHOICES = options((risk, risk.capitalize()) for risk in RISKS)


class WindowField(LocalDateTimeField):
    """A window time typed in the user's timezone, within WINDOW_YEARS.

    Stored times outside that range (typed before it existed) are shown in UTC rather than
    failing to convert.
    """

    def __init__(self, label: str, required: bool, **kwargs):
        super().__init__(label, validators=[InputRequired("Choose the date and time.") if required else Optional()],
                         **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except OutOfRange:
            raise ValueError(self._out_of_range()) from None

    def pre_validate(self, form):
        first, last = WINDOW_YEARS
        if self.data is not None and not first <= self.data.year <= last:
            raise ValidationError(self._out_of_range())

    @staticmethod
    def _out_of_range() -> str:
        first, last = WINDOW_YEARS
        return f"Choose a date between the years {first} and {last}."


def long_text(*validators) -> list:
    """The validators of a long text field: the given ones, then the length limit."""
    return [*validators, Length(max=LONG_TEXT_MAX,
                                message=f"Keep this to {LONG_TEXT_MAX:,} characters or fewer.")]


def _text(field) -> str:
    return one_newline(field.data or "").strip()


def one_newline(text: str) -> str:
    """Text with every line break as "\n": browsers post a textarea's lines with "\r\n", and
    what is saved is shown, compared and posted to ticket systems as it is stored."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _to_utc(value: datetime | None) -> datetime | None:
    return value.astimezone(timezone.utc) if value is not None else None


class WindowMixin:
    """Implementation window typed in the user's timezone; the end must come after the start."""

    def validate_window_end(self, field):
        if self.window_start.errors or field.errors:
            return
        problem = window_problem(self.window_start.data, field.data)
        if problem:
            raise ValidationError(problem)

    def utc_window(self) -> tuple[datetime | None, datetime | None]:
        return _to_utc(self.window_start.data), _to_utc(self.window_end.data)


class ChangeForm(TicketChoiceMixin, WindowMixin, FlaskForm):
    """Every §2.1 field a user types; choices are set by the view (org-scoped)."""

    title = StringField("Title", validators=[DataRequired(), Length(max=TITLE_MAX), single_line])
    company_id = SelectField("Company", coerce=optional_id, validate_choice=True)
    risk = SelectField("Risk", choices=RISK_CHOICES, default="low")
    description = TextAreaField("Description", validators=long_text())
    reason = TextAreaField("Reason for change", validators=long_text())
    impact = TextAreaField("Impact", validators=long_text())
    implementation_plan = TextAreaField("Implementation plan", validators=long_text())
    rollback_plan = TextAreaField("Rollback plan", validators=long_text())
    test_plan = TextAreaField("Test plan", validators=long_text())
    window_start = WindowField("Window start", required=False)
    window_end = WindowField("Window end", required=False)
    implementer_id = SelectField("Implementer", coerce=optional_id)
    technical_approver_id = SelectField("Technical approver", coerce=optional_id)
    operational_approver_id = SelectField("Operational approver", coerce=optional_id)
    requires_vcab = BooleanField("Ask the vCAB too")
    change_type = SelectField("Type", choices=options((t, TYPE_LABELS[t]) for t in CHANGE_TYPES), default="normal")
    template_version_id = HiddenField(filters=[lambda value: optional_template(value)])

    # The risk questionnaire's fields (`risk_<question key>`), added per organisation by
    # `with_questionnaire`; their keys, in order.
    risk_keys: tuple[str, ...] = ()

    def risk_fields(self) -> list:
        return [self[f"risk_{key}"] for key in self.risk_keys]

    def risk_answers(self) -> dict[str, str]:
        """The answers given (blank ones left out: none given keeps the Risk field's level)."""
        return {key: self[f"risk_{key}"].data for key in self.risk_keys if self[f"risk_{key}"].data}

    def set_choices(self, companies, users) -> None:
        self.company_id.choices = options([BLANK, *((c.id, c.name) for c in companies)])
        people = options([BLANK, *((u.id, u.display_name) for u in users)])
        for select in (self.implementer_id, self.technical_approver_id, self.operational_approver_id):
            select.choices = people

    def change_fields(self) -> ChangeFields:
        """What was typed, as the values create_change/update_change take."""
        start, end = self.utc_window()
        return ChangeFields(
            title=_text(self.title), company_id=self.company_id.data, risk=self.risk.data,
            description=one_newline(self.description.data or ""), reason=one_newline(self.reason.data or ""),
            impact=one_newline(self.impact.data or ""),
            implementation_plan=one_newline(self.implementation_plan.data or ""),
            rollback_plan=one_newline(self.rollback_plan.data or ""), test_plan=one_newline(self.test_plan.data or ""),
            window_start=start, window_end=end, implementer_id=self.implementer_id.data,
            technical_approver_id=self.technical_approver_id.data,
            operational_approver_id=self.operational_approver_id.data,
            requires_vcab=bool(self.requires_vcab.data),
            change_type=self.change_type.data, template_version_id=self.template_version_id.data,
            risk_answers=self.risk_answers(),
        )


def optional_template(value) -> int | None:
    """The hidden template version id: blank, not a number or beyond an id column (hostile) is none."""
    if value in (None, "", "None"):
        return None
    try:
        return bounded_int(str(value))
    except ValueError:
        return None


def with_questionnaire(form_class: type, questions) -> type:
    """`form_class` with one select per risk question, named `risk_<key>` (PRODUCT §5)."""
    attributes = {
        f"risk_{q.key}": SelectField(q.label, choices=options([("", "— choose —"), *((a.value, a.label) for a in q.answers)]),
                                     default="")
        for q in questions
    }
    attributes["risk_keys"] = tuple(q.key for q in questions)
    return type(form_class.__name__, (form_class,), attributes)


# PRODUCT §2.6 My work: `?mine=` values, bookmarkable.
MINE_CHOICES = (
    ("", "All changes"),
    ("approval", "Awaiting my approval"),
    ("assigned", "Assigned to me"),
    ("requested", "Requested by me"),
)


class FilterForm(FlaskForm):
    """The changes list filters, read from the query string (GET: no CSRF).

    Hostile or stale values (an unknown state, a company id of another organisation or beyond 64
    bits, `page=abc`) fail validation: the field shows why and that filter is left out.
    """

    class Meta:
        csrf = False

    q = SearchField("Search", validators=[Optional(), Length(max=200)])
    mine = RadioField("Show", choices=options(MINE_CHOICES), default="")
    state = SelectField(
        "State", choices=options([("", "Any state"), *((s, STATE_LABELS[s]) for s in STATES)]), default="",
    )
    company = SelectField("Company", coerce=optional_id)
    page = IntegerField("Page", validators=[Optional(), NumberRange(min=1)])
    sort = HiddenField("Sort", validators=[Optional(), AnyOf([*sorting.COLUMNS, *(f"-{c}" for c in sorting.COLUMNS)])])

    def filters(self) -> dict:
        """The valid filters as `queries.filtered_changes` takes them."""
        def valid(field, empty):
            return empty if field.errors else (field.data or empty)

        return {"q": valid(self.q, ""), "mine": valid(self.mine, ""), "state": valid(self.state, ""),
                "company_id": valid(self.company, None), "sort": valid(self.sort, None)}

    def query_args(self) -> dict:
        """The valid filters as URL parameters (for the pagination links)."""
        values = self.filters()
        args = {"q": values["q"], "mine": values["mine"], "state": values["state"], "company": values["company_id"],
                "sort": values["sort"]}
        return {key: value for key, value in args.items() if value}

    def page_number(self) -> int:
        return 1 if self.page.errors else (self.page.data or 1)


# --- One form per transition ---------------------------------------------------------------


class TransitionForm(FlaskForm):
    """A transition's form: `arguments()` gives its operation's keyword arguments."""

    ARGUMENTS: tuple[str, ...] = ()

    def arguments(self) -> dict:
        return {name: _text(self[name]) for name in self.ARGUMENTS}


class SubmitForm(TransitionForm):
    pass


class StartForm(TransitionForm):
    pass


class ApproveForm(TransitionForm):
    ARGUMENTS = ("kind", "comment")
    kind = SelectField("Approve as", choices=options((k, KIND_LABELS[k]) for k in APPROVAL_KINDS))
    comment = TextAreaField("Comment (optional)", validators=long_text())


class RejectForm(ApproveForm):
    kind = SelectField("Reject as", choices=options((k, KIND_LABELS[k]) for k in APPROVAL_KINDS))
    comment = TextAreaField("Reason for rejecting", validators=long_text(DataRequired()))


class ScheduleForm(WindowMixin, TransitionForm):
    window_start = WindowField("Window start", required=True)
    window_end = WindowField("Window end", required=True)
    implementer_id = SelectField("Implementer", coerce=optional_id, validators=[InputRequired()])
    blackout_override = TextAreaField("Reason for overriding the blackout (emergency changes only)",
                                      validators=long_text())
    confirm_conflicts = BooleanField("Schedule anyway")

    # Set by the view: the change being scheduled. After validation, what the window meets.
    change = None
    check: ScheduleCheck | None = None

    def validate(self, extra_validators=None) -> bool:
        """Valid fields; no blackout (or an emergency change's override reason); and either no
        device or implementer conflict or "Schedule anyway" ticked (PRODUCT §2.5). Outside the
        maintenance windows is only a warning."""
        if not super().validate(extra_validators):
            return False
        if self.change is None:
            return True
        start, end = self.utc_window()
        self.check = check_schedule(self.change, start, end, self.implementer_id.data)
        refusal = blackout_refusal(self.change, self.check.windows, self.blackout_override.data or "")
        if refusal:
            field = self.blackout_override if self.change.change_type == "emergency" else self.window_start
            field.errors = [refusal]
            return False
        if self.check.needs_confirmation and not self.confirm_conflicts.data:
            self.confirm_conflicts.errors = ["This window overlaps other work on the same device or by the same "
                                             "implementer: tick “Schedule anyway” to keep it."]
            return False
        return True

    def arguments(self) -> dict:
        start, end = self.utc_window()
        kept = tuple(self.check.kept()) if self.check is not None else ()
        return {"window_start": start, "window_end": end, "implementer_id": self.implementer_id.data,
                "blackout_override": (self.blackout_override.data or "").strip(), "kept_conflicts": kept}


class CompleteForm(TransitionForm):
    ARGUMENTS = ("completion_notes", "test_results")
    completion_notes = TextAreaField("Completion notes", validators=long_text(DataRequired()))
    test_results = TextAreaField("Test results", validators=long_text(DataRequired()))


class FailForm(TransitionForm):
    ARGUMENTS = ("failure_reason", "rollback_notes")
    failure_reason = TextAreaField("Failure reason", validators=long_text(DataRequired()))
    rollback_notes = TextAreaField("Rollback notes", validators=long_text(DataRequired()))


class RaiseRiskForm(TransitionForm):
    ARGUMENTS = ("risk", "reason")
    risk = SelectField("New risk", choices=RISK_CHOICES)
    reason = TextAreaField("Why the risk is higher", validators=long_text(DataRequired()))


class ReviewForm(TransitionForm):
    ARGUMENTS = ("what_was_done", "why_urgent", "outcome", "follow_ups")
    what_was_done = TextAreaField("What was done", validators=long_text(DataRequired()))
    why_urgent = TextAreaField("Why it could not wait", validators=long_text(DataRequired()))
    outcome = TextAreaField("Outcome", validators=long_text(DataRequired()))
    follow_ups = TextAreaField("Follow-up actions", validators=long_text(DataRequired()))


class CancelForm(TransitionForm):
    ARGUMENTS = ("reason",)
    reason = TextAreaField("Reason for cancelling", validators=long_text(DataRequired()))


class CommentForm(TransitionForm):
    ARGUMENTS = ("text",)
    text = TextAreaField("Add a comment", validators=long_text(DataRequired()))
