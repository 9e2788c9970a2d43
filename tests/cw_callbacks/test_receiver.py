"""The callback endpoint believes nothing unproven (PRODUCT §3.11): a missing or wrong signature,
a key_url off the organisation's host, an unknown or disabled address → 401; an oversized body →
413; each changes nothing and is logged without the body. A genuine callback is recorded once."""
import logging

import pytest

from cbcw.connectwise.api import errors
from cbcw.connectwise.api.client import ConnectWiseClient
from cbcw.connectwise.callbacks.models import ReceivedCallback
from cbcw.connectwise.settings.models import CallbackEndpoint
from tests.cw_callbacks.conftest import payload, signed_headers, signing_key
from tests.fixtures.loopback_http import json_server


def received(db):
    return db.session.scalars(db.select(ReceivedCallback)).all()


def post(client, address, body, headers):
    return client.post(address, data=body, headers=headers)


def test_a_genuine_callback_is_recorded_for_the_background_and_shown_as_last_received(
        client, db, org, cw_sim, address):
    body = payload(cw_sim, "ticket", 5001)
    response = post(client, address, body, signed_headers(signing_key(cw_sim), body))
    assert response.status_code == 200 and response.get_data(as_text=True).strip() == "recorded"
    [row] = received(db)
    assert (row.organisation_id, row.entity_type, row.entity_id, row.action, row.state) == (
        org.id, "ticket", 5001, "updated", "pending")
    endpoint = db.session.scalar(db.select(CallbackEndpoint))
    assert endpoint.last_received_what == "ticket #5001 updated" and endpoint.last_received_at is not None


def test_a_replayed_callback_is_recorded_once(client, db, cw_sim, address):
    body = payload(cw_sim, "ticket", 5001)
    headers = signed_headers(signing_key(cw_sim), body)
    assert post(client, address, body, headers).get_data(as_text=True).strip() == "recorded"
    again = post(client, address, body, headers)
    assert again.status_code == 200 and again.get_data(as_text=True).strip() == "duplicate"
    assert len(received(db)) == 1


def test_the_signing_key_is_fetched_once_and_cached(client, db, cw_sim, address, monkeypatch):
    fetched = []
    real = ConnectWiseClient.signing_key
    monkeypatch.setattr(ConnectWiseClient, "signing_key", lambda self, url: fetched.append(url) or real(self, url))
    key = signing_key(cw_sim)
    for entity_id in (1, 2, 3):
        body = payload(cw_sim, "ticket", entity_id)
        assert post(client, address, body, signed_headers(key, body)).status_code == 200
    assert len(received(db)) == 3 and len(fetched) == 1


@pytest.mark.parametrize("forgery", ["no signature", "wrong signature", "signed with another key", "not JSON",
                                     "no key_url", "body changed after signing"])
def test_forged_callbacks_are_refused_and_change_nothing(client, db, cw_sim, address, forgery, caplog):
    body = payload(cw_sim, "ticket", 5001)
    headers = signed_headers(signing_key(cw_sim), body)
    if forgery == "no signature":
        del headers["x-content-signature"]
    elif forgery == "wrong signature":
        headers["x-content-signature"] = "bm90IGEgc2lnbmF0dXJl"
    elif forgery == "signed with another key":
        headers = signed_headers("guessed", body)
    elif forgery == "not JSON":
        body = b"<xml/>"
        headers = signed_headers(signing_key(cw_sim), body)
    elif forgery == "no key_url":
        body = body.replace(b'"key_url"', b'"other"')
        headers = signed_headers(signing_key(cw_sim), body)
    else:
        body = body.replace(b"5001", b"5002")
    with caplog.at_level(logging.WARNING):
        response = post(client, address, body, headers)
    assert response.status_code == 401
    assert received(db) == [] and db.session.scalar(db.select(CallbackEndpoint)).last_received_at is None
    assert "refused" in caplog.text and "5001" not in caplog.text and "5002" not in caplog.text


