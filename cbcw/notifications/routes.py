"""The inbox (`/inbox`), the bell in the navigation and the preferences section of /profile."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from cbcw.accounts.forms import EmptyForm
from cbcw.extensions import db
from cbcw.notifications import inbox, preferences
from cbcw.notifications.kinds import CHANNELS, KINDS

bp = Blueprint("notifications", __name__)


@bp.get("/inbox")
@login_required
def inbox_page():
    return render_template("notifications/inbox.html", items=inbox.latest(current_user), form=EmptyForm())


@bp.post("/inbox/<int:notification_id>/<any(read, unread):state>")
@login_required
def mark(notification_id: int, state: str):
    if not EmptyForm().validate_on_submit():
        abort(400)
    if not inbox.mark(current_user, notification_id, state == "read"):
        abort(404)
    db.session.commit()
    return redirect(url_for(".inbox_page"))


@bp.post("/inbox/read-all")
@login_required
def mark_all():
    if not EmptyForm().validate_on_submit():
        abort(400)
    inbox.mark_all_read(current_user)
    db.session.commit()
    return redirect(url_for(".inbox_page"))


@bp.post("/profile/notifications")
@login_required
def save_preferences():
    if not EmptyForm().validate_on_submit():
        abort(400)
    preferences.save(current_user, {kind: request.form.get(f"channel-{kind}", "") for kind in KINDS})
    db.session.commit()
    flash("Notification choices saved.", "success")
    return redirect(url_for("accounts.profile") + "#notifications")


def preferences_section() -> Markup:
    """The /profile section (a template global, since accounts sits below notifications)."""
    return Markup(render_template("notifications/_preferences.html", kinds=KINDS, channels=CHANNELS,
                                  chosen=preferences.chosen(current_user), form=EmptyForm()))


def bell() -> dict:
    return {"unread_notifications": lambda: inbox.unread_count(current_user)}
