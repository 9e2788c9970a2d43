"""Device pages (PRODUCT §2.4): list, detail with its changes, the device change report (HTML
and CSV) and the `@` autocomplete the change form asks for. Every query is tenancy-scoped."""
from flask import Blueprint, Response, current_app, render_template, request, stream_with_context
from flask_login import login_required

from cbcw.changes.forms import options
from cbcw.devices import queries, report
from cbcw.devices.forms import DeviceFilterForm, ReportFilterForm, bounded_id
from cbcw.devices.models import Device
from cbcw.extensions import db
from cbcw.main.partials import render_partial_or_page
from cbcw.main.templating import user_zone
from cbcw.tenancy import get_or_404

bp = Blueprint("devices", __name__)
MAX_PAGE = 10_000


def _page() -> int:
    """The `page` argument, kept within what a list can have (hostile values never reach SQL)."""
    return min(max(request.args.get("page", 1, type=int) or 1, 1), MAX_PAGE)


def _with_company_and_type_choices(form):
    """The organisation's companies and device types as the form's filter options."""
    form.company.choices = options([("", "Any company"), *((c.id, c.name) for c in queries.companies())])
    form.type.choices = options([("", "Any type"), *((t.id, t.name) for t in queries.device_types())])
    return form


def _filters(*names) -> dict:
    return {name: request.args[name] for name in names if request.args.get(name)}


@bp.get("/devices")
@login_required
def list_devices():
    form = _with_company_and_type_choices(DeviceFilterForm(formdata=request.args))
    form.validate()
    stmt = queries.filtered_devices(form.q.data or "", form.company.data, form.type.data, form.active.data or "")
    pagination = db.paginate(stmt, page=_page(), per_page=current_app.config["DEVICES_PER_PAGE"], error_out=False)
    return render_partial_or_page("devices/_results.html", "devices/list.html", form=form, pagination=pagination,
                                  filters=_filters("q", "company", "type", "active"))


@bp.get("/devices/<int:device_id>")
@login_required
def detail(device_id: int):
    device = get_or_404(Device, device_id)
    return render_template("devices/detail.html", device=device, changes=queries.device_changes(device))


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


@bp.get("/reports/device-changes")
@login_required
def device_changes_report():
    form = _with_company_and_type_choices(ReportFilterForm(formdata=request.args))
    form.device.choices = options([("", "Any device"), *((d.id, d.hostname) for d in queries.referenced_devices())])
    valid = form.validate()
    try:
        start, end = queries.local_day_bounds(form.date_from.data, form.date_to.data, user_zone())
    except OverflowError:
        form.date_to.errors = [*form.date_to.errors, "Pick dates between the years 2 and 9998."]
        valid, start, end = False, None, None
    stmt = queries.report_rows(form.company.data, form.device.data, form.type.data, start, end) if valid else None
    if request.args.get("format") == "csv" and stmt is not None:
        return Response(stream_with_context(_csv(stmt)), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="device-changes.csv"'})
    pagination = db.paginate(stmt, page=_page(), per_page=current_app.config["DEVICES_PER_PAGE"],
                             error_out=False) if stmt is not None else None
    filters = _filters("company", "device", "type", "date_from", "date_to")
    return render_template("devices/report.html", form=form, pagination=pagination, filters=filters,
                           row_cells=report.row_cells)


def _csv(stmt):
    """The report streamed in batches; the cursor is closed even when the download is cut short."""
    links = db.session.scalars(stmt.execution_options(yield_per=500))
    try:
        yield from report.csv_lines(links)
    finally:
        links.close()
