"""Login, logout and the login rate limit."""
import pytest


def test_login_page_renders(client):
    """The login page shows the email and password form."""
    response = client.get("/login")
    assert response.status_code == 200
    assert b"Log in to ChangeBreeze" in response.data


def test_login_with_right_password_opens_changes(client, post, admin):
    """A user with the right password lands on the changes list."""
    response = post("/login", {"email": admin.email.upper(), "password": "correct horse battery"})
    assert response.status_code == 302
    assert client.get("/changes").status_code == 200


def test_wrong_password_and_unknown_email_get_the_same_message(client, post, admin):
    """Wrong password and unknown email read the same, so accounts cannot be enumerated."""
    wrong = post("/login", {"email": admin.email, "password": "nope"})
    unknown = post("/login", {"email": "nobody@example.test", "password": "nope"})
    assert b"Invalid email or password." in wrong.data
    assert b"Invalid email or password." in unknown.data
    assert wrong.status_code == unknown.status_code == 200


def test_inactive_user_cannot_log_in(post, make_user):
    """A deactivated account is refused with the same message."""
    user = make_user(active=False)
    response = post("/login", {"email": user.email, "password": "correct horse battery"})
    assert b"Invalid email or password." in response.data


def test_login_is_rate_limited_per_email(post, admin):
    """After five failures even the right password is refused for a while."""
    for _ in range(5):
        post("/login", {"email": admin.email, "password": "wrong"})
    response = post("/login", {"email": admin.email, "password": "correct horse battery"})
    assert response.status_code == 429
    assert b"Too many failed attempts" in response.data


def test_login_without_csrf_token_is_refused(client, admin):
    """A login POST without the CSRF token is refused."""
    response = client.post("/login", data={"email": admin.email, "password": "correct horse battery"})
    assert response.status_code == 400


def test_logout_needs_post_and_ends_session(client, post, login, admin):
    """Logging out (a POST with CSRF) ends the session."""
    login(admin)
    assert client.get("/logout").status_code == 405
    post("/logout")
    response = client.get("/changes")
    assert response.status_code == 302 and "/login" in response.location


# `next` as the query string carries it (percent-decoded once by the server).
HOSTILE_NEXT = {
    "header injection (CR LF)": "/changes%0D%0AX-Injected:%201",
    "line feed": "/%0A",
    "protocol-relative": "//evil.example/x",
    "encoded protocol-relative": "%2F%2Fevil.example",
    "backslash": "/%5Cevil.example",
    "backslash inside": "/changes%5C..%5C",
    "tab (browsers drop it)": "/%09/evil.example",
    "absolute URL": "https://evil.example/",
    "scheme": "javascript:alert(1)",
    "unicode line separator": "/changes%E2%80%A8X-Injected:%201",
    "unicode paragraph separator": "/%E2%80%A9",
    "next line (C1 control)": "/%C2%85",
    "delete character": "/changes%7F",
    "space": "/changes%20x",
    "no-break space": "/changes%C2%A0x",
    "ideographic space": "/%E3%80%80/evil.example",
    "zero-width space": "/%E2%80%8B/evil.example",
    "right-to-left override": "/changes%E2%80%AE",
    "leading space": "%20/changes",
    "not a path": "changes",
}


@pytest.mark.parametrize("target", HOSTILE_NEXT.values(), ids=HOSTILE_NEXT.keys())
def test_hostile_next_is_ignored_and_the_login_still_succeeds(client, post, admin, target):
    """A `next` that is not a plain path on this site (control characters, another host) is
    ignored: the user lands on the changes list, never a 500 and never an open redirect."""
    response = post(f"/login?next={target}", {"email": admin.email, "password": "correct horse battery"})
    assert response.status_code == 302 and response.location == "/"
    assert "X-Injected" not in response.headers
    assert client.get("/changes").status_code == 200


def test_local_next_is_followed_after_login(post, admin):
    """A path on this site, with its query, is where the login lands."""
    response = post("/login?next=/changes%3Fq%3Dfirewall%26page%3D2", {"email": admin.email,
                                                                       "password": "correct horse battery"})
    assert response.status_code == 302 and response.location == "/changes?q=firewall&page=2"


def test_login_lands_on_the_page_asked_for_even_with_a_non_ascii_search(client, post, admin):
    """The page that sent an anonymous user to log in (its search in any script) is where they land."""
    to_login = client.get("/changes?q=café déjà")
    login_page = to_login.location
    response = post(login_page, {"email": admin.email, "password": "correct horse battery"})
    assert response.status_code == 302
    assert client.get(response.location).request.args["q"] == "café déjà"
