"""Client transport against `responses`: headers, error mapping, retry policy, logging."""
import base64
import logging
import re

import pytest
import requests
import responses

from cbcw.connectwise.api import errors
from cbcw.connectwise.api.retry import RetryPolicy

BASE = "https://api-na.myconnectwise.net/v4_6_release/apis/3.0"
INFO = BASE + "/system/info"


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def cw(make_cw_client, sleeps):
    """A client for a made-up cloud host whose retries record their waits instead of sleeping."""
    return make_cw_client(BASE, retry=RetryPolicy(attempts=3, cap=5, sleep=sleeps.append))


@responses.activate
def test_every_call_sends_auth_client_id_version_and_timeout(cw):
    """Basic auth company+public:private, clientId and the pinned Accept version are sent."""
    responses.get(INFO, json={"version": "v2025.1"})
    cw.system_info()
    sent = responses.calls[0].request
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(b"demo+demopublickey:demoprivatekey").decode()
    assert sent.headers["clientId"] == cw.session.headers["clientId"]
    assert sent.headers["Accept"] == "application/vnd.connectwise.com+json; version=2025.1"
    assert sent.req_kwargs["timeout"] == (5, 20)


@pytest.mark.parametrize("status, error_class, retryable", [
    (400, errors.ValidationFailed, False), (401, errors.AuthenticationError, False),
    (403, errors.PermissionDenied, False), (404, errors.NotFound, False), (409, errors.Conflict, False),
    (500, errors.Unavailable, True), (503, errors.Unavailable, True),
])
@responses.activate
def test_statuses_map_to_error_classes(cw, status, error_class, retryable):
    """Each HTTP status becomes its error class with .status and .retryable."""
    responses.post(BASE + "/time/entries", status=status,
                   json={"code": "X", "message": "m", "errors": [{"code": "NotFound", "message": "Ticket 9 not found",
                                                                 "resource": "timeEntry", "field": "chargeToId"}]})
    with pytest.raises(error_class) as caught:
        cw.request("POST", "/time/entries", json={})
    assert caught.value.status == status and caught.value.retryable is retryable
    assert "demoprivatekey" not in str(caught.value) and "demopublickey" not in str(caught.value)


@responses.activate
def test_validation_failed_carries_cw_errors(cw):
    """A 400 keeps CW's code, message and errors[] and explains them to the user."""
    body = {"code": "InvalidObject", "message": "serviceNote object is invalid",
            "errors": [{"code": "InvalidObject", "message": "Please choose where to display the notes in order to "
                        "save this record.", "resource": "serviceNote", "field": "detailDescriptionFlag"}]}
    responses.post(BASE + "/service/tickets/1/notes", status=400, json=body)
    with pytest.raises(errors.ValidationFailed) as caught:
        cw.create_ticket_note(1, "x")
    assert caught.value.code == "InvalidObject" and caught.value.errors == body["errors"]
    assert "Please choose where to display" in str(caught.value)


@responses.activate
def test_authentication_error_message_is_fit_for_a_user(cw):
    """401 says to check the company ID and API keys."""
    responses.get(INFO, status=401, json={"code": "Unauthorized", "message": "nope", "errors": None})
    with pytest.raises(errors.AuthenticationError, match="check the company ID and API keys"):
        cw.system_info()


@responses.activate
def test_non_json_body_is_bad_response(cw):
    """A 200 whose body is not JSON raises BadResponse."""
    responses.get(INFO, body="<html>login</html>", status=200)
    with pytest.raises(errors.BadResponse):
        cw.system_info()


@responses.activate
def test_nul_in_an_answer_is_read_as_the_replacement_character(cw):
    """A NUL anywhere in an answer's strings (names, keys, nested lists) comes back as U+FFFD:
    PostgreSQL text cannot hold U+0000, so a synced name carrying one failed the sync."""
    responses.get(INFO, body=b'{"version": "v\\u0000 1", "a\\u0000": [{"name": "x\\u0000y"}], "n": 1}', status=200)
    assert cw.system_info() == {"version": "v\ufffd 1", "a\ufffd": [{"name": "x\ufffdy"}], "n": 1}


