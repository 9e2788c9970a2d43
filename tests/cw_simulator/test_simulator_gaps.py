"""Gaps between the simulator and ConnectWise found by issue 18, each closed: every test here
failed on the simulator before (it was lenient where ConnectWise is strict, or strict where
public clients rely on ConnectWise accepting something)."""
import pytest
import requests

SECURITY = {"code": "Security", "message": "You do not have security permission to perform this action."}
TIME = {"chargeToId": 5001, "chargeToType": "ServiceTicket", "timeStart": "2025-03-01T14:00:00Z",
        "timeEnd": "2025-03-01T14:30:00Z", "notes": "x"}


def test_initial_description_cannot_be_patched_and_is_never_returned(cw_sim):
    """ConnectWise: initialDescription is POST-only and never returned (REFERENCE §6.2)."""
    response = cw_sim.raw("PATCH", "/service/tickets/5001",
                          json=[{"op": "replace", "path": "initialDescription", "value": "Plan"}])
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "initialDescription"
    assert "initialDescription" not in cw_sim.raw("GET", "/service/tickets/5001").json()


def test_top_level_last_updated_filters_like_info_last_updated(cw_sim):
    """`lastUpdated > [..]` (django-connectwise) selects what `_info/lastUpdated > [..]` does."""
    cw_sim.raw("PATCH", "/service/tickets/5003", json=[{"op": "replace", "path": "summary", "value": "moved on"}])

    def ids(field):
        response = cw_sim.raw("GET", "/service/tickets", params={"conditions": f"{field} > [2026-01-01T00:00:00Z]"})
        assert response.status_code == 200
        return [t["id"] for t in response.json()]
    assert ids("lastUpdated") == ids("_info/lastUpdated") == [5003]


def test_nested_patch_path_replaces_a_schedule_entry_reference(cw_sim):
    """`member/identifier` (django-connectwise) moves a schedule entry to that member."""
    entry = cw_sim.raw("POST", "/schedule/entries", json={"objectId": 5001, "type": {"identifier": "S"},
                                                         "member": {"identifier": "eengineer"}}).json()
    response = cw_sim.raw("PATCH", f"/schedule/entries/{entry['id']}",
                          json=[{"op": "replace", "path": "member/identifier", "value": "ttech"}])
    assert response.status_code == 200 and response.json()["member"]["identifier"] == "ttech"
    bad = cw_sim.raw("PATCH", f"/schedule/entries/{entry['id']}",
                     json=[{"op": "replace", "path": "member/nosuch", "value": "x"}])
    assert bad.status_code == 400


@pytest.mark.parametrize("path", ["/system/members/count", "/schedule/entries/count"])
def test_members_and_schedule_entries_have_count(cw_sim, path):
    cw_sim.raw("POST", "/schedule/entries", json={"objectId": 5001, "type": {"identifier": "S"},
                                                 "member": {"identifier": "eengineer"}})
    response = cw_sim.raw("GET", path, params={"conditions": "id > 0"})
    assert response.status_code == 200 and response.json()["count"] >= 1


def test_time_entry_for_an_inactive_member_is_refused(cw_sim):
    """fformer is inactive: ConnectWise will not book time as them."""
    response = cw_sim.raw("POST", "/time/entries", json={**TIME, "member": {"identifier": "fformer"}})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "member"
    assert cw_sim.raw("POST", "/time/entries", json={**TIME, "member": {"identifier": "eengineer"}}).status_code == 201


def test_api_member_has_a_security_role_whose_settings_can_be_read(cw_sim):
    """The API member (licenseClass A) carries its role; the role's settings list each function."""
    [api_member] = cw_sim.raw("GET", "/system/apiMembers").json()
    role = api_member["securityRole"]
    assert cw_sim.raw("GET", f"/system/members/{api_member['id']}").json()["securityRole"]["id"] == role["id"]
    settings = cw_sim.raw("GET", f"/system/securityroles/{role['id']}/settings").json()
    time_entry = next(s for s in settings if s["moduleFunctionName"] == "Time Entry")
    assert time_entry["addLevel"] == "All"


def test_denied_write_answers_connectwise_security_403_and_the_role_shows_it(cw_sim):
    """`/_sim/security-role` denies a call: 403 with the Security body; the setting reads None; {} restores."""
    cw_sim.deny("POST /time/entries")
    response = cw_sim.raw("POST", "/time/entries", json={**TIME, "member": {"identifier": "eengineer"}})
    assert response.status_code == 403 and response.json()["code"] == SECURITY["code"]
    assert response.json()["message"] == SECURITY["message"]
    [api_member] = cw_sim.raw("GET", "/system/apiMembers").json()
    settings = cw_sim.raw("GET", f"/system/securityroles/{api_member['securityRole']['id']}/settings").json()
    assert next(s for s in settings if s["moduleFunctionName"] == "Time Entry")["addLevel"] == "None"
    assert cw_sim.raw("GET", "/service/tickets/5001").status_code == 200
    cw_sim.deny()
    assert cw_sim.raw("POST", "/time/entries", json={**TIME, "member": {"identifier": "eengineer"}}).status_code == 201


def test_denial_with_an_id_template_covers_every_record(cw_sim):
    cw_sim.deny("PATCH /service/tickets/{id}")
    response = cw_sim.raw("PATCH", "/service/tickets/5002", json=[{"op": "replace", "path": "summary", "value": "x"}])
    assert response.status_code == 403


@pytest.mark.parametrize("body", [{"deny": "POST /time/entries"}, {"deny": ["FETCH /x"]}, {"allow": []}, []])
def test_bad_security_role_settings_are_refused(cw_sim, body):
    response = requests.post(f"{cw_sim.root_url}/_sim/security-role", json=body, timeout=5)
    assert response.status_code == 400


def test_demo_status_names_exist_on_every_service_board(cw_sim):
    """The demo's status names are on every service board (no warning, Help Desk links cleanly)."""
    from cbcw.demo.seed import CW_STATUS_NAMES
    boards = [b for b in cw_sim.raw("GET", "/service/boards").json() if not b["projectFlag"]]
    for board in boards:
        names = {s["name"] for s in cw_sim.raw("GET", f"/service/boards/{board['id']}/statuses",
                                               params={"pageSize": 100}).json()}
        assert set(CW_STATUS_NAMES.values()) <= names, board["name"]


def test_configuration_page_opens_from_the_product_link(cw_sim):
    """The device page's "Open in ConnectWise" link (open-record router, ConfigFv) is a page."""
    from cbcw.connectwise.api.links import configuration_url
    response = requests.get(configuration_url(cw_sim.base_url, "demo", 1001), timeout=5)
    assert response.status_code == 200 and "Configuration acme-dc01" in response.text
