"""One kept client (connection pool) per organisation, rebuilt when its settings change; a Session
per thread; pages requested but not read are closed."""
import socket
import threading
from unittest import mock

import pytest

from cbcw.connectwise.settings.connection import client_for
from cbcw.connectwise.settings.models import ConnectWiseSettings
from tests.fixtures.cw_simulator import CW_COMPANY_ID, CW_PRIVATE_KEY, CW_PUBLIC_KEY
from tests.fixtures.loopback_http import json_server


@pytest.fixture
def settings(db, org, cw_sim):
    settings = ConnectWiseSettings(organisation_id=org.id, enabled=True, base_url=cw_sim.base_url,
                                   cw_company_id=CW_COMPANY_ID)
    settings.public_key, settings.private_key = CW_PUBLIC_KEY, CW_PRIVATE_KEY
    db.session.add(settings)
    db.session.commit()
    return settings


@pytest.fixture
def connections(monkeypatch):
    """Counts sockets opened (all to the loopback simulator)."""
    counted = mock.Mock(side_effect=socket.create_connection)
    monkeypatch.setattr(socket, "create_connection", counted)
    return counted


@pytest.fixture
def keep_alive_server():
    with json_server(b'{"version": "v2025.1"}', keep_alive=True) as (base_url, _seen):
        yield base_url


def test_calls_from_separate_requests_reuse_one_connection(settings, db, keep_alive_server, connections):
    """Three client_for calls (three page requests) share one kept pool: one TCP connection, not three."""
    settings.base_url = keep_alive_server
    db.session.commit()
    for _ in range(3):
        assert client_for(settings).system_info()["version"]
    assert connections.call_count == 1


def test_changed_settings_build_a_new_client_and_close_the_old(settings, db):
    """A new Base URL, key or company gives a new transport; the old one's pool is closed."""
    first = client_for(settings).transport
    assert client_for(settings, interactive=False).transport is first
    settings.private_key = "another-private-key"
    db.session.commit()
    second = client_for(settings).transport
    assert second is not first
    assert first.adapter.poolmanager.pools.keys() == set()


def test_each_thread_has_its_own_session_on_the_shared_pool(settings):
    """Threads never share a requests.Session; they share the adapter (connection pool)."""
    client = client_for(settings)
    sessions = []
    worker = threading.Thread(target=lambda: sessions.append(client.session))
    worker.start()
    worker.join()
    assert sessions[0] is not client.session
    assert sessions[0].get_adapter("https://x") is client.session.get_adapter("https://x")


def test_stopping_a_prefetched_listing_early_returns_its_connections(settings):
    """Breaking out of a prefetching iter_list closes the page already requested, so no connection stays checked out."""
    client = client_for(settings, interactive=False)
    listing = client.iter_list("/company/configurations", page_size=5, prefetch=True)
    next(listing)
    listing.close()
    manager = client.transport.adapter.poolmanager
    pools = [manager.pools[key] for key in manager.pools.keys()]
    assert pools and all(pool.pool.qsize() == pool.pool.maxsize for pool in pools)
