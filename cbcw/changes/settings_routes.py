"""Settings → Risk and approvals (PRODUCT §2.8, admins): the questionnaire, its thresholds and
the approval policy by risk level for normal changes."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from cbcw.accounts.permissions import admin_required
from cbcw.changes import policy_settings
from cbcw.changes.models import RISKS
from cbcw.changes.requirements import POLICY_KINDS
from cbcw.extensions import db

bp = Blueprint("change_settings", __name__, url_prefix="/settings")
KIND_NAMES = {"technical": "Technical", "operational": "Operational", "vcab": "vCAB"}


class RiskPolicyForm(FlaskForm):
    questions = TextAreaField("Questions", validators=[InputRequired(), Length(max=20_000)])
    medium_threshold = IntegerField("Medium from score", validators=[InputRequired(), NumberRange(min=1, max=10_000)])
    high_threshold = IntegerField("High from score", validators=[InputRequired(), NumberRange(min=1, max=10_000)])


for _risk in RISKS:
    for _kind in POLICY_KINDS:
        setattr(RiskPolicyForm, f"policy_{_risk}_{_kind}", BooleanField(f"{KIND_NAMES[_kind]} ({_risk} risk)"))


@bp.route("/risk", methods=["GET", "POST"])
@admin_required
def risk_and_approvals():
    organisation_id = current_user.organisation_id
    values = policy_settings.current(organisation_id)
    form = RiskPolicyForm(data={
        "questions": values["questions"], "medium_threshold": values["medium_threshold"],
        "high_threshold": values["high_threshold"],
        **{f"policy_{r}_{k}": k in values["approvals"][r] for r in RISKS for k in POLICY_KINDS},
    })
    if form.validate_on_submit():
        try:
            policy_settings.save(
                organisation_id, policy_settings.parse_questions(form.questions.data),
                form.medium_threshold.data, form.high_threshold.data,
                {r: [k for k in POLICY_KINDS if form[f"policy_{r}_{k}"].data] for r in RISKS})
        except policy_settings.PolicyError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash("Risk questions and approval policy saved; changes already saved keep their assessment.", "success")
            return redirect(url_for(".risk_and_approvals"))
    return render_template("settings/risk.html", form=form, risks=RISKS, kinds=POLICY_KINDS)
