"""Stored keys belong to the host and company they were entered for (PRODUCT §3.1), and a key that
can no longer be decrypted is a message on the page, not a 500."""
import base64
from types import SimpleNamespace

import pytest
import responses
from cryptography.fernet import Fernet

from cbcw.connectwise.settings.mappings import get_settings, keys_stay_valid, save_connection
from tests.fixtures.cw_simulator import CW_PRIVATE_KEY, CW_PUBLIC_KEY
from tests.fixtures.loopback_http import json_server

URL = "/settings/integrations/connectwise"


@pytest.fixture
def recorder():
    """A loopback server standing in for a user's own server: records every request's headers."""
    with json_server(b'{"version": "v-attacker"}') as (base_url, seen):
        yield SimpleNamespace(base_url=base_url, seen=seen)


def _form(base_url, **overrides):
    return {"enabled": "y", "base_url": base_url, "cw_company_id": "demo", "public_key": "", "private_key": "",
            **overrides}


def test_new_host_with_blank_keys_is_refused_and_the_key_never_reaches_it(post, login, admin, org, cw_settings,
                                                                          recorder):
    """Pointing the Base URL at another server with blank keys asks for both keys; Test Connection then
    still talks to the old host, and the other server never receives the stored key."""
    login(admin)
    response = post(URL, _form(recorder.base_url))
    assert b"host or the Company ID changed" in response.data
    assert get_settings(org.id).base_url == cw_settings.base_url
    post(URL + "/test", headers={"HX-Request": "true"})
    assert recorder.seen == []


def test_saving_a_new_host_with_new_keys_replaces_them(post, login, admin, org, cw_settings, recorder):
    """With both keys typed, the new host is saved and only the new keys are sent to it."""
    login(admin)
    post(URL, _form(recorder.base_url, public_key="theirpub", private_key="theirpriv"))
    settings = get_settings(org.id)
    assert settings.base_url == recorder.base_url and settings.private_key == "theirpriv"
    post(URL + "/test", headers={"HX-Request": "true"})
    authorisations = [headers.get("Authorization", "") for headers in recorder.seen]
    assert authorisations and all(base64.b64decode(a.split()[1]) == b"demo+theirpub:theirpriv" for a in authorisations)


@pytest.mark.parametrize("base_url, company, kept", [
    ("http://127.0.0.1:{port}/v2025_1/apis/3.0", "demo", True),    # same host, another codebase path
    ("http://127.0.0.1:{port}/v4_6_release/apis/3.0", "DEMO", True),  # company IDs are case-insensitive
    ("http://localhost:{port}/v4_6_release/apis/3.0", "demo", False),  # another host name
    ("http://127.0.0.1:{other}/v4_6_release/apis/3.0", "demo", False),  # another port
    ("http://127.0.0.1:{port}/v4_6_release/apis/3.0", "other", False),  # another company
])
def test_keys_kept_only_for_the_same_origin_and_company(cw_settings, cw_sim, base_url, company, kept):
    """Only a change of path keeps the keys; host, port, scheme or company discard them."""
    port = int(cw_sim.root_url.rsplit(":", 1)[1])
    url = base_url.format(port=port, other=port + 1)
    assert keys_stay_valid(cw_settings, url, company) is kept
    save_connection(cw_settings, {"base_url": url, "cw_company_id": company, "enabled": True}, allow_http=True)
    assert bool(cw_settings.private_key_encrypted) is kept and bool(cw_settings.public_key_encrypted) is kept


@pytest.fixture
def lost_encryption_key(app, cw_settings):
    """The stored keys were encrypted under a key no longer in CBCW_ENCRYPTION_KEYS."""
    app.config["ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
    return cw_settings


def test_unreadable_key_is_a_message_on_the_settings_page(client, login, admin, lost_encryption_key):
    """The page renders (200) and says the stored key can no longer be read."""
    login(admin)
    response = client.get(URL)
    assert response.status_code == 200
    assert b"The stored key can no longer be read; enter it again." in response.data
    assert b"A private key is stored" not in response.data


def test_unreadable_key_must_be_entered_again(post, login, admin, org, lost_encryption_key):
    """Saving with blank keys asks for them again; saving with keys makes them readable."""
    login(admin)
    response = post(URL, _form(lost_encryption_key.base_url))
    assert response.data.count(b"The stored key can no longer be read; enter it again.") >= 2
    post(URL, _form(lost_encryption_key.base_url, public_key=CW_PUBLIC_KEY, private_key=CW_PRIVATE_KEY))
    assert get_settings(org.id).private_key == CW_PRIVATE_KEY


def test_unreadable_key_test_connection_says_so(post, login, admin, lost_encryption_key):
    """Test Connection with an unreadable key explains it instead of failing."""
    login(admin)
    response = post(URL + "/test", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"The stored key can no longer be read; enter it again." in response.data


@responses.activate
def test_redirect_is_not_followed_nor_its_target_shown(post, login, admin, org, db):
    """A Base URL answering 302 to an internal address is 'not a ConnectWise API address'; the target
    is never requested and nothing it says is shown."""
    settings = get_settings(org.id)
    settings.base_url, settings.cw_company_id = "https://cw.example.com/v4_6_release/apis/3.0", "demo"
    settings.public_key, settings.private_key = CW_PUBLIC_KEY, CW_PRIVATE_KEY
    db.session.commit()
    responses.get("https://cw.example.com/v4_6_release/apis/3.0/system/info", status=302,
                  headers={"Location": "http://169.254.169.254/latest/meta-data"})
    responses.get("http://169.254.169.254/latest/meta-data", json={"version": "internal-secret"})
    login(admin)
    response = post(URL + "/test", headers={"HX-Request": "true"})
    assert b"redirect: it is not a ConnectWise API address" in response.data
    assert b"internal-secret" not in response.data and b"Connection successful" not in response.data
    assert [call.request.url for call in responses.calls] == ["https://cw.example.com/v4_6_release/apis/3.0/system/info"]
