from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from cbcw.accounts.forms import LoginForm
from cbcw.accounts.models import User
from cbcw.accounts.service import LoginThrottled, authenticate
from cbcw.extensions import db, login_manager

bp = Blueprint("accounts", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data, request.remote_addr)
        except LoginThrottled:
            minutes = current_app.config["LOGIN_WINDOW_SECONDS"] // 60
            form.form_errors.append(
                f"Too many failed attempts. Wait {minutes} minutes before trying again."
            )
            return render_template("accounts/login.html", form=form), 429
        if user is None:
            form.form_errors.append("Invalid email or password.")
        else:
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash("You have been logged out.", "info")
    return redirect(url_for("accounts.login"))


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: never an open redirect."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("main.index")
