"""The simulator refuses what ConnectWise refuses, with CW's error body shape."""
import pytest
import requests

NOTE = {"text": "x", "internalAnalysisFlag": True}


def assert_cw_error(response, status, field=None):
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "errors"}
    if field:
        assert any(e["field"] == field and {"code", "message", "resource", "field"} <= set(e) for e in body["errors"])
    return body


@pytest.mark.parametrize("auth", [None, ("demo+demopublickey", "wrong"), ("other+demopublickey", "demoprivatekey")])
def test_requests_without_valid_basic_auth_get_401(cw_sim, auth):
    """Missing or wrong credentials are 401 in CW's shape."""
    assert_cw_error(cw_sim.raw("GET", "/system/info", auth=auth), 401)


@pytest.mark.parametrize("client_id", [None, "not-a-guid", ""])
def test_missing_or_malformed_client_id_gets_401(cw_sim, client_id):
    """clientId must be present and a GUID."""
    assert_cw_error(cw_sim.raw("GET", "/system/info", client_id=client_id), 401)


def test_responses_carry_api_version_and_json_type(cw_sim):
    """Every API answer has api-current-version and Content-Type application/json."""
    response = cw_sim.raw("GET", "/service/boards")
    assert response.headers["api-current-version"] == "2025.1"
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("conditions", ['summary = "unterminated', "summary ==== 1", "(closedFlag = false",
                                        'nosuchfield = 1', "summary not = 1", "closedFlag = false AND"])
def test_unparseable_or_unknown_conditions_are_400(cw_sim, conditions):
    """Conditions the parser cannot read, or on unknown fields, are refused."""
    assert_cw_error(cw_sim.raw("GET", "/service/tickets", params={"conditions": conditions}), 400)


def test_condition_operators_and_case_insensitive_keywords(cw_sim):
    """not contains, like wildcards, <=, null and lower-case and/or are understood."""
    def ids(conditions):
        return [t["id"] for t in cw_sim.raw("GET", "/service/tickets", params={"conditions": conditions,
                                                                              "pageSize": 1000}).json()]
    assert ids('id <= 5002 and summary like "replace*"') == [5001]
    assert 5001 not in ids('summary not contains "core switch" or id = null')
    assert ids("id in (5001, 5003) AND parentTicketId = null") == [5001, 5003]
    assert ids('summary like "*(50% + more)*"') == ids('summary contains "(50% + more)*"') != []


@pytest.mark.parametrize("page_size", ["1001", "0", "abc"])
def test_page_size_out_of_range_is_400(cw_sim, page_size):
    """pageSize must be 1..1000 (REFERENCE §3.4 shape)."""
    body = assert_cw_error(cw_sim.raw("GET", "/service/tickets", params={"pageSize": page_size}), 400, "pageSize")
    assert body["code"] == "InvalidObject" and body["errors"][0]["code"] == "OutOfRange"


def test_link_header_navigates_and_omits_next_on_last_page(cw_sim):
    """first/prev/next/last with conditions kept; the last page has no next."""
    params = {"conditions": "closedFlag = false", "pageSize": 20}
    links = cw_sim.raw("GET", "/service/tickets", params=params).links
    assert set(links) == {"first", "next", "last"} and "conditions=closedFlag" in links["next"]["url"]
    last = cw_sim.raw("GET", "/service/tickets", params={**params, "page": 3}).links
    assert set(last) == {"first", "prev", "last"}


def test_unknown_order_by_and_fields_are_refused(cw_sim):
    """orderBy/fields on a field the model lacks are 400, not silently ignored."""
    assert_cw_error(cw_sim.raw("GET", "/service/tickets", params={"orderBy": "nosuch desc"}), 400)
    assert_cw_error(cw_sim.raw("GET", "/service/tickets", params={"fields": "id,nosuch"}), 400)


def test_fields_projects_nested_paths(cw_sim):
    """fields=id,board/name returns only those keys."""
    ticket = cw_sim.raw("GET", "/service/tickets/5001", params={"fields": "id,board/name"}).json()
    assert ticket == {"id": 5001, "board": {"name": "Service Board"}}


def test_note_without_display_flag_is_refused(cw_sim):
    """A note with no display flag gets CW's real message."""
    body = assert_cw_error(cw_sim.raw("POST", "/service/tickets/5001/notes", json={"text": "x"}), 400)
    assert body["message"] == "serviceNote object is invalid"
    assert body["errors"][0]["message"] == "Please choose where to display the notes in order to save this record."


def test_unknown_body_field_is_refused_and_named(cw_sim):
    """A body field not in the model is 400 naming the field."""
    response = cw_sim.raw("POST", "/service/tickets/5001/notes", json={**NOTE, "internalFlagg": True})
    assert_cw_error(response, 400, "internalFlagg")


@pytest.mark.parametrize("body, field", [
    ({"op": "replace", "path": "summary", "value": "x"}, "patch"),
    ([{"op": "move", "path": "summary", "value": "x"}], "op"),
    ([{"op": "replace", "path": "Summary", "value": "x"}], "Summary"),
    ([{"op": "replace", "path": "company/identifier", "value": "x"}], "company/identifier"),
    ([{"op": "replace", "path": "status", "value": {"id": 202}}], "status"),
    ([{"op": "replace", "path": "summary", "value": 5}], "summary"),
])
def test_bad_ticket_patches_are_refused(cw_sim, body, field):
    """Non-array body, bad op, unknown/case-wrong/nested path, foreign status or bad type are 400."""
    assert_cw_error(cw_sim.raw("PATCH", "/service/tickets/5001", json=body), 400, field)


