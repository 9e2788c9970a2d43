"""Test Connection reads the API member's security role and lists each capability the integration
needs as granted or missing (PRODUCT §3.1); a `Security` 403 on a call names the capability."""
import re

from cbcw.connectwise.api import capabilities, errors
from cbcw.connectwise.settings.mappings import get_settings

URL = "/settings/integrations/connectwise"
HX = {"HX-Request": "true"}


def rows(html: str) -> dict[str, str]:
    """{capability words: granted|missing|not checked} from the result table."""
    return dict(re.findall(r"<tr><td>([^<]+)</td>\s*<td>(?:<strong>)?(granted|missing|not checked)", html))


def test_full_role_lists_every_capability_as_granted(post, login, admin, cw_settings, cw_sim):
    login(admin)
    html = post(URL + "/test", headers=HX).get_data(as_text=True)
    assert "Connection successful (ConnectWise v" in html and "may not" not in html
    assert '<div class="notice ok" role="status">' in html
    found = rows(html)
    assert set(found) == {c.words for c in capabilities.CAPABILITIES}
    assert set(found.values()) == {"granted"}


def test_a_denied_time_entry_is_named_as_the_missing_capability(post, login, admin, org, cw_settings, cw_sim):
    """`/_sim/security-role {"deny": ["POST /time/entries"]}`: Test Connection names time entries."""
    cw_sim.deny("POST /time/entries")
    login(admin)
    html = post(URL + "/test", headers=HX).get_data(as_text=True)
    assert "the API member&#39;s security role may not: add time entries for all members." in html
    assert '<div class="notice warn" role="status">' in html  # connected, yet not a green light
    found = rows(html)
    assert found.pop("add time entries for all members") == "missing"
    assert set(found.values()) == {"granted"}
    assert "Time &amp; Expense → Time Entry: Add = All" in html
    assert get_settings(org.id).last_test_ok is True  # connected: the role is what needs fixing


def test_a_role_that_may_not_read_roles_says_it_was_not_checked(post, login, admin, cw_settings, cw_sim):
    cw_sim.faults(error_count=5, error_status=403, paths="/system/apiMembers")
    login(admin)
    html = post(URL + "/test", headers=HX).get_data(as_text=True)
    assert "Connection successful" in html and "so the capabilities were not checked" in html


def test_security_403_names_the_capability(make_cw_client, cw_sim):
    """A write refused with ConnectWise's Security code says which capability and where to grant it."""
    cw_sim.deny("PATCH /schedule/entries")
    client = make_cw_client(cw_sim.base_url)
    entry = client.create_schedule_entry(5001, 153, name="x")
    try:
        client.update_schedule_entry(entry["id"], [{"op": "replace", "path": "doneFlag", "value": True}])
    except errors.PermissionDenied as refused:
        assert refused.capability.words == "edit schedule entries for all members"
        assert "may not edit schedule entries for all members" in str(refused)
        assert "Service Desk → Resource Scheduling: Edit = All" in str(refused)
    else:
        raise AssertionError("the simulator's role should have refused the edit")


def test_capability_of_unknown_calls_is_none():
    assert capabilities.for_call("POST", "/procurement/products") is None
    assert capabilities.for_call("post", "/service/tickets/77/notes").words == "add ticket notes"
