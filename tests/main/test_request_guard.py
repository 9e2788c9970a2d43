"""Requests refused before any view: NUL characters, bodies of unknown length, oversized fields (PRODUCT §4)."""
import io

import pytest
from werkzeug.test import encode_multipart

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


FIELD_LIMIT = 500_000  # MAX_FIELD_BYTES' default, Flask's MAX_FORM_MEMORY_SIZE
ENCODINGS = ["application/x-www-form-urlencoded", "multipart/form-data"]


@pytest.fixture
def post_encoded(client, csrf_token):
    """POST a form with its CSRF token in the given encoding. A multipart body is encoded here in
    memory: the test client would spool one over 500 kB to a temporary file it never closes."""

    def do_post(url, data, content_type, **kwargs):
        data = {**data, "csrf_token": csrf_token()}
        if content_type == "multipart/form-data":
            boundary, body = encode_multipart(data)
            return client.post(url, data=body, content_type=f"{content_type}; boundary={boundary}", **kwargs)
        return client.post(url, data=data, content_type=content_type, **kwargs)

    return do_post


@pytest.mark.parametrize("content_type", ENCODINGS)
@pytest.mark.parametrize("value", ["x" * 600_000, "é" * (FIELD_LIMIT // 2 + 1)], ids=["600 kB", "500,002 bytes in é"])
def test_a_field_over_the_limit_is_a_413_in_either_encoding(client, post_encoded, login, engineer, content_type, value):
    """One field over MAX_FIELD_BYTES (counted in bytes) is refused with the product's 413 whether
    the form is url-encoded or multipart; nothing is saved."""
    login(engineer)
    response = post_encoded("/profile", {"display_name": value, "timezone": "UTC"}, content_type)
    assert response.status_code == 413 and "too large" in response.text and 'class="brand"' in response.text
    assert 'value="Erin Engineer"' in client.get("/profile").text


@pytest.mark.parametrize("content_type", ENCODINGS)
def test_htmx_request_with_a_field_over_the_limit_gets_the_message_alone(post_encoded, login, engineer, content_type):
    """An HTMX form with an oversized field gets the 413 message as a fragment for its live region."""
    login(engineer)
    response = post_encoded("/profile", {"display_name": "x" * 600_000, "timezone": "UTC"}, content_type,
                             headers={"HX-Request": "true"})
    assert response.status_code == 413 and "too large" in response.text and "<html" not in response.text


@pytest.mark.parametrize("content_type", ENCODINGS)
def test_a_field_under_the_limit_reaches_the_form(post_encoded, login, engineer, content_type):
    """A 400 kB field is within MAX_FIELD_BYTES: the form itself judges it (here: too long for a name)."""
    login(engineer)
    response = post_encoded("/profile", {"display_name": "x" * 400_000, "timezone": "UTC"}, content_type)
    assert response.status_code == 200 and "cannot be longer than 120 characters" in response.text
