"""Callbacks against the simulator: an organisation with a callback address, and ConnectWise-shaped
payloads signed with the simulator's own key (or not)."""
from __future__ import annotations

import json
import uuid

import pytest
import requests

from cbcw.connectwise.callbacks import signing
from cbcw.connectwise.callbacks.registration import ensure_endpoint
from cbcw.connectwise.settings.models import ConfigurationTypeMapping
from cbcw.devices.models import DeviceType
from cw_simulator.callbacks import KEY_PATH
from tests.cw_settings.conftest import cw_settings  # noqa: F401  (the settings pointing at the simulator)
from tests.cw_tickets.conftest import (ACME_CW_ID, _empty_ticket_cache, map_company, open_ticket_of,  # noqa: F401
                                      seed_tickets)  # (each test starts without cached tickets)


@pytest.fixture(autouse=True)
def _fresh_signing_keys():
    signing.keys.clear()
    yield
    signing.keys.clear()


@pytest.fixture
def callbacks_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "CW_CALLBACKS", True)


def key_url(cw_sim) -> str:
    return f"{cw_sim.root_url}{KEY_PATH}?id=1"


def signing_key(cw_sim) -> str:
    return requests.get(key_url(cw_sim), timeout=5).json()["signing_key"]


def payload(cw_sim, type_: str, entity_id: int, action: str = "updated", key_url_=None, entity: dict | None = None) -> bytes:
    """A callback body shaped as ConnectWise's (REFERENCE §13)."""
    return json.dumps({
        "MessageId": str(uuid.uuid4()), "FromUrl": "127.0.0.1", "CompanyId": "demo", "MemberId": "someone",
        "Action": action, "Type": type_, "ID": entity_id, "ProductInstanceId": None, "PartnerId": None,
        "Entity": json.dumps(entity or {"id": entity_id}), "Metadata": {"key_url": key_url_ or key_url(cw_sim)},
        "CallbackObjectRecId": 1}).encode()


def signed_headers(key: str, body: bytes) -> dict:
    return {"Content-Type": "application/json", "x-content-signature": signing.signature(key, body)}


@pytest.fixture
def address(db, org, cw_settings):
    """The organisation's callback path (settings on, pointing at the simulator)."""
    endpoint = ensure_endpoint(org.id)
    db.session.commit()
    return "/connectwise/callbacks/" + endpoint.key


@pytest.fixture
def map_servers(db, org):
    """ConnectWise's configuration type 1 (Server) imported as the device type "Server"."""
    def make():
        servers = DeviceType(organisation_id=org.id, name="Server")
        db.session.add(servers)
        db.session.flush()
        db.session.add(ConfigurationTypeMapping(organisation_id=org.id, cw_type_id=1, cw_type_name="Server",
                                                device_type_id=servers.id))
        db.session.commit()
    return make
