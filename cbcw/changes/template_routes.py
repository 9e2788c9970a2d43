"""`/templates` (PRODUCT §2.7): the standard change catalogue. Admins and MSP users write
templates, an admin other than the author approves each version, engineers start changes from
them (`/changes/new?template=<id>`)."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from cbcw.accounts.models import User

from cbcw.accounts.permissions import admin_required, settings_required
from cbcw.changes import catalogue, queries, risk
from cbcw.changes.errors import LifecycleError
from cbcw.changes.forms import with_questionnaire
from cbcw.changes.template_forms import TemplateForm
from cbcw.changes.type_models import ChangeTemplate, TemplateVersion
from cbcw.extensions import db
from cbcw.tenancy import get_or_404, scoped

bp = Blueprint("change_templates", __name__)


@bp.get("/templates")
@login_required
def list_templates():
    templates = db.session.scalars(scoped(ChangeTemplate).order_by(ChangeTemplate.name, ChangeTemplate.id)).all()
    usage = catalogue.usage([t.id for t in templates])
    return render_template("change_templates/list.html", templates=templates, usage=usage,
                           latest_approved=catalogue.latest_approved)


@bp.get("/templates/<int:template_id>")
@login_required
def detail(template_id: int):
    template = get_or_404(ChangeTemplate, template_id)
    return render_template("change_templates/detail.html", template=template,
                           usage=catalogue.usage([template.id])[template.id],
                           current=catalogue.latest_approved(template),
                           refusal=catalogue.usable_refusal(template), sole_admin=_admins() < 2)


def _admins() -> int:
    """Active admins of the organisation: with one, nobody can approve what that admin wrote."""
    return db.session.scalar(select(func.count()).select_from(
        scoped(User).where(User.role == "admin", User.active.is_(True)).subquery()))


def _form(version: TemplateVersion | None = None, template: ChangeTemplate | None = None) -> TemplateForm:
    form = with_questionnaire(TemplateForm, risk.questions(current_user.organisation_id))(
        obj=version, name=template.name if template else None,
        company_id=template.company_id if template else None)
    if version is not None and not form.is_submitted():
        for key in form.risk_keys:
            form[f"risk_{key}"].data = version.risk_answers.get(key, "")
    form.set_companies(queries.companies(include_id=template.company_id if template else None))
    return form


@bp.route("/templates/new", methods=["GET", "POST"])
@settings_required
def new_template():
    form = _form()
    if form.validate_on_submit():
        template = _saved(form, lambda: catalogue.create_template(
            current_user.organisation_id, current_user, form.name.data, form.company_id.data, form.template_fields()))
        if template is not None:
            flash(f"Template “{template.name}” saved: an admin other than you approves it before use.", "success")
            return redirect(url_for(".detail", template_id=template.id))
    return render_template("change_templates/form.html", form=form, template=None)


@bp.route("/templates/<int:template_id>/edit", methods=["GET", "POST"])
@settings_required
def edit_template(template_id: int):
    """Edit a template: saving adds a version, which awaits approval; changes keep theirs."""
    template = get_or_404(ChangeTemplate, template_id)
    form = _form(template.versions[-1], template)
    if form.validate_on_submit():
        version = _saved(form, lambda: catalogue.new_version(template, current_user, form.template_fields()))
        if version is not None:
            flash(f"Version {version.version} saved: it is used once an admin other than you approves it.", "success")
            return redirect(url_for(".detail", template_id=template.id))
    return render_template("change_templates/form.html", form=form, template=template)


def _saved(form, save):
    try:
        result = save()
        db.session.commit()
    except LifecycleError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return None
    except IntegrityError:
        db.session.rollback()
        form.form_errors.append("Someone else saved a version of this template a moment ago: reload and try again.")
        return None
    return result


@bp.post("/templates/<int:template_id>/versions/<int:version_id>/approve")
@admin_required
def approve(template_id: int, version_id: int):
    template = get_or_404(ChangeTemplate, template_id)
    version = get_or_404(TemplateVersion, version_id)
    if version.template_id != template.id:
        return redirect(url_for(".detail", template_id=template.id))
    _act(lambda: catalogue.approve_version(version, current_user),
         f"Version {version.version} approved: it creates standard changes now.")
    return redirect(url_for(".detail", template_id=template.id))


@bp.post("/templates/<int:template_id>/reinstate")
@admin_required
def reinstate(template_id: int):
    template = get_or_404(ChangeTemplate, template_id)
    _act(lambda: catalogue.reinstate(template, current_user), f"“{template.name}” creates standard changes again.")
    return redirect(url_for(".detail", template_id=template.id))


def _act(action, done: str) -> None:
    try:
        action()
        db.session.commit()
    except LifecycleError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(done, "success")