def test_a_key_url_on_another_host_is_never_fetched(client, db, cw_sim, address):
    """The attacker's own key server, signing with its own key, on loopback like the simulator but
    on another port: refused before any request reaches it."""
    with json_server(b'{"signing_key": "attacker"}') as (other_base, seen):
        other_key_url = other_base.replace("/apis/3.0", "/system/callbackkey/index.rails?id=1")
        body = payload(cw_sim, "ticket", 5001, key_url_=other_key_url)
        response = post(client, address, body, signed_headers("attacker", body))
        assert response.status_code == 401 and seen == []
    assert received(db) == []


def test_an_unknown_address_is_refused(client, db, cw_sim, address):
    body = payload(cw_sim, "ticket", 5001)
    headers = signed_headers(signing_key(cw_sim), body)
    for wrong in (address + "x", "/connectwise/callbacks/" + "a" * 101, "/connectwise/callbacks/%00"):
        assert post(client, wrong, body, headers).status_code == 401
    assert received(db) == []


def test_an_organisation_with_the_integration_off_believes_no_callback(client, db, cw_sim, cw_settings, address):
    cw_settings.enabled = False
    db.session.commit()
    body = payload(cw_sim, "ticket", 5001)
    assert post(client, address, body, signed_headers(signing_key(cw_sim), body)).status_code == 401
    assert received(db) == []


def test_an_oversized_body_is_413_and_changes_nothing(client, db, cw_sim, address):
    body = payload(cw_sim, "ticket", 5001, entity={"id": 5001, "notes": "x" * 300_000})
    response = post(client, address, body, signed_headers(signing_key(cw_sim), body))
    assert response.status_code == 413 and received(db) == []


def test_the_callback_address_is_not_written_to_the_request_log(client, cw_sim, address, caplog):
    body = payload(cw_sim, "ticket", 5001)
    with caplog.at_level(logging.INFO, logger="cbcw.request"):
        post(client, address, b"{}", {"Content-Type": "application/json"})
    key = address.rsplit("/", 1)[1]
    assert "path=/connectwise/callbacks/<key>" in caplog.text and key not in caplog.text
    assert body  # the signed body was never sent: the log line is the refusal's


@pytest.mark.parametrize("type_, entity_id", [("activity", 1), ("ticket", "5001"), ("ticket", 0), ("ticket", 2**40)])
def test_a_verified_callback_about_nothing_we_act_on_is_acknowledged_and_ignored(client, db, cw_sim, address, type_,
                                                                                entity_id):
    body = payload(cw_sim, type_, entity_id)
    response = post(client, address, body, signed_headers(signing_key(cw_sim), body))
    assert response.status_code == 200 and response.get_data(as_text=True).strip() == "ignored"
    assert received(db) == []


@pytest.mark.parametrize("body", [b"", b"\x00\xff\xfe", b"[]", b"null", b'{"Metadata": "x"}',
                                  b'{"Metadata": {"key_url": ["a"]}}', b'{"Metadata": {"key_url": "http://[::1"}}',
                                  "{\"Metadata\": {\"key_url\": \"\u00e9\"}}".encode(), b"{" * 10_000,
                                  b"[" * 100_000 + b"]" * 100_000])
def test_hostile_bodies_are_refused_never_a_500(client, db, cw_sim, address, body):
    response = post(client, address, body, {"x-content-signature": "x", "Content-Type": "application/json"})
    assert response.status_code == 401 and received(db) == []


@pytest.mark.parametrize("failure, status", [(errors.Unavailable(), 429), (errors.Timeout(seconds=3), 429),
                                             (errors.NotFound(), 401), (errors.BadResponse(detail="x"), 401)])
def test_a_signing_key_not_fetched_changes_nothing(client, db, cw_sim, address, monkeypatch, failure, status):
    """ConnectWise retries a 429 (not a 401): a key its site was too slow to give is worth a retry."""
    def fail(self, url):
        raise failure
    monkeypatch.setattr(ConnectWiseClient, "signing_key", fail)
    body = payload(cw_sim, "ticket", 5001)
    assert post(client, address, body, signed_headers("whatever", body)).status_code == status
    assert received(db) == []
