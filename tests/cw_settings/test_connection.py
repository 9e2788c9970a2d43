"""Connection settings: save, secrets at rest, and Test Connection against the live simulator."""
import time

import pytest

from cbcw.connectwise.settings.mappings import get_settings
from tests.fixtures.cw_simulator import CW_PRIVATE_KEY, CW_PUBLIC_KEY
from tests.fixtures.database import committed_rows

URL = "/settings/integrations/connectwise"


def connection_form(base_url, **overrides):
    return {"enabled": "y", "base_url": base_url, "cw_company_id": "demo",
            "public_key": CW_PUBLIC_KEY, "private_key": CW_PRIVATE_KEY, **overrides}


def test_save_settings_stores_keys_encrypted(post, login, admin, org, db, cw_sim):
    """Saving stores the keys encrypted; the page never shows the private key back."""
    login(admin)
    response = post(URL, connection_form(cw_sim.base_url), follow_redirects=True)
    assert b"Settings saved." in response.data
    settings = get_settings(org.id)
    assert CW_PRIVATE_KEY not in settings.private_key_encrypted
    assert settings.private_key == CW_PRIVATE_KEY
    assert CW_PRIVATE_KEY.encode() not in response.data
    assert b"A private key is stored. Leave blank to keep it." in response.data


def test_blank_private_key_keeps_the_stored_one(post, login, admin, org, cw_settings):
    """Re-saving with a blank private key keeps the stored key."""
    login(admin)
    post(URL, connection_form(cw_settings.base_url, private_key="", cw_company_id="demo"))
    assert get_settings(org.id).private_key == CW_PRIVATE_KEY


def test_first_save_requires_both_keys(post, login, admin):
    """Without a stored key, a blank key field is an error and nothing is saved."""
    login(admin)
    before = committed_rows()
    response = post(URL, connection_form("https://api-na.myconnectwise.net/v4_6_release/apis/3.0", private_key=""))
    assert b"Enter the key from the API member" in response.data
    assert b'value="https://api-na.myconnectwise.net/v4_6_release/apis/3.0"' in response.data
    assert committed_rows() == before


@pytest.mark.parametrize("base_url, message", [
    ("na.myconnectwise.net", b"Enter the full address starting with https://"),
    ("https://user:pw@api-na.myconnectwise.net/v4_6_release/apis/3.0", b"Remove the user name and password"),
    ("ftp://example.com/apis/3.0", b"must start with https://"),
])
def test_bad_base_url_is_explained_and_kept(post, login, admin, base_url, message):
    """A malformed Base URL re-renders with a message and keeps what was typed."""
    login(admin)
    response = post(URL, connection_form(base_url))
    assert response.status_code == 200
    assert message in response.data
    assert CW_PRIVATE_KEY.encode() not in response.data


def test_plain_http_refused_unless_allowed(post, login, admin, app):
    """http:// is refused when CW_ALLOW_HTTP is off (production)."""
    app.config["CW_ALLOW_HTTP"] = False
    login(admin)
    response = post(URL, connection_form("http://cw.example.com/v4_6_release/apis/3.0"))
    assert b"must start with https://" in response.data


def test_ui_host_is_accepted_and_explained(post, login, admin, org):
    """A ConnectWise web address is turned into the API address, and the flash says so."""
    login(admin)
    response = post(URL, connection_form("https://na.myconnectwise.net"), follow_redirects=True)
    assert b"the API is served from api-na.myconnectwise.net" in response.data
    assert get_settings(org.id).base_url == "https://api-na.myconnectwise.net/v4_6_release/apis/3.0"


def test_connection_successful_with_version(client, post, login, admin, cw_settings):
    """Test Connection against the simulator says "Connection successful" with the version."""
    login(admin)
    response = post(URL + "/test", headers={"HX-Request": "true"})
    assert b"Connection successful (ConnectWise v" in response.data


WRONG_SETTINGS = {
    "wrong private key": (lambda sim, port: {"private_key": "wrong"}, "rejected the API keys"),
    "wrong company ID": (lambda sim, port: {"cw_company_id": "nosuchco"},
                         "does not know the company ID “nosuchco”"),
    "wrong Base URL path": (lambda sim, port: {"base_url": sim.root_url + "/v9_9_release/apis/3.0"},
                            "This ConnectWise site runs codebase /v4_6_release/, but the Base URL uses /v9_9_release"),
    "closed port": (lambda sim, port: {"base_url": f"http://127.0.0.1:{port}/v4_6_release/apis/3.0"},
                    "Could not reach 127.0.0.1"),
    "https to a plain HTTP server": (lambda sim, port: {"base_url": sim.base_url.replace("http://", "https://")},
                                     "TLS error"),
}


