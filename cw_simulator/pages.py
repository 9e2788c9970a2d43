"""Browser pages at ConnectWise's deep-link paths (REFERENCE §11.2) so the product's links open."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template_string, request


# ConnectWise's classic ticket screen (REFERENCE §11.2), where the product's ticket links point.
TICKET_PATH = "/v4_6_release/services/system_io/Service/fv_sr100_request.rails"

bp = Blueprint("cw_sim_pages", __name__)

_LAYOUT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }} · CW simulator</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2733;background:#f4f6f8}
.banner{background:#8a2be2;color:#fff;padding:.6em 1em;font-weight:600}
main{max-width:1000px;margin:1em auto;background:#fff;padding:1em 1.5em;border-radius:6px}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}th,td{border-bottom:1px solid #dde3ea;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#eef2f6}.tag{display:inline-block;background:#e3ecf7;border-radius:3px;padding:0 .4em;margin-right:.2em;font-size:12px}
dl{display:grid;grid-template-columns:10em 1fr;gap:.2em 1em}dt{font-weight:600}
</style></head><body><div class="banner">ChangeBreeze ConnectWise simulator — not a real ConnectWise PSA</div>
<main>{{ content|safe }}</main></body></html>"""

_INDEX = """<h1>Service tickets</h1><table><tr><th>#</th><th>Summary</th><th>Company</th><th>Board</th><th>Status</th></tr>
{% for t in tickets %}<tr><td><a href="{{ link(t.id) }}">{{ t.id }}</a></td><td>{{ t.summary }}</td>
<td>{{ t.company.name }}</td><td>{{ t.board.name }}</td><td>{{ t.status.name }}{% if t.closedFlag %} (closed){% endif %}</td></tr>{% endfor %}
</table>"""

_TICKET = """<h1>Ticket #{{ t.id }}: {{ t.summary }}</h1>
<dl><dt>Company</dt><dd>{{ t.company.name }} ({{ t.company.identifier }})</dd><dt>Board</dt><dd>{{ t.board.name }}</dd>
<dt>Status</dt><dd>{{ t.status.name }}{% if t.closedFlag %} (closed){% endif %}</dd>
<dt>Resources</dt><dd>{% for e in entries %}<span class="tag">{{ e.member.identifier }}{% if not e.dateStart %} (unscheduled){% endif %}</span>{% else %}—{% endfor %}</dd>
<dt>Last updated</dt><dd>{{ t._info.lastUpdated }}</dd></dl>
<h2>Detail description</h2><div class="description" style="white-space:pre-wrap">{{ description.text if description else "—" }}</div>
<h2>Notes</h2><table><tr><th>When</th><th>By</th><th>Flags</th><th>Text</th></tr>
{% for n in notes %}<tr><td>{{ n.dateCreated }}</td><td>{{ n.createdBy }}</td><td>
{% if n.detailDescriptionFlag %}<span class="tag">Discussion</span>{% endif %}{% if n.internalAnalysisFlag %}<span class="tag">Internal</span>{% endif %}
{% if n.resolutionFlag %}<span class="tag">Resolution</span>{% endif %}{% if not n.processNotifications %}<span class="tag">silent</span>{% endif %}</td>
<td style="white-space:pre-wrap">{{ n.text }}</td></tr>{% else %}<tr><td colspan="4">No notes.</td></tr>{% endfor %}</table>
<h2>Schedule entries</h2><table><tr><th>#</th><th>Member</th><th>Start</th><th>End</th><th>Status</th><th>Name</th></tr>
{% for e in entries %}<tr><td>{{ e.id }}</td><td>{{ e.member.identifier }}</td><td>{{ e.dateStart or "unscheduled" }}</td>
<td>{{ e.dateEnd or "" }}</td><td>{{ e.status.name }}</td><td>{{ e.name }}</td></tr>{% else %}<tr><td colspan="6">None.</td></tr>{% endfor %}</table>
<h2>Time entries</h2><table><tr><th>#</th><th>Member</th><th>Start</th><th>End</th><th>Hours</th><th>Notes</th></tr>
{% for e in times %}<tr><td>{{ e.id }}</td><td>{{ e.member.identifier }}</td><td>{{ e.timeStart }}</td><td>{{ e.timeEnd or "" }}</td>
<td>{{ e.actualHours or "" }}</td><td>{{ e.notes }}</td></tr>{% else %}<tr><td colspan="6">None.</td></tr>{% endfor %}</table>
<p><a href="/">All tickets</a></p>"""


