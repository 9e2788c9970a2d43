"""Changes by device (PRODUCT §2.4): the device change report (HTML and streamed CSV) and the
`changes_of_device` template global that lists a device's changes on its page.

Change views, so they live with the changes: the devices package is below the changes and never
imports them. Its own blueprint keeps the report under the Devices tab.
"""
from flask import Blueprint, Response, current_app, render_template, request, stream_with_context
from flask_login import login_required

from cbcw.changes import by_device, device_report
from cbcw.devices.forms import ReportFilterForm, chosen_filters, page_argument, with_company_and_type_choices
from cbcw.extensions import db
from cbcw.main.forms import options
from cbcw.main.templating import user_zone

bp = Blueprint("device_changes", __name__)
bp.add_app_template_global(by_device.device_changes, "changes_of_device")


@bp.get("/reports/device-changes")
@login_required
def report():
    form = with_company_and_type_choices(ReportFilterForm(formdata=request.args))
    form.device.choices = options([("", "Any device"), *((d.id, d.hostname) for d in by_device.referenced_devices())])
    valid = form.validate()
    try:
        start, end = by_device.local_day_bounds(form.date_from.data, form.date_to.data, user_zone())
    except OverflowError:
        form.date_to.errors = [*form.date_to.errors, "Pick dates between the years 2 and 9998."]
        valid, start, end = False, None, None
    stmt = by_device.report_rows(form.company.data, form.device.data, form.type.data, start, end) if valid else None
    if request.args.get("format") == "csv" and stmt is not None:
        return Response(stream_with_context(_csv(stmt)), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="device-changes.csv"'})
    pagination = db.paginate(stmt, page=page_argument(), per_page=current_app.config["DEVICES_PER_PAGE"],
                             error_out=False) if stmt is not None else None
    filters = chosen_filters("company", "device", "type", "date_from", "date_to")
    return render_template("devices/report.html", form=form, pagination=pagination, filters=filters,
                           row_cells=device_report.row_cells)


def _csv(stmt):
    """The report streamed in batches; the cursor is closed even when the download is cut short."""
    links = db.session.scalars(stmt.execution_options(yield_per=500))
    try:
        yield from device_report.csv_lines(links)
    finally:
        links.close()
