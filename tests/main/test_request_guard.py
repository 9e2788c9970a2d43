"""Requests refused before any view: NUL characters and bodies of unknown length (PRODUCT §4)."""
import io

import pytest

from cbcw.changes.models import Change
from cbcw.extensions import db


@pytest.mark.parametrize("url", ["/changes?q=a%00b", "/devices?q=a%00b", "/devices/mentions?q=a%00b",
                                 "/reports/device-changes?date_from=2030%0001-01"])
def test_nul_in_a_query_is_a_400_with_a_message(client, login, engineer, url):
    """A NUL character in a query parameter gets the product's 400 page saying why, not a 500."""
    login(engineer)
    response = client.get(url)
    assert response.status_code == 400 and "NUL character" in response.text


def test_nul_in_a_form_field_is_refused_and_nothing_is_stored(client, login, engineer, post, company):
    """A change title holding a NUL is refused with a message; no change is created."""
    login(engineer)
    response = post("/changes/new", {"title": "x\x00y", "company_id": company.id, "risk": "low"})
    assert response.status_code == 400 and "NUL character" in response.text
    assert db.session.scalar(db.select(db.func.count()).select_from(Change)) == 0


def test_nul_in_the_login_form_is_a_400(client, post):
    """The login form (no user yet) refuses a NUL too."""
    response = post("/login", {"email": "a\x00b@demo.test", "password": "x"})
    assert response.status_code == 400 and "NUL character" in response.text


def test_htmx_request_with_a_nul_gets_the_message_alone(client, login, engineer):
    """An HTMX request gets the message as a fragment for its live region."""
    login(engineer)
    response = client.get("/changes?q=%00", headers={"HX-Request": "true"})
    assert response.status_code == 400 and "NUL character" in response.text and "<html" not in response.text


def test_a_chunked_body_is_refused_with_411(client, login, engineer, make_change):
    """A body without a Content-Length (chunked) is refused, never cut at 2 MB and processed."""
    change = make_change()
    login(engineer)
    body = b"comment-text=" + b"A" * 3_000_000

    response = client.post(f"/changes/{change.id}/comments", input_stream=io.BytesIO(body),
                           headers={"Transfer-Encoding": "chunked",
                                    "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 411 and "Content-Length" in response.text
    timeline = client.get(f"/changes/{change.id}?tab=timeline")
    assert timeline.status_code == 200 and "AAAA" not in timeline.text
