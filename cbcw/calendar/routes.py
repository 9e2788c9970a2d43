"""`/calendar`: the week or month agenda of implementation windows, filterable by company."""
from datetime import date, datetime

from flask import Blueprint, render_template, request
from flask_login import login_required

from cbcw.calendar import agenda
from cbcw.devices.forms import bounded_id
from cbcw.devices.queries import companies
from cbcw.main.forms import options
from cbcw.main.templating import user_zone

bp = Blueprint("calendar", __name__)


@bp.get("/calendar")
@login_required
def calendar():
    zone = user_zone()
    view = request.args.get("view") if request.args.get("view") in agenda.VIEWS else "week"
    today = datetime.now(zone).date()
    anchor, message = _anchor(request.args.get("date", ""), today)
    company_id = bounded_id(request.args.get("company"))
    company_choices = options([("", "Any company"), *((c.id, c.name) for c in companies())])
    return render_template("calendar/agenda.html", agenda=agenda.build(view, anchor, zone, company_id),
                           company_id=company_id, company_choices=company_choices, today=today, message=message)


def _anchor(text: str, today: date) -> tuple[date, str | None]:
    if not text:
        return today, None
    try:
        return date.fromisoformat(text[:10]), None
    except ValueError:
        return today, f"“{text[:40]}” is not a date (YYYY-MM-DD): showing today instead."
