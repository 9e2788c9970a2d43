"""The simulator answers as ConnectWise (and what stands in front of it) does, so client
regressions show in tests: LIKE patterns, URL length, parameter names, auth-failure modes, HTML 5xx."""
import pytest


def _names(cw_sim, conditions):
    response = cw_sim.raw("GET", "/company/companies", params={"conditions": conditions, "pageSize": 1000})
    assert response.status_code == 200
    return {c["name"] for c in response.json()}


def test_contains_is_a_like_pattern_so_unescaped_wildcards_over_match(cw_sim):
    """`%`, `_`, `*` and `[...]` are wildcards inside contains; bracketed they are literal."""
    assert _names(cw_sim, 'name contains "100%"') == {"Adatum 100% Solutions"}
    assert len(_names(cw_sim, 'name contains "e*S"')) > 1  # e…S anywhere
    assert _names(cw_sim, 'name contains "e[*]S"') == {"Acme*Star Holdings"}
    assert len(_names(cw_sim, 'name contains "[L]"')) > 1  # a class matching any "l"
    assert _names(cw_sim, 'name contains "[[]L"') == {"Litware [Legal] Services"}
    assert _names(cw_sim, 'name contains "0[%] S"') == {"Adatum 100% Solutions"}
    assert _names(cw_sim, 'name like "Contoso_Ltd"') == {"Contoso Ltd"}


def test_parameter_names_are_case_insensitive(cw_sim):
    """`pagesize` and `CONDITIONS` work as `pageSize` and `conditions` do."""
    response = cw_sim.raw("GET", "/company/companies", params={"pagesize": 2, "CONDITIONS": 'name contains "o"'})
    assert response.status_code == 200 and len(response.json()) == 2
    assert all("o" in c["name"].lower() for c in response.json())


@pytest.mark.parametrize("name", ["childConditions", "customFieldConditions", "childconditions"])
def test_unimplemented_condition_parameters_are_refused(cw_sim, name):
    """The simulator refuses (400) what it would otherwise silently ignore."""
    response = cw_sim.raw("GET", "/company/companies", params={name: 'x = "y"'})
    assert response.status_code == 400 and "not implemented" in response.json()["message"]


def test_url_longer_than_2000_characters_is_404_as_iis_answers(cw_sim):
    """A long query string gets IIS's HTML 404, before authentication."""
    long_conditions = "id in (" + ",".join(str(n) for n in range(1, 500)) + ")"
    response = cw_sim.raw("GET", "/company/companies", params={"conditions": long_conditions})
    assert response.status_code == 404 and response.headers["Content-Type"].startswith("text/html")
    short = cw_sim.raw("GET", "/company/companies", params={"conditions": "id in (1,2)"})
    assert short.status_code == 200


def test_bad_credentials_can_answer_404_as_cloud_does(cw_sim):
    """With bad_credentials_status 404, wrong keys get 404 instead of 401."""
    cw_sim.faults(bad_credentials_status=404)
    assert cw_sim.raw("GET", "/system/info", auth=("demo+demopublickey", "wrong")).status_code == 404
    assert cw_sim.raw("GET", "/system/info").status_code == 200


def test_missing_client_id_can_answer_403(cw_sim):
    """With missing_client_id_status 403, a missing clientId gets 403."""
    cw_sim.faults(missing_client_id_status=403)
    assert cw_sim.raw("GET", "/system/info", client_id=None).status_code == 403


def test_server_errors_can_answer_html_as_a_proxy_does(cw_sim):
    """error_body html: a 502 answered with Cloudflare's HTML page."""
    cw_sim.faults(error_count=1, error_status=502, error_body="html")
    response = cw_sim.raw("GET", "/system/info")
    assert response.status_code == 502 and response.headers["Content-Type"].startswith("text/html")
    assert b"<html>" in response.content
