"""Every request leaves one parseable log line, without query strings or form values."""
import logging


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
