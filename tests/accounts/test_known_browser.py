"""The known-browser cookie (PRODUCT §1): set at login, it spares its user the email's delay."""
from cbcw.accounts import known_browser
from tests.accounts.test_profile import NEW, change_password
from tests.conftest import PASSWORD

YEAR_SECONDS = 365 * 24 * 3600


def set_cookie(response) -> str:
    """The Set-Cookie header of the known-browser cookie ('' if the response sets none)."""
    return next((header for header in response.headers.getlist("Set-Cookie")
                 if header.startswith(f"{known_browser.COOKIE_NAME}=")), "")


def attributes(header: str) -> set[str]:
    return {attribute.strip().lower() for attribute in header.split(";")[1:]}


def test_login_marks_the_browser_known_for_a_year_httponly_samesite_lax(post, admin):
    """A successful login sets the known-browser cookie: a year long, HttpOnly, SameSite=Lax."""
    header = set_cookie(post("/login", {"email": admin.email, "password": PASSWORD}))
    assert {"httponly", "samesite=lax", f"max-age={YEAR_SECONDS}", "path=/"} <= attributes(header)
    assert "secure" not in attributes(header)  # the test config serves plain HTTP, as development does


def test_the_cookie_is_secure_when_the_session_cookie_is(app, post, admin):
    """With SESSION_COOKIE_SECURE (production's default) the cookie is sent over HTTPS only."""
    app.config["SESSION_COOKIE_SECURE"] = True
    assert "secure" in attributes(set_cookie(post("/login", {"email": admin.email, "password": PASSWORD})))


def test_a_failed_login_marks_nothing(post, admin):
    """A wrong password leaves no known-browser cookie."""
    assert set_cookie(post("/login", {"email": admin.email, "password": "guess"})) == ""


def test_a_password_change_keeps_this_browser_known_and_retires_the_others(app, client, post, login, engineer, clock):
    """The browser that changed the password stays known; one known before the change is not any more."""
    app.config["WTF_CSRF_ENABLED"] = False  # the other browsers post without the form's token
    other_browser = app.test_client()
    assert other_browser.post("/login", data={"email": engineer.email, "password": PASSWORD}).status_code == 302
    login(engineer)
    assert change_password(post).status_code == 302
    post("/logout")
    attacker = app.test_client()
    for n in range(30):
        attacker.post("/login", data={"email": engineer.email, "password": "guess"},
                      environ_base={"REMOTE_ADDR": f"203.0.113.{n}"})
    retired = other_browser.post("/login", data={"email": engineer.email, "password": NEW},
                                 environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert retired.status_code == 429
    assert post("/login", {"email": engineer.email, "password": NEW}).status_code == 302
