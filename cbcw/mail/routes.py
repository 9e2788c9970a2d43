"""`/dev/mail`: in development without SMTP_URL, the messages the outbox wrote to the log."""
from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from cbcw.extensions import db
from cbcw.mail.models import MailMessage

bp = Blueprint("mail", __name__)
SHOWN = 50
# The settings roles (cbcw.accounts.permissions.settings_required, a layer above this one): the
# messages hold invitation links, so only those who may invite read them.
READERS = ("admin", "msp")


@bp.get("/dev/mail")
@login_required
def dev_mail():
    """The organisation's latest messages; a 404 outside development (the page does not exist),
    a 403 for anyone but admins and MSP users."""
    if current_app.config["ENV_NAME"] != "development" and not current_app.debug:
        abort(404)
    if current_user.role not in READERS:
        abort(403)
    rows = db.session.scalars(
        select(MailMessage).where(MailMessage.organisation_id == current_user.organisation_id)
        .order_by(MailMessage.id.desc()).limit(SHOWN)
    ).all()
    return render_template("mail/dev_mail.html", messages=rows)