@pytest.mark.parametrize("case", WRONG_SETTINGS)
def test_each_wrong_setting_is_named(post, login, admin, cw_settings, cw_sim, db, unused_port, case):
    """Each wrong setting gets its own message: keys, company ID, Base URL, unreachable host, TLS."""
    change, message = WRONG_SETTINGS[case]
    for attr, value in change(cw_sim, unused_port).items():
        setattr(cw_settings, attr, value)
    db.session.commit()
    login(admin)
    response = post(URL + "/test", headers={"HX-Request": "true"})
    assert message.encode() in response.data
    assert b"Connection successful" not in response.data


def test_timeout(post, login, admin, app, cw_settings, cw_sim):
    """A server that never answers gets a timeout message naming the seconds."""
    app.config["CW_READ_TIMEOUT"] = 0.3
    cw_sim.faults(hang=True)
    login(admin)
    response = post(URL + "/test", headers={"HX-Request": "true"})
    assert b"did not answer within 0.3 seconds" in response.data


def test_rate_limited(post, login, admin, cw_settings, cw_sim):
    """A 429 says when to try again, at once: the request is not re-sent inside the throttle window."""
    cw_sim.faults(rate_limit={"count": 10, "retry_after": 7})
    login(admin)
    response = post(URL + "/test", headers={"HX-Request": "true"})
    assert b"ConnectWise is rate limiting; try again in 7 s" in response.data
    assert len(cw_sim.journal()) == 1


def test_missing_permission(post, login, admin, cw_settings, cw_sim):
    """A 403 on the board read names the security role."""
    cw_sim.faults(error_count=5, error_status=403, paths="/service/boards")
    login(admin)
    response = post(URL + "/test", headers={"HX-Request": "true"})
    assert b"security role lacks permission" in response.data


def test_test_connection_without_javascript_flashes(client, post, login, admin, cw_settings):
    """Without HTMX, Test Connection redirects back and flashes the result."""
    login(admin)
    response = post(URL + "/test", follow_redirects=True)
    assert b"Connection successful" in response.data


def test_private_key_never_logged(post, login, admin, cw_settings, caplog):
    """No log line carries the private key."""
    login(admin)
    with caplog.at_level("DEBUG"):
        post(URL + "/test", headers={"HX-Request": "true"})
    assert caplog.records and CW_PRIVATE_KEY not in caplog.text


def test_missing_client_id_is_explained(post, login, admin, app, cw_settings):
    """Without CW_CLIENT_ID on the server, Test Connection says the operator must set it."""
    app.config["CW_CLIENT_ID"] = ""
    login(admin)
    response = post(URL + "/test", headers={"HX-Request": "true"})
    assert b"must set CW_CLIENT_ID" in response.data


@pytest.mark.parametrize("faults, change, message", [
    ({"bad_credentials_status": 404}, {"private_key": "wrong"}, "which ConnectWise cloud does for wrong API keys"),
    ({"bad_credentials_status": 404}, {"cw_company_id": "nosuchco"}, "does not know the company ID “nosuchco”"),
    ({"error_count": 5, "error_status": 502, "error_body": "html"}, {}, "answered HTTP 502: ConnectWise is having trouble"),
])
def test_diagnosis_of_cloud_404_and_html_errors(post, login, admin, cw_settings, cw_sim, db, faults, change, message):
    """Cloud's 404 for bad credentials is diagnosed through companyinfo; an HTML 5xx page is not echoed."""
    cw_sim.faults(**faults)
    for attr, value in change.items():
        setattr(cw_settings, attr, value)
    db.session.commit()
    login(admin)
    response = post(URL + "/test", headers={"HX-Request": "true"})
    assert message.encode() in response.data
    assert b"cloudflare" not in response.data and b"Connection successful" not in response.data


def test_403_on_system_info_names_client_id_and_role(post, login, admin, app, cw_settings, cw_sim):
    """A refused clientId (403) says it may be the clientId or the security role."""
    cw_sim.faults(missing_client_id_status=403)
    app.config["CW_CLIENT_ID"] = "not-a-registered-client-id"
    login(admin)
    response = post(URL + "/test", headers={"HX-Request": "true"})
    assert b"clientId is missing or not accepted" in response.data and b"security role" in response.data


def test_hanging_connectwise_frees_the_worker_within_the_budget(post, login, admin, app, cw_settings, cw_sim):
    """Test Connection against a hanging server ends within CW_INTERACTIVE_BUDGET, retries included."""
    app.config.update(CW_INTERACTIVE_BUDGET=1.0, CW_READ_TIMEOUT=0.8)
    cw_sim.faults(hang=True)
    login(admin)
    started = time.monotonic()
    response = post(URL + "/test", headers={"HX-Request": "true"})
    assert time.monotonic() - started < 1.6
    assert b"did not answer within" in response.data
