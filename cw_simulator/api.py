"""The ConnectWise REST endpoints the client uses, under `/v4_6_release/apis/3.0`."""
from __future__ import annotations

import json
import re
from bisect import bisect_right
from math import ceil
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, request

from cw_simulator.bodies import (READ_ONLY, apply_patch, check_fields, json_body, patch_operations,
                                               resolve)
from cw_simulator.cw_errors import (ApiError, field_error, html_error, invalid, invalid_field,
                                                  not_found)
from cw_simulator.query import (bad_query, parse_conditions, parse_datetime, parse_fields,
                                              parse_order_by, project, sort_records)
from cw_simulator.refs import API_ROOT, reference
from cw_simulator import security
from cw_simulator.security import check_allowed
from cw_simulator.store import API_MEMBER_IDENTIFIER, MODELS, model_fields, now_iso

API_VERSION = "2025.1"
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 1000
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DISPLAY_FLAGS = ("detailDescriptionFlag", "internalAnalysisFlag", "resolutionFlag")
NOTE_NEEDS_DISPLAY = "Please choose where to display the notes in order to save this record."

bp = Blueprint("cw_api", __name__, url_prefix=API_ROOT)


def sim():
    return current_app.extensions["cw_sim"]


def store():
    return sim().store


MAX_URL_CHARS = 2000
UNIMPLEMENTED_PARAMETERS = ("childconditions", "customfieldconditions")


@bp.before_request
def inject_faults_then_authenticate():
    # IIS refuses a long query string before ConnectWise sees it (404.15); ConnectWise asks for
    # URLs under about 2,000 characters (REFERENCE §3.1).
    if len(request.host_url) - 1 + len(request.environ.get("RAW_URI") or request.full_path) > MAX_URL_CHARS:
        raise html_error(404, "HTTP Error 404.15 - Not Found: the query string is too long.")
    if sim().faults.apply(request.method, request.path, request.environ):
        g.connection_reset = True
        return Response(status=500)
    settings = sim().faults.settings
    creds = store().credentials
    auth = request.authorization
    if (auth is None or auth.type != "basic"
            or auth.username != f"{creds['company_id']}+{creds['public_key']}"
            or auth.password != creds["private_key"]):
        if settings.bad_credentials_status == 404:
            raise ApiError(404, "NotFound", "The requested resource was not found.")
        raise ApiError(401, "Unauthorized", "Authentication failed: invalid company, public key or private key.")
    # [UNCERTAIN] CW's answer to a missing/malformed clientId is undocumented (REFERENCE §1); 401 by
    # default (the strictest reading), 403 when the faults say so.
    if not GUID.match(request.headers.get("clientId", "")):
        status = settings.missing_client_id_status
        raise ApiError(status, "Unauthorized" if status == 401 else "Forbidden",
                       "A valid clientId header is required (see developer.connectwise.com/ClientID).")
    check_allowed(sim().denied, request.method, request.path[len(API_ROOT):])
    for name in request.args:
        if name.lower() in UNIMPLEMENTED_PARAMETERS:
            raise ApiError(400, "InvalidObject", f"{name} is not implemented by the simulator; "
                                                 "it refuses rather than ignores it.")


def arg(name: str, default=None):
    """A query parameter by name, case-insensitively, as ConnectWise reads them (`pagesize`)."""
    wanted = name.lower()
    return next((value for key, value in request.args.items(multi=True) if key.lower() == wanted), default)


