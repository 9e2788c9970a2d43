"""`/calendar`: the week grid or month grid of implementation windows, filterable by company, state,
implementer and "mine" (bookmarkable URL parameters; a hostile value is left out, never an error)."""
from datetime import date, datetime

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from cbcw.calendar import agenda, feed
from cbcw.changes.labels import STATE_LABELS
from cbcw.changes.models import STATES
from cbcw.changes.queries import assignable_users
from cbcw.db import utcnow
from cbcw.devices.forms import bounded_id
from cbcw.extensions import db
from cbcw.devices.queries import companies
from cbcw.main.forms import options
from cbcw.main.links import absolute_for
from cbcw.main.templating import user_zone

bp = Blueprint("calendar", __name__)


@bp.get("/calendar")
@login_required
def calendar():
    zone = user_zone()
    view = request.args.get("view") if request.args.get("view") in agenda.VIEWS else "week"
    today = datetime.now(zone).date()
    anchor, message = _anchor(request.args.get("date", ""), today)
    state = request.args.get("state", "")
    filters = agenda.Filters(company_id=bounded_id(request.args.get("company")),
                             state=state if state in STATES else "",
                             implementer_id=bounded_id(request.args.get("implementer")),
                             mine=request.args.get("mine") == "1", done=request.args.get("done") == "1")
    choices = {
        "company": options([("", "Any company"), *((c.id, c.name) for c in companies())]),
        "state": options([("", "Any state"), *((s, STATE_LABELS[s]) for s in STATES if s != "cancelled")]),
        "implementer": options([("", "Anyone"), *((u.id, u.display_name) for u in assignable_users())]),
    }
    return render_template("calendar/agenda.html", today=today, message=message, filters=filters, choices=choices,
                           agenda=agenda.build(view, anchor, zone, filters, current_user.id),
                           hours=range(24))


def _anchor(text: str, today: date) -> tuple[date, str | None]:
    if not text:
        return today, None
    try:
        return date.fromisoformat(text[:10]), None
    except ValueError:
        return today, f"“{text[:40]}” is not a date (YYYY-MM-DD): showing today instead."


# --- The private iCalendar feed (PRODUCT §2.5) ----------------------------------------------


@bp.get("/calendar/feed/<token>.ics")
def ical_feed(token: str):
    """No login: the unguessable token is the credential (a calendar app cannot log in)."""
    user = feed.user_for_token(token)
    if user is None:
        abort(404)
    body = feed.ics(user, utcnow(), lambda change: absolute_for("changes.detail", change_id=change.id))
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": "private, no-store",
                                                             "Referrer-Policy": "no-referrer"})


@bp.post("/profile/calendar-feed")
@login_required
def make_feed():
    """A new feed URL (revoking any earlier one), shown on this page once: only its hash is kept."""
    token = feed.new_token(current_user)
    db.session.commit()
    url = absolute_for("calendar.ical_feed", token=token)
    return render_template("calendar/feed_made.html", url=url)


@bp.post("/profile/calendar-feed/revoke")
@login_required
def revoke_feed():
    feed.revoke(current_user)
    db.session.commit()
    flash("Your calendar feed is revoked: its URL no longer works.", "success")
    return redirect(url_for("accounts.profile"))


@bp.app_context_processor
def feed_section():
    """The profile page's feed section reads whether the user has a feed (the URL itself is never stored)."""
    return {"calendar_feed_of": feed.feed_of}
