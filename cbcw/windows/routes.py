"""`/windows`: the organisation's blackout and maintenance windows. Everyone reads them; admins
and MSP users add, edit and remove them (PRODUCT §2.5)."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from cbcw.accounts.permissions import settings_required
from cbcw.accounts.timezones import timezone_choices
from cbcw.extensions import db
from cbcw.main.forms import options
from cbcw.organisations.models import Company
from cbcw.tenancy import current_org_id, get_or_404, scoped
from cbcw.windows.forms import WindowForm
from cbcw.windows.models import ScheduleWindow
from cbcw.windows.recurrence import describe

bp = Blueprint("windows", __name__)
bp.add_app_template_filter(describe, "describe_window")


@bp.get("/windows")
@login_required
def list_windows():
    windows = db.session.scalars(scoped(ScheduleWindow).where(ScheduleWindow.active.is_(True))
                                 .options(joinedload(ScheduleWindow.company))
                                 .order_by(ScheduleWindow.kind, ScheduleWindow.name, ScheduleWindow.id))
    return render_template("windows/list.html", windows=list(windows),
                           may_edit=current_user.role in ("admin", "msp"))


@bp.route("/windows/new", methods=["GET", "POST"])
@settings_required
def new_window():
    return _edit(ScheduleWindow(organisation_id=current_org_id(), timezone=current_user.timezone or "UTC"), new=True)


@bp.route("/windows/<int:window_id>/edit", methods=["GET", "POST"])
@settings_required
def edit_window(window_id: int):
    return _edit(_active(window_id), new=False)


@bp.post("/windows/<int:window_id>/remove")
@settings_required
def remove_window(window_id: int):
    window = _active(window_id)
    window.active = False
    db.session.commit()
    flash(f"Removed “{window.name}”.", "success")
    return redirect(url_for("windows.list_windows"))


def _active(window_id: int) -> ScheduleWindow:
    window = get_or_404(ScheduleWindow, window_id)
    if not window.active:
        abort(404)
    return window


def _edit(window: ScheduleWindow, new: bool):
    form = WindowForm()
    form.company_id.choices = options([("", "Whole organisation (blackouts only)"),
                                       *((c.id, c.name) for c in db.session.scalars(
                                           scoped(Company).where(Company.active.is_(True)).order_by(Company.name)))])
    if not form.is_submitted() and not new:
        form.fill(window)
    elif not form.is_submitted():
        form.timezone.data = window.timezone
    if form.validate_on_submit():
        form.apply(window)
        db.session.add(window)
        db.session.commit()
        flash(f"Saved “{window.name}”.", "success")
        return redirect(url_for("windows.list_windows"))
    return render_template("windows/form.html", form=form, window=window, new=new, timezones=timezone_choices())
