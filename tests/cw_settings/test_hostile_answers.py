"""Whatever a "ConnectWise" answers, and whatever Base URL is stored, every settings route gives a
page or a message, never a 500."""
import re
import socket
from unittest import mock

import pytest
import responses

from cbcw.connectwise.settings.mappings import get_settings
from cbcw.connectwise.settings.models import CompanyMapping
from tests.fixtures.cw_simulator import CW_PRIVATE_KEY, CW_PUBLIC_KEY

URL = "/settings/integrations/connectwise"
HX = {"HX-Request": "true"}
HOST = "https://cw.example.com"


@pytest.fixture
def hostile(db, org, company, admin, login):
    """Settings pointing at a server `responses` plays; the company is mapped; the admin is logged in."""
    settings = get_settings(org.id)
    settings.enabled, settings.base_url, settings.cw_company_id = True, HOST + "/v4_6_release/apis/3.0", "demo"
    settings.public_key, settings.private_key = CW_PUBLIC_KEY, CW_PRIVATE_KEY
    settings.status_change_created = "Change Created"
    db.session.add(CompanyMapping(organisation_id=org.id, company_id=company.id, cw_company_id=101,
                                  cw_company_identifier="Acme", cw_company_name="Acme", board_ids=[], board_names=[]))
    db.session.commit()
    login(admin)
    return settings


def _routes(company, admin):
    return [
        ("get", f"{URL}/companies/search?company_id={company.id}&q=acme", None),
        ("post", f"{URL}/companies/{company.id}/map", {"cw_company_id": 101}),
        ("get", f"{URL}/companies/{company.id}/boards", None),
        ("get", f"{URL}/types", None),
        ("get", f"{URL}/members/{admin.id}", None),
        ("post", f"{URL}/statuses", {"status_change_created": "Change Created"}),
        ("post", f"{URL}/members/refresh", None),
        ("post", f"{URL}/test", None),
    ]


ANSWERS = {
    "dict where a list belongs": {"json": {"id": 1}},
    "list of null": {"json": [None]},
    "list of empty record": {"json": [{}]},
    "records without ids": {"json": [{"name": "x"}]},
    "ids that are not integers": {"json": [{"id": "1", "name": 5}]},
    "HTML page": {"body": "<html><body>Sign in</body></html>", "content_type": "text/html"},
    "redirect loop": {"status": 302, "headers": {"Location": HOST + "/v4_6_release/apis/3.0/system/info"}},
}


@pytest.mark.parametrize("answer", ANSWERS)
@responses.activate
def test_wrong_shaped_answers_never_give_a_500(hostile, client, post, company, admin, answer):
    """Each route answers below 500 whatever shape the server's JSON (or HTML, or redirect) has."""
    responses.add(responses.GET, re.compile(re.escape(HOST) + r"/.*"), **ANSWERS[answer])
    for method, url, data in _routes(company, admin):
        response = client.get(url, headers=HX) if method == "get" else post(url, data, headers=HX)
        assert response.status_code < 500, (url, response.status_code)
        assert response.status_code in (200, 302, 303), url


@pytest.mark.parametrize("base_url", ["http://[::1]:5100/v4_6_release/apis/3.0", "http://host:99999/v4_6_release/apis/3.0",
                                      "http://host:abc/v4_6_release/apis/3.0", "http://:80/v4_6_release/apis/3.0"])
def test_odd_stored_base_urls_never_give_a_500(hostile, client, post, company, admin, db, monkeypatch, base_url):
    """A stored Base URL with an IPv6 literal, a port out of range or a non-numeric port is a message."""
    monkeypatch.setattr(socket, "getaddrinfo", mock.Mock(side_effect=socket.gaierror(-2, "not known")))
    hostile.base_url = base_url
    db.session.commit()
    for method, url, data in _routes(company, admin):
        response = client.get(url, headers=HX) if method == "get" else post(url, data, headers=HX)
        assert response.status_code in (200, 302, 303), (url, response.status_code)


@pytest.mark.parametrize("typed", ["http://[::1]:5100", "http://host:99999", "http://host:abc"])
def test_odd_base_urls_typed_in_the_form_are_form_errors(hostile, post, typed):
    """Typing such a Base URL re-renders the form with a message (the IPv6 literal is kept, with brackets)."""
    response = post(URL, {"enabled": "y", "base_url": typed, "cw_company_id": "demo", "public_key": "p",
                          "private_key": "k"})
    assert response.status_code in (200, 302)
    if "::1" in typed:
        assert get_settings(hostile.organisation_id).base_url == "http://[::1]:5100/v4_6_release/apis/3.0"
    else:
        assert b"must be a number from 1 to 65535" in response.data