_CONFIGURATION = """<h1>Configuration {{ c.name }}</h1>
<dl><dt>Company</dt><dd>{{ c.company.name }} ({{ c.company.identifier }})</dd><dt>Type</dt><dd>{{ c.type.name }}</dd>
<dt>Status</dt><dd>{{ c.status.name }}</dd><dt>Serial number</dt><dd>{{ c.serialNumber }}</dd>
<dt>IP address</dt><dd>{{ c.ipAddress }}</dd><dt>Last updated</dt><dd>{{ c._info.lastUpdated }}</dd></dl>
<p><a href="/">All tickets</a></p>"""


def _page(title, template, **context):
    content = render_template_string(template, **context)
    return render_template_string(_LAYOUT, title=title, content=content)


def _link(ticket_id):
    company = current_app.extensions["cw_sim"].store.credentials["company_id"]
    return f"{TICKET_PATH}?service_recid={ticket_id}&companyName={company}"


@bp.get("/")
def index():
    st = current_app.extensions["cw_sim"].store
    with st.lock:
        tickets = sorted(st.all("tickets"), key=lambda t: t["id"])
        return _page("Tickets", _INDEX, tickets=tickets, link=_link)


@bp.get(TICKET_PATH)
def ticket_classic():
    return _ticket_page(request.args.get("service_recid", type=int))


@bp.get("/v4_6_release/ConnectWise.aspx")
def ticket_spa_route():
    if request.args.get("routeTo") != "ServiceFV":
        abort(404)
    return _ticket_page(request.args.get("recid", type=int))


@bp.get("/v4_6_release/services/system_io/router/openrecord.rails")
def record_router():
    """The open-record router: a ticket (`ServiceFV`) or a configuration (`ConfigFv`)."""
    pages = {"servicefv": _ticket_page, "configfv": _configuration_page}
    page = pages.get((request.args.get("recordType") or "").lower())
    if page is None:
        abort(404)
    return page(request.args.get("recid", type=int))


def _record_or_404(st, collection, record_id):
    record = st.get(collection, record_id)
    if record is None:
        abort(404)
    return record


def _configuration_page(configuration_id):
    st = current_app.extensions["cw_sim"].store
    with st.lock:
        configuration = _record_or_404(st, "configurations", configuration_id)
        return _page(f"Configuration {configuration['name']}", _CONFIGURATION, c=configuration)


def _ticket_page(ticket_id):
    st = current_app.extensions["cw_sim"].store
    with st.lock:
        ticket = _record_or_404(st, "tickets", ticket_id)
        by_id = lambda rows: sorted(rows, key=lambda r: r["id"])  # noqa: E731
        notes = by_id(n for n in st.all("notes") if n["ticketId"] == ticket_id)
        return _page(f"Ticket #{ticket_id}", _TICKET, t=ticket, notes=notes,
                     description=next((n for n in notes if n.get("detailDescriptionFlag")), None),
                     entries=by_id(e for e in st.all("schedule_entries")
                                   if e["type"]["identifier"] == "S" and e.get("objectId") == ticket_id),
                     times=by_id(e for e in st.all("time_entries") if e.get("chargeToId") == ticket_id))


@bp.get("/login/companyinfo/<company_id>")
def company_info(company_id: str):
    """Codebase discovery, no auth (REFERENCE §1): the site's details, or a JSON `null` body for an
    unknown company (what ConnectWise answers), which Test Connection uses to tell a wrong company ID
    from wrong keys."""
    credentials = current_app.extensions["cw_sim"].seed_data["credentials"]
    if company_id.lower() != credentials["company_id"].lower():
        return current_app.response_class("null", mimetype="application/json")
    return {"CompanyName": "ChangeBreeze Demo MSP", "Codebase": "v4_6_release/", "VersionCode": "v2025.1",
            "VersionNumber": "v4.6.10431", "CompanyID": credentials["company_id"], "IsCloud": False}
