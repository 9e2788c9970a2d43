"""Organisation Settings: companies and users (admin and MSP roles), the organisation itself (admin)."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from cbcw.accounts import email_changes, invitations
from cbcw.accounts.models import User
from cbcw.accounts.permissions import admin_required, settings_required
from cbcw.accounts.timezones import timezone_choices
from cbcw.extensions import db
from cbcw.organisations.forms import CompanyForm, InviteForm, OrganisationForm, UserForm
from cbcw.organisations.models import Company, Organisation
from cbcw.organisations.service import SettingsError, invite_user, locked_fields, save_company, save_user
from cbcw.tenancy import get_or_404, scoped

bp = Blueprint("organisations", __name__, url_prefix="/settings")


@bp.route("/organisation", methods=["GET", "POST"])
@admin_required
def organisation():
    """Organisation-wide rules; today the small-team setting of PRODUCT §2.2 (admins only)."""
    current = db.session.get(Organisation, current_user.organisation_id)
    form = OrganisationForm(obj=current)
    if form.validate_on_submit():
        current.allow_self_approval = form.allow_self_approval.data
        db.session.commit()
        flash("Organisation settings saved.", "success")
        return redirect(url_for(".organisation"))
    return render_template("settings/organisation.html", form=form, organisation=current)


@bp.route("/companies", methods=["GET", "POST"])
@settings_required
def companies():
    form = CompanyForm()
    if form.validate_on_submit() and _saved(form, lambda: save_company(current_user.organisation_id, form.data)):
        flash(f"Company “{form.name.data}” added.", "success")
        return redirect(url_for(".companies"))
    rows = db.session.scalars(scoped(Company).order_by(Company.name)).all()
    return render_template("settings/companies.html", companies=rows, form=form)


@bp.route("/companies/<int:company_id>/edit", methods=["GET", "POST"])
@settings_required
def edit_company(company_id: int):
    company = get_or_404(Company, company_id)
    form = CompanyForm(obj=company)
    if form.validate_on_submit() and _saved(form, lambda: save_company(company.organisation_id, form.data, company)):
        flash(f"Company “{company.name}” saved.", "success")
        return redirect(url_for(".companies"))
    return render_template("settings/company_form.html", form=form, company=company)


@bp.get("/users")
@settings_required
def users():
    """The organisation's users and, among them, everyone invited; an invitation of an address
    another organisation uses (no user) is listed exactly like any other invited person."""
    organisation_id = current_user.organisation_id
    invited = invitations.pending_user_ids(organisation_id)
    rows = [(user, user.id in invited) for user in db.session.scalars(scoped(User))]
    rows += [(invitation, True) for invitation in invitations.without_user(organisation_id)]
    rows.sort(key=lambda row: (row[0].display_name.casefold(), row[0].email))
    return render_template("settings/users.html", rows=rows)


@bp.route("/users/invite", methods=["GET", "POST"])
@settings_required
def invite():
    """Invite by e-mail; the answer is the same whether or not the address exists elsewhere."""
    form = _without_locked(InviteForm(), None)
    if form.validate_on_submit() and _saved(form, lambda: invite_user(current_user, form.data)):
        flash(f"Invitation sent to {User.normalise_email(form.email.data)}.", "success")
        return redirect(url_for(".users"))
    return render_template("settings/invite.html", form=form, timezones=timezone_choices())


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@settings_required
def edit_user(user_id: int):
    user = get_or_404(User, user_id)
    form = _without_locked(UserForm(obj=user), user)
    if form.validate_on_submit() and _saved(form, lambda: save_user(current_user, form.data, user)):
        flash(f"User {user.email} saved.", "success")
        asked = email_changes.awaiting(user)
        if asked is not None and "email" in form and User.normalise_email(form.email.data) == asked.email:
            flash(f"The new address {asked.email} awaits confirmation: {user.display_name} signs in with "
                  f"{user.email} until they confirm it from their new mailbox.", "info")
        return redirect(url_for(".users"))
    return render_template("settings/user_form.html", form=form, user=user, timezones=timezone_choices(),
                           awaiting=email_changes.awaiting(user))


def _without_locked(form, user: User | None):
    """The form without the fields the signed-in user may not change on `user` (they keep their value)."""
    for name in locked_fields(current_user, user):
        if name in form:
            del form[name]
    return form


def _saved(form, save) -> bool:
    """Run a settings save and commit; a refusal becomes a form error and nothing is written."""
    try:
        save()
    except SettingsError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return False
    db.session.commit()
    return True