def json_response(text: str, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(text, status=status, mimetype="application/json", headers=headers or {})
    response.headers["api-current-version"] = API_VERSION
    return response


def record_response(record: dict, status: int = 200) -> Response:
    return json_response(json.dumps(record), status)


# -- generic list / count / get ------------------------------------------------------------

def _page_params():
    values = {}
    for name, default in (("page", 1), ("pageSize", DEFAULT_PAGE_SIZE)):
        raw = arg(name, default)
        try:
            values[name] = int(raw)
        except ValueError:
            values[name] = None
        limit = MAX_PAGE_SIZE if name == "pageSize" else 10**9
        if values[name] is None or not 1 <= values[name] <= limit:
            raise ApiError(400, "InvalidObject", f"{name} object is invalid", [field_error(
                "OutOfRange", f"The field {name} must be between 1 and {limit}.", name, name)])
    return values["page"], values["pageSize"]


def _select(collection: str, scope=None, scope_key=None) -> list:
    model = model_fields(MODELS[collection])
    conditions, order_by = arg("conditions"), arg("orderBy")
    predicate = parse_conditions(conditions, model)
    order_keys = parse_order_by(order_by, model)
    st = store()

    def compute():
        rows = [r for r in st.all(collection) if (scope is None or scope(r)) and (predicate is None or predicate(r))]
        return sort_records(rows, order_keys)

    return st.cached_query((collection, scope_key, conditions, order_by), compute)


def list_records(collection: str, scope=None, scope_key=None) -> Response:
    if request.headers.get("pagination-type", "").lower() == "forward-only":
        return _forward_only_page(collection, scope, scope_key)
    page, size = _page_params()
    st = store()
    with st.lock:
        rows = _select(collection, scope, scope_key)
        body = _page_body(collection, rows[(page - 1) * size:page * size])
    return json_response(body, headers={"Link": _link_header(page, size, len(rows))})


def _forward_only_page(collection: str, scope, scope_key) -> Response:
    """Forward-only paging (REFERENCE §3.4): ordered by id, `pageId` acts as `id > pageId`,
    `orderBy` refused, `page` ignored; a non-empty page links to the next `pageId` (its last id).

    [UNCERTAIN] whether ConnectWise omits the Link on the last page: here a non-empty page
    always carries one, so a client must also stop on a short or empty page.
    """
    if arg("orderBy"):
        raise bad_query("orderBy", "orderBy is not supported with forward-only pagination.")
    _page, size = _page_params()
    try:
        after = int(arg("pageId", 0))
    except ValueError:
        raise bad_query("pageId", "pageId must be an integer.") from None
    st = store()
    with st.lock:
        rows = _select(collection, scope, scope_key)
        start = bisect_right(rows, after, key=lambda r: r["id"])
        chunk = rows[start:start + size]
        body = _page_body(collection, chunk)
    headers = {}
    if chunk:
        others = [(k, v) for k, v in request.args.items(multi=True) if k.lower() not in ("page", "pageid")]
        headers["Link"] = f'<{request.base_url}?{urlencode(others + [("pageId", chunk[-1]["id"])])}>; rel="next"'
    return json_response(body, headers=headers)


def _page_body(collection: str, chunk: list) -> str:
    fields = tuple(parse_fields(arg("fields"), model_fields(MODELS[collection])))
    st = store()
    if fields:
        return "[" + ",".join(st.serialised_fields(collection, r, fields, lambda r: project(r, fields))
                              for r in chunk) + "]"
    return "[" + ",".join(st.serialised(collection, r) for r in chunk) + "]"


def count_records(collection: str) -> Response:
    with store().lock:
        return record_response({"count": len(_select(collection))})


def _link_header(page: int, size: int, total: int) -> str:
    """RFC 5988 navigable links; `prev`/`next` omitted at the ends (REFERENCE §3.4)."""
    last = max(1, ceil(total / size))
    others = [(k, v) for k, v in request.args.items(multi=True) if k.lower() != "page"]

    def url(number):
        return f"{request.base_url}?{urlencode(others + [('page', number)])}"

    rels = [("first", 1)] + ([("prev", page - 1)] if page > 1 else []) + \
           ([("next", page + 1)] if page < last else []) + [("last", last)]
    return ", ".join(f'<{url(n)}>; rel="{rel}"' for rel, n in rels)


def get_or_404(collection: str, record_id: int, label: str) -> dict:
    record = store().get(collection, record_id)
    if record is None:
        raise not_found(label, record_id)
    return record


def one_record(collection: str, record_id: int, label: str) -> Response:
    fields = parse_fields(arg("fields"), model_fields(MODELS[collection]))
    with store().lock:
        record = get_or_404(collection, record_id, label)
        return record_response(project(record, fields) if fields else record)


_LISTS = {  # path -> (collection, label, has /count in schema.json)
    "/company/companies": ("companies", "Company", False),
    "/company/configurations": ("configurations", "Configuration", True),
    "/company/configurations/types": ("configuration_types", "Configuration type", False),
    "/schedule/entries": ("schedule_entries", "Schedule entry", True),
    "/schedule/statuses": ("schedule_statuses", "Schedule status", False),
    "/schedule/types": ("schedule_types", "Schedule type", False),
    "/service/boards": ("boards", "Board", False),
    "/service/tickets": ("tickets", "Ticket", True),
    "/system/members": ("members", "Member", True),
    "/time/entries": ("time_entries", "Time entry", False),
}
_SINGLE = {"/company/companies", "/company/configurations", "/schedule/entries", "/service/boards",
           "/service/tickets", "/system/members", "/time/entries"}


def _register_reads():
    for path, (collection, label, has_count) in _LISTS.items():
        name = collection
        bp.add_url_rule(path, f"list_{name}", lambda c=collection: list_records(c), methods=["GET"])
        if has_count:
            bp.add_url_rule(f"{path}/count", f"count_{name}", lambda c=collection: count_records(c), methods=["GET"])
        if path in _SINGLE:
            bp.add_url_rule(f"{path}/<int:record_id>", f"get_{name}",
                            lambda record_id, c=collection, lb=label: one_record(c, record_id, lb), methods=["GET"])


_register_reads()


@bp.get("/system/info")
def system_info():
    return record_response({"version": "v2025.1.10431", "isCloud": False, "serverTimeZone": "UTC",
                            "licenseBits": [], "cloudRegion": "SIM"})


# -- security roles (REFERENCE §14; security.py) ---------------------------------------------

def _unfiltered_listing(rows: list) -> Response:
    """A small fixed listing; conditions on it are refused rather than ignored."""
    if arg("conditions"):
        raise bad_query("conditions", "conditions are not implemented on this listing by the simulator.")
    fields = [f.strip() for f in (arg("fields") or "").split(",") if f.strip()]
    return json_response(json.dumps([{k: v for k, v in r.items() if not fields or k in fields} for r in rows]))


@bp.get("/system/securityroles")
def security_roles():
    return _unfiltered_listing([{**security.ROLE, "roleType": "Corporate"}])


@bp.get("/system/securityroles/<int:role_id>/settings")
def security_role_settings(role_id):
    if role_id != security.ROLE["id"]:
        raise not_found("Security role", role_id)
    return _unfiltered_listing(security.settings(sim().denied))


@bp.get("/system/apiMembers")
def api_members():
    """API members (licenseClass A) with their security role."""
    with store().lock:
        rows = [{"id": m["id"], "identifier": m["identifier"], "firstName": m["firstName"],
                 "inactiveFlag": m["inactiveFlag"], "securityRole": m.get("securityRole")}
                for m in store().all("members") if m.get("licenseClass") == "A"]
    return _unfiltered_listing(rows)


@bp.get("/service/boards/<int:board_id>/statuses")
def board_statuses(board_id):
    with store().lock:
        get_or_404("boards", board_id, "Board")
    return list_records("statuses", lambda s: s["board"]["id"] == board_id, board_id)


# -- tickets ---------------------------------------------------------------------------------

# The spec: "initialDescription … can only be set on POST and will not be returned" (REFERENCE §6).
POST_ONLY_TICKET_FIELDS = ("initialDescription", "initialInternalAnalysis", "initialResolution")


@bp.patch("/service/tickets/<int:ticket_id>")
def patch_ticket(ticket_id):
    operations = patch_operations("ticket", "Ticket", json_body("ticket"), nested=False)
    for _, path, _ in operations:
        if path in POST_ONLY_TICKET_FIELDS:
            raise invalid_field("ticket", path, f"{path} can only be set when the ticket is created; "
                                "afterwards the description is a note.")
    st = store()
    with st.lock:
        current = get_or_404("tickets", ticket_id, "Ticket")
        # PATCHing `resources` answers 200 but assigns nobody on ConnectWise (REFERENCE §9): mimic it.
        ticket = apply_patch(current, [op for op in operations if op[1] != "resources"])
        ticket["resources"] = current.get("resources", "")
        paths = {path for _, path, _ in operations}
        _resolve_ticket_references(st, ticket, current, paths)
        return record_response(st.save("tickets", ticket))


@bp.delete("/service/tickets/<int:ticket_id>")
def delete_ticket(ticket_id):
    """Delete a ticket with its notes and service schedule entries (tests of a ticket deleted in CW)."""
    st = store()
    with st.lock:
        get_or_404("tickets", ticket_id, "Ticket")
        for note in [n for n in st.all("notes") if n["ticketId"] == ticket_id]:
            st.delete("notes", note["id"])
        for entry in [e for e in st.all("schedule_entries")
                      if e["type"]["identifier"] == "S" and e.get("objectId") == ticket_id]:
            st.delete("schedule_entries", entry["id"])
        st.delete("tickets", ticket_id)
    return Response(status=204, headers={"api-current-version": API_VERSION})


def _resolve_ticket_references(st, ticket, current, paths):
    if "company" in paths:
        ticket["company"] = reference("companies", resolve(st, "companies", ticket.get("company"), "ticket", "company", "Company"))
    if "owner" in paths and ticket.get("owner") is not None:
        ticket["owner"] = reference("members", resolve(st, "members", ticket["owner"], "ticket", "owner", "Member"))
    if "board" in paths:
        board = resolve(st, "boards", ticket.get("board"), "ticket", "board", "Board")
        ticket["board"] = reference("boards", board)
    board_id = ticket["board"]["id"]
    board_statuses_ = [s for s in st.all("statuses") if s["board"]["id"] == board_id and not s["inactive"]]
    if "status" in paths:
        status = resolve(st, "statuses", ticket.get("status"), "ticket", "status",
                         f"Status on board {ticket['board']['name']}:", board_statuses_)
    elif board_id != current["board"]["id"]:
        status = next(s for s in board_statuses_ if s["defaultFlag"])
    else:
        return
    ticket["status"] = reference("statuses", status)
    ticket["closedFlag"] = status["closedStatus"]
    if status["closedStatus"] and not current.get("closedFlag"):
        ticket["closedDate"], ticket["closedBy"] = now_iso(), API_MEMBER_IDENTIFIER
    elif not status["closedStatus"]:
        ticket.pop("closedDate", None)
        ticket.pop("closedBy", None)


# -- configurations --------------------------------------------------------------------------

@bp.post("/company/configurations")
def create_configuration():
    body = check_fields("configuration", "CompanyConfiguration", json_body("configuration"), creating=True)
    st = store()
    with st.lock:
        configuration = {"activeFlag": True, **{k: v for k, v in body.items() if k not in READ_ONLY}}
        _resolve_configuration_references(st, configuration, {"type", "company"})
        return record_response(st.insert("configurations", configuration), 201)


@bp.patch("/company/configurations/<int:configuration_id>")
def patch_configuration(configuration_id):
    operations = patch_operations("configuration", "CompanyConfiguration", json_body("configuration"))
    st = store()
    with st.lock:
        configuration = apply_patch(get_or_404("configurations", configuration_id, "Configuration"), operations)
        _resolve_configuration_references(st, configuration, {path for _, path, _ in operations})
        return record_response(st.save("configurations", configuration))


def _resolve_configuration_references(st, configuration, paths):
    if "type" in paths:
        configuration["type"] = reference("configuration_types", resolve(
            st, "configuration_types", configuration.get("type"), "configuration", "type", "Configuration type"))
    if "company" in paths:
        configuration["company"] = reference("companies", resolve(
            st, "companies", configuration.get("company"), "configuration", "company", "Company"))


@bp.delete("/company/configurations/<int:configuration_id>")
def delete_configuration(configuration_id):
    st = store()
    with st.lock:
        get_or_404("configurations", configuration_id, "Configuration")
        st.delete("configurations", configuration_id)
    return Response(status=204, headers={"api-current-version": API_VERSION})


# -- notes -----------------------------------------------------------------------------------

@bp.get("/service/tickets/<int:ticket_id>/notes")
def list_notes(ticket_id):
    with store().lock:
        get_or_404("tickets", ticket_id, "Ticket")
    return list_records("notes", lambda n: n["ticketId"] == ticket_id, ticket_id)


@bp.get("/service/tickets/<int:ticket_id>/notes/<int:note_id>")
def get_note(ticket_id, note_id):
    with store().lock:
        return record_response(_note_of(ticket_id, note_id))


def _note_of(ticket_id, note_id):
    get_or_404("tickets", ticket_id, "Ticket")
    note = store().get("notes", note_id)
    if note is None or note["ticketId"] != ticket_id:
        raise not_found("Note", note_id)
    return note


@bp.post("/service/tickets/<int:ticket_id>/notes")
def create_note(ticket_id):
    body = check_fields("serviceNote", "ServiceNote", json_body("serviceNote"), creating=True)
    st = store()
    with st.lock:
        ticket = get_or_404("tickets", ticket_id, "Ticket")
        note = {"ticketId": ticket_id, "text": "", "detailDescriptionFlag": False, "internalAnalysisFlag": False,
                "resolutionFlag": False, "issueFlag": False, "processNotifications": True,
                **{k: v for k, v in body.items() if k not in ("id", "_info", "ticketId")}}
        member = resolve(st, "members", note["member"], "serviceNote", "member", "Member") \
            if note.get("member") else _api_member(st)
        note.update(member=reference("members", member), createdBy=member["identifier"], dateCreated=now_iso())
        _check_note(note)
        created = st.insert("notes", note)
        st.save("tickets", dict(ticket))
        return record_response(created, 201)


@bp.patch("/service/tickets/<int:ticket_id>/notes/<int:note_id>")
def patch_note(ticket_id, note_id):
    operations = patch_operations("serviceNote", "ServiceNote", json_body("serviceNote"))
    st = store()
    with st.lock:
        note = apply_patch(_note_of(ticket_id, note_id), operations)
        if any(path == "member" for _, path, _ in operations) and note.get("member"):
            note["member"] = reference("members", resolve(st, "members", note["member"], "serviceNote", "member", "Member"))
        note["ticketId"] = ticket_id
        _check_note(note)
        return record_response(st.save("notes", note))


def _check_note(note):
    if not any(note.get(flag) for flag in DISPLAY_FLAGS):
        raise invalid("serviceNote", field_error("InvalidObject", NOTE_NEEDS_DISPLAY, "serviceNote", "detailDescriptionFlag"))
    if not (note.get("text") or "").strip():
        raise invalid_field("serviceNote", "text", "The text field is required.", code="NullValue")


def _api_member(st):
    return next(m for m in st.all("members") if m["identifier"] == API_MEMBER_IDENTIFIER)


# -- schedule entries ------------------------------------------------------------------------

@bp.post("/schedule/entries")
def create_schedule_entry():
    body = check_fields("scheduleEntry", "ScheduleEntry", json_body("scheduleEntry"), creating=True)
    st = store()
    with st.lock:
        entry = {"doneFlag": False, "acknowledgedFlag": False, "ownerFlag": False, "meetingFlag": False,
                 "allowScheduleConflictsFlag": False, **{k: v for k, v in body.items() if k not in ("id", "_info")}}
        entry = _resolve_schedule_entry(st, entry, set(entry))
        created = st.insert("schedule_entries", entry)
        _refresh_resources(st, created)
        return record_response(created, 201)


@bp.patch("/schedule/entries/<int:entry_id>")
def patch_schedule_entry(entry_id):
    operations = patch_operations("scheduleEntry", "ScheduleEntry", json_body("scheduleEntry"))
    st = store()
    with st.lock:
        current = get_or_404("schedule_entries", entry_id, "Schedule entry")
        entry = apply_patch(current, operations)
        if entry.get("type") is None:
            raise invalid_field("scheduleEntry", "type", "The type field is required.", code="NullValue")
        entry = _resolve_schedule_entry(st, entry, {path for _, path, _ in operations})
        saved = st.save("schedule_entries", entry)
        _refresh_resources(st, current)
        _refresh_resources(st, saved)
        return record_response(saved)


@bp.delete("/schedule/entries/<int:entry_id>")
def delete_schedule_entry(entry_id):
    st = store()
    with st.lock:
        entry = get_or_404("schedule_entries", entry_id, "Schedule entry")
        st.delete("schedule_entries", entry_id)
        _refresh_resources(st, entry)
    return Response(status=204, headers={"api-current-version": API_VERSION})


def _resolve_schedule_entry(st, entry, paths):
    """Turn references into full ones and check the object the entry schedules exists."""
    if "type" in paths:
        entry["type"] = reference("schedule_types", resolve(st, "schedule_types", entry["type"], "scheduleEntry", "type", "Schedule type"))
    if "member" in paths or entry.get("member") is None:
        if entry.get("member") is None:
            raise invalid_field("scheduleEntry", "member", "The member field is required.", code="NullValue")
        entry["member"] = reference("members", resolve(st, "members", entry["member"], "scheduleEntry", "member", "Member"))
    if "status" in paths or entry.get("status") is None:
        status = resolve(st, "schedule_statuses", entry["status"], "scheduleEntry", "status", "Schedule status") \
            if entry.get("status") else next(s for s in st.all("schedule_statuses") if s["defaultFlag"])
        entry["status"] = reference("schedule_statuses", status)
    if entry["type"]["identifier"] == "S":
        ticket = st.get("tickets", entry.get("objectId"))
        if ticket is None:
            raise invalid_field("scheduleEntry", "objectId", f"Ticket {entry.get('objectId')} not found", code="NotFound")
        entry.setdefault("name", f"{ticket['company']['name']} / {ticket['summary']}")
    else:  # no activities, projects or meetings exist here: CW answers like this for a wrong type
        raise invalid_field("scheduleEntry", "objectId", f"Activity {entry.get('objectId')} not found", code="NotFound")
    if entry.get("dateStart") and entry.get("dateEnd") and \
            parse_datetime(entry["dateEnd"]) < parse_datetime(entry["dateStart"]):
        raise invalid_field("scheduleEntry", "dateEnd", "The end date must be after the start date.")
    return entry


def _refresh_resources(st, entry):
    """Ticket.resources = member identifiers of the ticket's type-S entries, comma-separated
    (format [INFERRED], REFERENCE §9)."""
    ticket = st.get("tickets", entry.get("objectId"))
    if ticket is None or entry["type"]["identifier"] != "S":
        return
    identifiers = []
    for other in st.all("schedule_entries"):
        if other["type"]["identifier"] == "S" and other.get("objectId") == ticket["id"]:
            if other["member"]["identifier"] not in identifiers:
                identifiers.append(other["member"]["identifier"])
    resources = ", ".join(identifiers)
    if resources != ticket.get("resources"):
        st.save("tickets", {**ticket, "resources": resources})


# -- time entries ----------------------------------------------------------------------------

@bp.post("/time/entries")
def create_time_entry():
    body = check_fields("timeEntry", "TimeEntry", json_body("timeEntry"), creating=True)
    st = store()
    with st.lock:
        entry = {"billableOption": "Billable", "status": "Open", **{k: v for k, v in body.items() if k not in ("id", "_info")}}
        if entry.get("chargeToId") is not None:
            entry.setdefault("chargeToType", "ServiceTicket")
            if entry["chargeToType"] != "ServiceTicket":
                raise invalid_field("timeEntry", "chargeToType", "Only ServiceTicket time is simulated.")
            ticket = st.get("tickets", entry["chargeToId"])
            if ticket is None:
                raise invalid_field("timeEntry", "chargeToId", f"Ticket {entry['chargeToId']} not found", code="NotFound")
            status = st.get("statuses", ticket["status"]["id"])
            if status and status["timeEntryNotAllowed"]:
                raise invalid_field("timeEntry", "chargeToId", f"Time entries are not allowed on ticket {ticket['id']} "
                                    f"while its status is {status['name']}.", code="TimeEntryNotAllowed")
            entry["ticket"] = reference("tickets", ticket)
            entry["company"] = ticket["company"]
        member = resolve(st, "members", entry["member"], "timeEntry", "member", "Member") \
            if entry.get("member") else _api_member(st)
        if member.get("inactiveFlag"):
            raise invalid_field("timeEntry", "member", f"Member {member['identifier']} is inactive.", code="InvalidMember")
        entry["member"] = reference("members", member)
        if entry.get("timeEnd"):
            hours = (parse_datetime(entry["timeEnd"]) - parse_datetime(entry["timeStart"])).total_seconds() / 3600
            if hours < 0:
                raise invalid_field("timeEntry", "timeEnd", "The end time must be after the start time.")
            entry["actualHours"] = round(hours - (entry.get("hoursDeduct") or 0), 2)
        entry["dateEntered"], entry["enteredBy"] = now_iso(), API_MEMBER_IDENTIFIER
        return record_response(st.insert("time_entries", entry), 201)
