"""The simulator's callbacks (REFERENCE §13): `/system/callbacks` CRUD strict to CallbackEntry's
fields, the signing key at a key_url on its own host, and a signed POST, from a background thread
with retries, for each ticket or configuration changed through its API, to matching loopback URLs."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
import requests

from cw_simulator.callbacks import KEY_PATH
from tests.fixtures.loopback_http import post_collector


def register(cw_sim, url, type_="ticket", level="owner", object_id=1):
    response = cw_sim.raw("POST", "/system/callbacks", json={"url": url, "type": type_, "level": level,
                                                             "objectId": object_id, "description": "test"})
    assert response.status_code == 201, response.text
    return response.json()


def verify(cw_sim, headers, body):
    key = requests.get(json.loads(body)["Metadata"]["key_url"], timeout=5).json()["signing_key"]
    digest = hmac.new(hashlib.sha256(key.encode()).digest(), body, hashlib.sha256).digest()
    return headers["x-content-signature"] == base64.b64encode(digest).decode()


def test_callbacks_crud_is_strict_to_the_callback_entry_fields(cw_sim):
    created = register(cw_sim, "http://127.0.0.1:9/cb")
    assert cw_sim.raw("GET", f"/system/callbacks/{created['id']}").json()["url"] == "http://127.0.0.1:9/cb"
    unknown = cw_sim.raw("POST", "/system/callbacks", json={"url": "http://127.0.0.1:9/", "type": "ticket",
                                                           "level": "owner", "objectId": 1, "callbackUrl": "x"})
    assert unknown.status_code == 400 and "callbackUrl" in unknown.text
    missing = cw_sim.raw("POST", "/system/callbacks", json={"url": "http://127.0.0.1:9/", "type": "ticket", "level": "owner"})
    assert missing.status_code == 400 and "objectId" in missing.text
    wrong_level = cw_sim.raw("POST", "/system/callbacks", json={"url": "http://127.0.0.1:9/", "type": "ticket",
                                                               "level": "company", "objectId": 1})
    assert wrong_level.status_code == 400
    patched = cw_sim.raw("PATCH", f"/system/callbacks/{created['id']}", json=[
        {"op": "replace", "path": "inactiveFlag", "value": True}])
    assert patched.json()["inactiveFlag"] is True
    assert cw_sim.raw("DELETE", f"/system/callbacks/{created['id']}").status_code == 204
    assert cw_sim.raw("GET", f"/system/callbacks/{created['id']}").status_code == 404
    assert cw_sim.raw("GET", "/system/callbacks", auth=False).status_code == 401


def test_a_ticket_changed_through_the_api_is_posted_signed_to_a_matching_registration(cw_sim):
    ticket = cw_sim.raw("GET", "/service/tickets", params={"pageSize": 1}).json()[0]
    with post_collector() as (url, received):
        register(cw_sim, url, "ticket", "board", ticket["board"]["id"])
        register(cw_sim, url.replace("secret", "other-board"), "ticket", "board", 999)
        cw_sim.raw("PATCH", f"/service/tickets/{ticket['id']}", json=[
            {"op": "replace", "path": "summary", "value": "Renamed"}]).raise_for_status()
        headers, body = received.get(timeout=5)
    payload = json.loads(body)
    assert (payload["Type"], payload["Action"], payload["ID"]) == ("ticket", "updated", ticket["id"])
    assert json.loads(payload["Entity"])["summary"] == "Renamed"
    assert payload["Metadata"]["key_url"] == f"{cw_sim.root_url}{KEY_PATH}?id=1"
    assert verify(cw_sim, headers, body) and received.empty()


def test_a_configuration_of_a_registered_company_is_posted_when_added_and_deleted(cw_sim):
    with post_collector() as (url, received):
        register(cw_sim, url, "configuration", "company", 101)
        created = cw_sim.raw("POST", "/company/configurations", json={
            "name": "new-fw", "type": {"id": 4}, "company": {"id": 101}}).json()
        assert json.loads(received.get(timeout=5)[1])["Action"] == "added"
        cw_sim.raw("DELETE", f"/company/configurations/{created['id']}").raise_for_status()
        payload = json.loads(received.get(timeout=5)[1])
    assert (payload["Type"], payload["Action"], payload["ID"]) == ("configuration", "deleted", created["id"])


def test_a_refused_delivery_is_retried(cw_sim):
    ticket = cw_sim.raw("GET", "/service/tickets", params={"pageSize": 1}).json()[0]
    with post_collector(statuses=(429, 404)) as (url, received):
        register(cw_sim, url)
        cw_sim.raw("PATCH", f"/service/tickets/{ticket['id']}", json=[
            {"op": "replace", "path": "summary", "value": "Again"}]).raise_for_status()
        bodies = [received.get(timeout=5)[1] for _ in range(3)]
    assert bodies[0] == bodies[1] == bodies[2]


@pytest.mark.parametrize("url", ["http://10.1.2.3/cb", "http://example.test/cb"])
def test_callbacks_go_to_loopback_addresses_only(cw_sim, url):
    ticket = cw_sim.raw("GET", "/service/tickets", params={"pageSize": 1}).json()[0]
    register(cw_sim, url)
    with post_collector() as (witness, received):
        register(cw_sim, witness)  # sent after the refused one: its arrival means the first was handled
        cw_sim.raw("PATCH", f"/service/tickets/{ticket['id']}", json=[
            {"op": "replace", "path": "summary", "value": "x"}]).raise_for_status()
        received.get(timeout=5)
    sent = requests.get(f"{cw_sim.root_url}/_sim/callbacks", timeout=5).json()
    assert {"url": url, "status": "refused: not a loopback address", "attempts": 0} in sent


def test_the_signing_key_url_needs_its_id(cw_sim):
    assert requests.get(f"{cw_sim.root_url}{KEY_PATH}?id=2", timeout=5).status_code == 404
    assert requests.get(f"{cw_sim.root_url}{KEY_PATH}?id=1", timeout=5).json()["signing_key"]