@pytest.mark.parametrize("exception, error_class", [
    (requests.exceptions.SSLError("cert"), errors.TLSError),
    (requests.exceptions.ConnectTimeout("t"), errors.Timeout),
    (requests.exceptions.ReadTimeout("t"), errors.Timeout),
    (requests.exceptions.ConnectionError("refused"), errors.Unavailable),
])
@responses.activate
def test_transport_failures_map_to_error_classes(cw, exception, error_class):
    """TLS, timeout and connection failures become TLSError, Timeout and Unavailable."""
    responses.post(INFO, body=exception)
    with pytest.raises(error_class) as caught:
        cw.request("POST", "/system/info")
    assert caught.value.status is None


@responses.activate
def test_get_retried_on_429_honouring_retry_after(cw, sleeps):
    """A GET answered 429 waits Retry-After seconds and tries again."""
    responses.get(INFO, status=429, headers={"Retry-After": "2"},
                  json={"error": "ConnectWiseAPI", "message": "Too many requests. Please try again in 2 seconds."})
    responses.get(INFO, json={"version": "v1"})
    assert cw.system_info() == {"version": "v1"}
    assert sleeps == [2.0]


@responses.activate
def test_background_waits_retry_after_in_full(cw, sleeps):
    """A background read waits the whole Retry-After (never re-sent inside the throttle window)."""
    for _ in range(3):
        responses.get(INFO, status=429, headers={"Retry-After": "30"}, json={"error": "ConnectWiseAPI", "message": "m"})
    with pytest.raises(errors.RateLimited) as caught:
        cw.system_info()
    assert caught.value.retry_after == 30 and caught.value.retryable
    assert sleeps == [30, 30] and len(responses.calls) == 3
    assert "try again in 30 s" in str(caught.value)


@responses.activate
def test_interactive_fails_fast_on_retry_after(make_cw_client, sleeps):
    """An interactive read answered 429 says when to try again, without waiting or re-sending."""
    cw = make_cw_client(BASE, retry=RetryPolicy(attempts=3, wait_retry_after=False, sleep=sleeps.append), budget=10)
    responses.get(INFO, status=429, headers={"Retry-After": "12.5"}, json={"error": "ConnectWiseAPI", "message": "m"})
    with pytest.raises(errors.RateLimited, match=r"ConnectWise is rate limiting; try again in 13 s"):
        cw.system_info()
    assert sleeps == [] and len(responses.calls) == 1


@responses.activate
def test_get_retried_on_503_and_timeout(cw, sleeps):
    """503 and a read timeout are retried with jittered backoff below the cap."""
    responses.get(INFO, status=503)
    responses.get(INFO, body=requests.exceptions.ReadTimeout("slow"))
    responses.get(INFO, json={"version": "v1"})
    assert cw.system_info() == {"version": "v1"}
    assert len(sleeps) == 2 and all(0 <= s <= 5 for s in sleeps)


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize("failure", [{"status": 503}, {"body": requests.exceptions.ReadTimeout("t")},
                                     {"status": 429, "headers": {"Retry-After": "1"}}])
@responses.activate
def test_writes_are_never_retried(cw, sleeps, method, failure):
    """POST and PATCH fail at once on 503, timeout or 429."""
    responses.add(method, BASE + "/service/tickets/1", **failure)
    with pytest.raises(errors.ConnectWiseError):
        cw.request(method, "/service/tickets/1", json=[])
    assert len(responses.calls) == 1 and sleeps == []


@responses.activate
def test_log_line_has_method_path_status_duration_but_no_secrets(cw, caplog):
    """The response hook logs one line per call without credentials or the query."""
    responses.get(INFO, json={})
    with caplog.at_level(logging.INFO, logger="cbcw.connectwise"):
        cw.request("GET", "/system/info", params={"conditions": 'name = "secret-ish"'})
    line = caplog.records[-1].getMessage()
    assert re.fullmatch(r"method=GET path=/v4_6_release/apis/3\.0/system/info status=200 ms=\d+", line)
    assert "demoprivatekey" not in caplog.text and "Basic" not in caplog.text and "secret-ish" not in caplog.text
