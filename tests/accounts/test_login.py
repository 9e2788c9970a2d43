"""Login, logout and the login rate limit."""


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


def test_next_parameter_cannot_redirect_off_site(client, post, admin):
    """?next= only follows same-site paths."""
    response = post("/login?next=//evil.example/x", {"email": admin.email, "password": "correct horse battery"})
    assert response.location.endswith("/changes") or response.location == "/"