def test_patching_resources_is_accepted_but_assigns_nobody(cw_sim):
    """Like ConnectWise, PATCH resources answers 200 and changes nothing."""
    response = cw_sim.raw("PATCH", "/service/tickets/5001", json=[{"op": "replace", "path": "resources", "value": "x"}])
    assert response.status_code == 200 and response.json()["resources"] == ""


def test_schedule_entry_needs_type_and_existing_ticket(cw_sim):
    """No type is 400; an unknown ticket objectId is 400 NotFound."""
    entry = {"objectId": 5001, "member": {"identifier": "eengineer"}}
    assert_cw_error(cw_sim.raw("POST", "/schedule/entries", json=entry), 400, "type")
    body = assert_cw_error(cw_sim.raw("POST", "/schedule/entries", json={**entry, "objectId": 1, "type": {"id": 4}}),
                           400, "objectId")
    assert body["errors"][0]["code"] == "NotFound"


def test_schedule_entry_rejects_bracketed_dates(cw_sim):
    """Brackets are for conditions only; a bracketed body date is 400."""
    entry = {"objectId": 5001, "member": {"id": 153}, "type": {"identifier": "S"}, "dateStart": "[2025-03-01T14:00:00Z]"}
    assert_cw_error(cw_sim.raw("POST", "/schedule/entries", json=entry), 400, "dateStart")


def test_time_entry_on_missing_ticket_is_not_found_invalid_object(cw_sim):
    """chargeToId of an unknown ticket is InvalidObject with a NotFound error."""
    body = assert_cw_error(cw_sim.raw("POST", "/time/entries", json={"chargeToId": 1, "timeStart": "2025-03-01T14:00:00Z"}),
                           400, "chargeToId")
    assert body["code"] == "InvalidObject" and body["errors"][0]["code"] == "NotFound"


def test_unknown_record_and_path_are_404_in_cw_shape(cw_sim):
    """Missing records and paths answer CW-shaped 404s."""
    assert_cw_error(cw_sim.raw("GET", "/service/tickets/1"), 404)
    assert_cw_error(cw_sim.raw("GET", "/service/nothing"), 404)


def test_rate_limit_body_and_retry_after(cw_sim):
    """429 uses CW's own body and Retry-After header."""
    cw_sim.faults(rate_limit={"count": 1, "retry_after": 7})
    response = cw_sim.raw("GET", "/system/info")
    assert response.status_code == 429 and response.headers["Retry-After"] == "7"
    assert response.json() == {"error": "ConnectWiseAPI", "message": "Too many requests. Please try again in 7 seconds."}


def test_faults_filter_by_path_and_clear(cw_sim):
    """A path filter limits faults; DELETE /_sim/faults clears them."""
    cw_sim.faults(error_rate=1.0, error_status=500, paths="/service/boards")
    assert cw_sim.raw("GET", "/service/boards").status_code == 500
    assert cw_sim.raw("GET", "/system/info").status_code == 200
    requests.delete(f"{cw_sim.root_url}/_sim/faults", timeout=5)
    assert cw_sim.raw("GET", "/service/boards").status_code == 200


def test_journal_lists_requests_and_clears(cw_sim):
    """The journal records method, path, query, body and status; DELETE empties it."""
    cw_sim.raw("POST", "/service/tickets/5001/notes", json=NOTE)
    (entry,) = cw_sim.journal()
    assert (entry["method"], entry["path"], entry["json"], entry["status"]) == (
        "POST", "/v4_6_release/apis/3.0/service/tickets/5001/notes", NOTE, 201)
    requests.delete(f"{cw_sim.root_url}/_sim/journal", timeout=5)
    assert cw_sim.journal() == []


@pytest.mark.parametrize("path", [
    "/v4_6_release/services/system_io/Service/fv_sr100_request.rails?service_recid=5001&companyName=demo",
    "/v4_6_release/ConnectWise.aspx?routeTo=ServiceFV&recid=5001",
])
def test_ticket_deep_link_pages_render(cw_sim, path):
    """The deep-link paths show the ticket page with the simulator banner."""
    cw_sim.raw("POST", "/service/tickets/5001/notes", json=NOTE)
    page = requests.get(cw_sim.root_url + path, timeout=5)
    assert page.status_code == 200 and "ConnectWise simulator" in page.text
    assert "Replace core switch acme-sw-core" in page.text and "Internal" in page.text


def test_index_lists_tickets(cw_sim):
    """/ lists tickets with links to their pages."""
    page = requests.get(cw_sim.root_url + "/", timeout=5)
    assert page.status_code == 200 and "fv_sr100_request.rails?service_recid=5001" in page.text


def test_company_info_knows_only_the_configured_company(cw_sim):
    """/login/companyinfo answers the site for the demo company and a JSON null for any other."""
    known = requests.get(f"{cw_sim.root_url}/login/companyinfo/demo", timeout=5)
    unknown = requests.get(f"{cw_sim.root_url}/login/companyinfo/nosuchco", timeout=5)
    assert known.json()["Codebase"] == "v4_6_release/"
    assert unknown.status_code == 200 and unknown.json() is None
