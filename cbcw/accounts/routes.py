"""Login, logout and the user's own profile (PRODUCT §1)."""
import unicodedata

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, logout_user
from sqlalchemy import select

from cbcw.accounts import delegation, email_changes, invitations, known_browser
from cbcw.accounts.forms import DelegationForm, EmptyForm, LoginForm, PasswordForm, ProfileForm, SetPasswordForm
from cbcw.accounts.models import User
from cbcw.accounts.service import authenticate, check_current_password
from cbcw.accounts.sessions import renew_session, start_session
from cbcw.accounts.throttle import LoginThrottled
from cbcw.accounts.timezones import timezone_choices
from cbcw.extensions import db

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data, request.remote_addr,
                                request.cookies.get(known_browser.COOKIE_NAME))
        except LoginThrottled as throttled:
            db.session.rollback()
            form.form_errors.append(f"Too many failed attempts. Try again in {_duration(throttled.retry_after)}.")
            return render_template("accounts/login.html", form=form), 429, {"Retry-After": str(throttled.retry_after)}
        db.session.commit()  # the attempt is counted either way
        if user is None:
            form.form_errors.append("Invalid email or password.")
        else:
            start_session(user, remember=form.remember.data)
            response = redirect(_safe_next(request.args.get("next")))
            known_browser.remember(response, user)
            return response
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """Ends every session and remember-me cookie of the user, on every device."""
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    flash("You have been logged out.", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        current_user.display_name = form.display_name.data
        current_user.timezone = form.timezone.data
        db.session.commit()
        flash("Profile saved.", "success")
        return redirect(url_for(".profile"))
    return _profile_page(form, PasswordForm(formdata=None))


@bp.route("/profile/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password (the current one required); a user holding a temporary password
    is sent here before anything else. Every other session of the user ends."""
    form = PasswordForm()
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            current = check_current_password(current_user, form.current_password.data, request.remote_addr,
                                             request.cookies.get(known_browser.COOKIE_NAME))
        except LoginThrottled as throttled:
            db.session.rollback()
            form.current_password.errors.append(
                f"Too many wrong passwords. Try again in {_duration(throttled.retry_after)}.")
            current, status, headers = None, 429, {"Retry-After": str(throttled.retry_after)}
        if current is False:
            db.session.commit()  # the wrong guess is counted
            form.current_password.errors.append("That is not your current password.")
        elif current and form.new_password.data == form.current_password.data:
            db.session.commit()
            form.new_password.errors.append("Choose a password different from the current one.")
        elif current:
            current_user.set_password(form.new_password.data)
            db.session.commit()
            renew_session(current_user._get_current_object())
            flash("Password changed. Other devices have been logged out.", "success")
            response = redirect(url_for(".profile"))
            known_browser.remember(response, current_user)  # the new password retired the old cookie
            return response
    if current_user.must_change_password:
        return render_template("accounts/choose_password.html", form=form), status, headers
    return _profile_page(ProfileForm(obj=current_user), form), status, headers


def _profile_page(profile_form: ProfileForm, password_form: PasswordForm,
                  delegation_form: DelegationForm | None = None):
    current = delegation.delegation_of(current_user.id)
    if delegation_form is None:
        delegation_form = DelegationForm(formdata=None, obj=current,
                                         delegate=current.delegate_id if current else None)
    delegation_form.delegate.choices = _delegate_choices()
    return render_template(
        "accounts/profile.html", form=profile_form, password_form=password_form, timezones=timezone_choices(),
        delegation_form=delegation_form, delegation=current, remove_form=EmptyForm(),
    )


def _delegate_choices() -> list[tuple[int, str]]:
    """Colleagues who can decide approvals: active, not viewers, not oneself."""
    people = db.session.scalars(select(User).where(
        User.organisation_id == current_user.organisation_id, User.active.is_(True), User.role != "viewer",
        User.id != current_user.id).order_by(User.display_name))
    return [(user.id, user.display_name) for user in people]


@bp.post("/profile/delegation")
@login_required
def save_delegation():
    """Set (or replace) who decides my approvals while I am away; `remove` ends it."""
    if request.form.get("remove"):
        if EmptyForm().validate_on_submit():
            current = delegation.delegation_of(current_user.id)
            if current is not None:
                db.session.delete(current)
                db.session.commit()
            flash("Delegation removed.", "success")
        return redirect(url_for(".profile") + "#delegation")
    form = DelegationForm()
    form.delegate.choices = _delegate_choices()
    if not form.validate_on_submit():
        return _profile_page(ProfileForm(obj=current_user), PasswordForm(formdata=None), form), 400
    current = delegation.delegation_of(current_user.id) or delegation.Delegation(
        organisation_id=current_user.organisation_id, user_id=current_user.id)
    current.delegate_id, current.starts_on, current.ends_on = (
        form.delegate.data, form.starts_on.data, form.ends_on.data)
    db.session.add(current)
    db.session.commit()
    flash("Delegation saved: your approvals are offered to your delegate on those days.", "success")
    return redirect(url_for(".profile") + "#delegation")


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    """The invited person chooses their password through the one-time link (PRODUCT §2.9)."""
    invitation = invitations.open_invitation(token)
    if invitation is None:
        return render_template("accounts/link_invalid.html", what="Invitation", ask="invite you again"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        invitations.accept(invitation, form.new_password.data)
        db.session.commit()
        flash("Your password is set. Log in with your email address and it.", "success")
        return redirect(url_for(".login"))
    return render_template("accounts/invitation.html", form=form, invited=invitation.user)


@bp.route("/email-confirmation/<token>", methods=["GET", "POST"])
@login_required
def confirm_email(token: str):
    """The user, signed in with their current address, confirms the new one from its link: both the
    account and the mailbox are theirs (a stranger reading a mistyped address cannot take the
    account). A button confirms, so a mail scanner opening links confirms nothing."""
    change = email_changes.open_change(token)
    if change is None or change.user_id != current_user.id:
        return _confirmation_invalid()
    form = EmptyForm()
    if form.validate_on_submit():
        if not email_changes.confirm(change):
            db.session.rollback()
            return _confirmation_invalid()
        db.session.commit()
        flash(f"Your address is now {change.email}: sign in with it from now on.", "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/confirm_email.html", form=form, change=change)


def _confirmation_invalid():
    """Unknown, used, expired, or its address taken meanwhile: all look alike."""
    return render_template("accounts/link_invalid.html", what="Confirmation", ask="change your address again"), 404


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{-(-seconds // 60)} minutes"


def _safe_next(target: str | None) -> str:
    """Where `next` may send the user after login: a path on this site, else the default page.

    Never an open redirect nor a 500: a `next` not starting with one "/" ("//" is another host),
    or holding a backslash (read as "/"), a control or format character or any space or line
    separator is ignored. A CR or LF would end the Location header; browsers drop tabs and
    newlines from URLs, so "/", a tab and "/evil" make "//evil". Other text (the é of a search
    Flask-Login put in `next`) is kept; Werkzeug percent-encodes it in the header."""
    if target and target.startswith("/") and not target.startswith("//") and not any(map(_unsafe, target)):
        return target
    return url_for("main.index")


def _unsafe(character: str) -> bool:
    return character == "\\" or unicodedata.category(character)[0] in "CZ"
