"""Device pages (PRODUCT §2.4): the list, a device's page and the `@` autocomplete the change form
asks for. Every query is tenancy-scoped. A device's changes and the device change report are
change views (`cbcw/changes/device_routes.py`): this package is below the changes and never
imports them."""
from flask import Blueprint, Response, current_app, render_template, request
from flask_login import login_required

from cbcw.devices import queries
from cbcw.devices.forms import DeviceFilterForm, bounded_id, chosen_filters, page_argument, with_company_and_type_choices
from cbcw.devices.models import Device
from cbcw.extensions import db
from cbcw.main.partials import render_partial_or_page
from cbcw.tenancy import get_or_404

bp = Blueprint("devices", __name__)


@bp.get("/devices")
@login_required
def list_devices():
    form = with_company_and_type_choices(DeviceFilterForm(formdata=request.args))
    form.validate()
    stmt = queries.filtered_devices(form.q.data or "", form.company.data, form.type.data, form.active.data or "")
    pagination = db.paginate(stmt, page=page_argument(), per_page=current_app.config["DEVICES_PER_PAGE"],
                             error_out=False)
    return render_partial_or_page("devices/_results.html", "devices/list.html", form=form, pagination=pagination,
                                  filters=chosen_filters("q", "company", "type", "active"))


@bp.get("/devices/<int:device_id>")
@login_required
def detail(device_id: int):
    """The device's attributes; its changes come from the `changes_of_device` template global."""
    return render_template("devices/detail.html", device=get_or_404(Device, device_id))


@bp.get("/devices/mentions")
@login_required
def mention_suggestions():
    """`@` autocomplete: active devices whose hostname starts with `q`, the change's company first."""
    prefix = request.args.get("q", "")[:120]
    company_id = bounded_id(request.args.get("company_id"))
    devices = queries.mention_suggestions(prefix, company_id)
    response = Response(render_template("devices/_mention_options.html", devices=devices, company_id=company_id))
    response.vary.add("HX-Request")
    return response
