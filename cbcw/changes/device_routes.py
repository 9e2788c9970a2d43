"""Changes by device (PRODUCT §2.4): the device change report (HTML and streamed CSV) and the
`changes_of_device` template global that lists a device's changes on its page.

Change views, so they live with the changes: the devices package is below the changes and never
imports them. Its own blueprint keeps the report under the Devices tab.
"""
from functools import partial

from flask import Blueprint, current_app, render_template, request
from flask_login import login_required

from cbcw.changes import by_device, device_report
from cbcw.devices.forms import ReportFilterForm, chosen_filters, page_argument, with_company_and_type_choices
from cbcw.main.csv_download import csv_download, zoned_header
from cbcw.main.templating import user_zone

bp = Blueprint("device_changes", __name__)
bp.add_app_template_global(by_device.device_changes, "changes_of_device")


@bp.get("/reports/device-changes")
@login_required
def report():
    form = with_company_and_type_choices(ReportFilterForm(formdata=request.args))
    valid = form.validate()
    zone = user_zone()
    try:
        start, end = by_device.local_day_bounds(form.date_from.data, form.date_to.data, zone)
    except OverflowError:
        form.date_to.errors = [*form.date_to.errors, "Pick dates between the years 2 and 9998."]
        valid, start, end = False, None, None
    stmt = by_device.report_rows(form.company.data, form.device.data or "", form.type.data, start, end,
                                  exact=form.exact.data) if valid else None
    if request.args.get("format") == "csv" and stmt is not None:
        return csv_download("device-changes.csv", zoned_header(device_report.HEADER, device_report.TIMED, zone), stmt,
                            partial(device_report.row_cells, zone=zone))
    page = by_device.report_page(stmt, page_argument(), current_app.config["DEVICES_PER_PAGE"]) if stmt is not None else None
    filters = chosen_filters("company", "device", "exact", "type", "date_from", "date_to")
    return render_template("devices/report.html", form=form, pagination=page, filters=filters,
                           row_cells=partial(device_report.row_cells, zone=zone))
