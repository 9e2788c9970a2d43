"""Every request leaves one parseable log line, without query strings or form values."""
import logging

import pytest


def request_lines(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "cbcw.request"]


def test_a_request_logs_one_line_with_method_path_status_and_user(caplog, login, client, engineer):
    """A page view logs method, path, status, duration and the user's and organisation's ids."""
    login(engineer)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="cbcw.request"):
        client.get("/changes?q=secret-search-words")
    [line] = request_lines(caplog)
    assert line.startswith("method=GET path=/changes status=200 ms=")
    assert f"user={engineer.id} org={engineer.organisation_id}" in line
    assert "secret-search-words" not in line


def test_the_login_post_logs_neither_email_nor_password(caplog, post, engineer):
    """Form values never reach the request log."""
    with caplog.at_level(logging.INFO, logger="cbcw.request"):
        post("/login", {"email": engineer.email, "password": "wrong-password-here"})
    lines = request_lines(caplog)
    assert lines and lines[-1].startswith("method=POST path=/login status=")
    assert not any(engineer.email in line or "wrong-password-here" in line for line in lines)


def test_the_development_server_logs_no_request_line_with_its_query(app, caplog):
    """werkzeug's own request line (full URL, tokens included) is dropped; our redacted line stays."""
    import threading
    import urllib.request

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app)
    serving = threading.Thread(target=server.handle_request)
    serving.start()
    with caplog.at_level(logging.INFO):
        urllib.request.urlopen(f"http://127.0.0.1:{server.port}/login?token=secret-in-the-url").read()
        serving.join()
    server.server_close()
    assert not any("secret-in-the-url" in record.getMessage() for record in caplog.records)
    assert any(r.name == "cbcw.request" and "path=/login status=200" in r.getMessage() for r in caplog.records)


def test_gunicorn_keeps_no_access_log():
    """The deployment's gunicorn commands write no access log (its lines hold the full URL)."""
    from pathlib import Path

    deploy = Path(__file__).resolve().parent.parent / "deploy"
    for name in ("Procfile", "prod-local.sh"):
        assert "--access-logfile" not in (deploy / name).read_text(), name


@pytest.mark.parametrize("method, path, logged", [
    ("GET", "/connectwise/callbacks/CBSECRET987", "/connectwise/callbacks/<key>"),
    ("HEAD", "/connectwise/callbacks/CBSECRET987", "/connectwise/callbacks/<key>"),
    ("PUT", "/calendar/feed/FEEDSECRET987.ics", "/calendar/feed/<token>.ics"),
    ("DELETE", "/invitation/INVSECRET987", "/invitation/<token>"),
    ("GET", "/calendar/feed/FEEDSECRET987.ics", "/calendar/feed/<token>.ics"),
])
def test_a_secret_in_the_path_is_never_logged_whatever_the_method(caplog, client, method, path, logged):
    """A browser opening a callback address, a calendar client probing its feed with another method: the
    refusal (405, 404) is logged with the rule, never with the secret."""
    with caplog.at_level(logging.INFO, logger="cbcw.request"):
        response = client.open(path, method=method)
    assert response.status_code in (404, 405)
    assert f"path={logged} " in caplog.text and "SECRET987" not in caplog.text


def test_a_path_no_rule_takes_is_logged_as_it_is(caplog, client):
    with caplog.at_level(logging.INFO, logger="cbcw.request"):
        assert client.get("/no/such/page").status_code == 404
    assert "path=/no/such/page " in caplog.text
