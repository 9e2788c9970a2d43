"""Saving working settings registers the organisation's callbacks in ConnectWise, only for what it
uses, at its secret address; saving again never registers twice; disabling or moving to another
host removes them (PRODUCT §3.11)."""
import pytest

from cbcw.connectwise.callbacks.models import CallbackRegistration
from tests.cw_callbacks.conftest import ACME_CW_ID
from tests.fixtures.cw_simulator import CW_COMPANY_ID, CW_PRIVATE_KEY, CW_PUBLIC_KEY

URL = "/settings/integrations/connectwise"


@pytest.fixture
def mapped(company, map_company, map_servers, cw_settings, callbacks_on):
    map_company(company, ACME_CW_ID, board_ids=(1, 2))
    map_servers()


@pytest.fixture
def save(post, login, admin):
    login(admin)

    def do_save(base_url, enabled=True, keys=False):
        data = {"base_url": base_url, "cw_company_id": CW_COMPANY_ID}
        if enabled:
            data["enabled"] = "y"
        if keys:
            data.update(public_key=CW_PUBLIC_KEY, private_key=CW_PRIVATE_KEY)
        response = post(URL, data)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return response

    return do_save


def in_connectwise(cw_sim):
    return sorted((c["type"], c["level"], c["objectId"]) for c in cw_sim.raw("GET", "/system/callbacks").json())


def calls(cw_sim, method):
    return [e for e in cw_sim.journal() if e["method"] == method and "/system/callbacks" in e["path"]]


def test_saving_registers_the_boards_in_use_and_the_mapped_companies_configurations(
        app, client, db, save, cw_sim, mapped):
    save(cw_sim.base_url)
    assert in_connectwise(cw_sim) == [("configuration", "company", ACME_CW_ID), ("ticket", "board", 1),
                                      ("ticket", "board", 2)]
    urls = {c["url"] for c in cw_sim.raw("GET", "/system/callbacks").json()}
    [url] = urls
    assert url.startswith(app.config["APP_BASE_URL"] + "/connectwise/callbacks/") and len(url.rsplit("/", 1)[1]) >= 40
    page = client.get(URL).get_data(as_text=True)
    assert page.count("data-callback-registration") == 3 and "Last callback received:" in page
    assert url.rsplit("/", 1)[1] not in page  # the secret address is never shown


def test_saving_again_never_registers_twice_and_restores_one_removed_by_hand(db, save, cw_sim, mapped):
    save(cw_sim.base_url)
    cw_sim.clear_journal()
    save(cw_sim.base_url)
    assert calls(cw_sim, "POST") == [] and len(in_connectwise(cw_sim)) == 3
    first = cw_sim.raw("GET", "/system/callbacks").json()[0]
    cw_sim.raw("DELETE", f"/system/callbacks/{first['id']}").raise_for_status()
    save(cw_sim.base_url)
    assert len(in_connectwise(cw_sim)) == 3 and db.session.query(CallbackRegistration).count() == 3


def test_a_mapping_that_allows_every_board_registers_every_ticket_once(db, org, make_company, map_company, save,
                                                                         cw_sim, mapped):
    map_company(make_company("Northwind"), 103)
    save(cw_sim.base_url)
    assert in_connectwise(cw_sim) == [("configuration", "company", ACME_CW_ID), ("configuration", "company", 103),
                                      ("ticket", "owner", 1)]


def test_disabling_the_integration_removes_them(db, save, cw_sim, mapped):
    save(cw_sim.base_url)
    save(cw_sim.base_url, enabled=False)
    assert in_connectwise(cw_sim) == [] and db.session.query(CallbackRegistration).count() == 0


def test_moving_to_another_host_removes_them_from_the_old_one_with_its_keys(db, save, cw_sim, mapped):
    """localhost and 127.0.0.1 are two hosts to the product (the same simulator answers both)."""
    save(cw_sim.base_url)
    old_ids = {c["id"] for c in cw_sim.raw("GET", "/system/callbacks").json()}
    cw_sim.clear_journal()
    save(cw_sim.base_url.replace("127.0.0.1", "localhost"), keys=True)
    deleted = {int(e["path"].rsplit("/", 1)[1]) for e in cw_sim.journal() if e["method"] == "DELETE"}
    assert deleted == old_ids
    journal = [(e["method"], e["path"].rsplit("/3.0", 1)[1].rstrip("/0123456789")) for e in cw_sim.journal()
               if "/system/callbacks" in e["path"]]
    assert journal == [("DELETE", "/system/callbacks")] * 3 + [("GET", "/system/callbacks")] + [
        ("POST", "/system/callbacks")] * 3
    assert len(cw_sim.raw("GET", "/system/callbacks").json()) == 3
    assert {r.base_url for r in db.session.query(CallbackRegistration)} == {
        cw_sim.base_url.replace("127.0.0.1", "localhost")}


def test_nothing_is_registered_without_a_mapped_company(db, save, cw_sim, cw_settings, callbacks_on):
    save(cw_sim.base_url)
    assert in_connectwise(cw_sim) == []


def test_connectwise_refusing_the_registration_is_said_and_the_settings_still_saved(
        client, db, save, cw_sim, mapped):
    cw_sim.faults(error_rate=1.0, paths="/system/callbacks")
    save(cw_sim.base_url)
    page = client.get(URL).get_data(as_text=True)
    assert "callbacks could not be registered" in page and db.session.query(CallbackRegistration).count() == 0
