"""/profile and temporary passwords (PRODUCT §1)."""
import pytest

from cbcw.accounts.timezones import COMMON, timezone_choices
from tests.conftest import PASSWORD

NEW = "my very own secret"


def change_password(post, current=PASSWORD, new=NEW, confirm=None):
    return post("/profile/password", {"current_password": current, "new_password": new, "confirm_password": confirm or new})


def test_profile_saves_name_and_timezone(client, post, login, engineer, db):
    """Every user can change their display name and timezone on /profile."""
    login(engineer)
    assert client.get("/profile").status_code == 200
    response = post("/profile", {"display_name": "Erin E.", "timezone": "Australia/Sydney"})
    assert response.status_code == 302
    db.session.refresh(engineer)
    assert (engineer.display_name, engineer.timezone) == ("Erin E.", "Australia/Sydney")


@pytest.mark.parametrize("zone", ["Factory", "localtime", "US/Eastern", "posixrules", "Not/AZone", ""])
def test_profile_refuses_zones_that_are_not_real_choices(post, login, engineer, db, zone):
    """Aliases, "Factory", "localtime" and made-up names are refused with a message."""
    login(engineer)
    response = post("/profile", {"display_name": "Erin", "timezone": zone})
    assert response.status_code == 200
    db.session.refresh(engineer)
    assert engineer.timezone == "UTC"


@pytest.mark.parametrize("typed, saved", [("Sydney", "Australia/Sydney"), ("sydney", "Australia/Sydney"),
                                           ("new york", "America/New_York"), ("New_York", "America/New_York"),
                                           ("europe/london", "Europe/London"), ("buenos aires", "America/Argentina/Buenos_Aires")])
def test_profile_accepts_a_city_naming_one_zone_and_saves_the_zone(post, login, engineer, db, typed, saved):
    """A typed city matching exactly one zone's last part (any case, space or underscore) saves that zone."""
    login(engineer)
    response = post("/profile", {"display_name": "Erin", "timezone": typed})
    assert response.status_code == 302
    db.session.refresh(engineer)
    assert engineer.timezone == saved


def test_an_ambiguous_city_is_refused_with_the_zones_it_matches(post, login, engineer, db, monkeypatch):
    """A city that names two zones is refused, and the message lists both."""
    zones = ("UTC", "America/Indiana/Indianapolis", "Asia/Indianapolis")
    monkeypatch.setattr("cbcw.accounts.timezones.timezone_choices", lambda: zones)
    login(engineer)
    response = post("/profile", {"display_name": "Erin", "timezone": "indianapolis"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "matches several timezones: America/Indiana/Indianapolis, Asia/Indianapolis" in page
    db.session.refresh(engineer)
    assert engineer.timezone == "UTC"


def test_invite_form_accepts_a_city_for_the_timezone(post, login, admin, db):
    """Inviting a user with the timezone typed as a city saves the canonical zone."""
    from cbcw.accounts.models import User

    login(admin)
    post("/settings/users/invite", {
        "display_name": "New", "email": "city@example.test", "role": "engineer", "timezone": "sydney",
    })
    assert db.session.scalar(db.select(User).filter_by(email="city@example.test")).timezone == "Australia/Sydney"


def test_timezone_list_has_common_zones_first_and_no_aliases():
    """The list starts with the common zones and holds only canonical region/city zones and UTC."""
    zones = timezone_choices()
    assert zones[: len(COMMON)] == COMMON
    assert {"Factory", "localtime", "US/Eastern", "GB", "EST5EDT"}.isdisjoint(zones)
    assert all(zone == "UTC" or "/" in zone for zone in zones)


def test_profile_offers_the_searchable_timezone_list(client, login, engineer):
    """The timezone field is a text box searching a datalist of the zones."""
    login(engineer)
    page = client.get("/profile").get_data(as_text=True)
    assert 'list="timezone-options"' in page and '<option value="Europe/London">' in page
    assert '<option value="Factory">' not in page


def test_password_change_needs_the_current_password(post, login, engineer, db):
    """A wrong current password changes nothing."""
    login(engineer)
    response = change_password(post, current="not it")
    assert b"That is not your current password." in response.data
    db.session.refresh(engineer)
    assert engineer.check_password(PASSWORD)


def test_guessing_the_current_password_is_throttled_like_a_login(post, login, engineer, db):
    """A stolen session cannot guess the current password quickly: the sixth wrong guess gets 429,
    and then even the right one waits (nothing changes)."""
    login(engineer)
    for _ in range(5):
        assert change_password(post, current="guess").status_code == 200
    throttled = change_password(post, current="guess")
    assert throttled.status_code == 429 and b"Too many wrong passwords" in throttled.data
    assert 0 < int(throttled.headers["Retry-After"]) <= 900
    assert change_password(post).status_code == 429
    db.session.refresh(engineer)
    assert engineer.check_password(PASSWORD)


def test_password_change_needs_matching_confirmation(post, login, engineer):
    """The new password must be typed twice the same."""
    login(engineer)
    assert b"The passwords differ." in change_password(post, confirm="something else").data


def test_password_change_lets_the_user_log_in_with_the_new_one(client, post, login, engineer):
    """After a change the new password works and the old one does not."""
    login(engineer)
    assert change_password(post).status_code == 302
    post("/logout")
    assert post("/login", {"email": engineer.email, "password": PASSWORD}).status_code == 200
    assert post("/login", {"email": engineer.email, "password": NEW}).status_code == 302


@pytest.fixture
def temporary_user(post, login, admin, make_user, client):
    """A user whose password an admin just set, logged in with it (the admin logged out)."""
    user = make_user("engineer")
    login(admin)
    post(f"/settings/users/{user.id}/edit", {
        "display_name": user.display_name, "email": user.email, "role": "engineer", "timezone": "UTC",
        "active": "y", "password": "temporary secret",
    })
    post("/logout")
    assert post("/login", {"email": user.email, "password": "temporary secret"}).status_code == 302
    return user


def test_temporary_password_must_be_replaced_before_anything_else(client, temporary_user):
    """A user logged in with an admin-set password is sent to choose their own, from every page."""
    for url in ("/changes", "/profile", "/settings/users"):
        response = client.get(url)
        assert response.status_code == 302 and response.location.endswith("/profile/password")
    assert b"Choose your password" in client.get("/profile/password").data


def test_temporary_password_htmx_request_redirects_the_page(client, temporary_user):
    """An HTMX request from a user holding a temporary password sends the page to choose one."""
    response = client.get("/changes", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"].endswith("/profile/password")


def test_choosing_a_password_opens_the_app(client, post, temporary_user, db):
    """Once the user has chosen their own (different) password, the app opens normally."""
    assert b"different from the current one" in change_password(post, current="temporary secret", new="temporary secret").data
    assert change_password(post, current="temporary secret").status_code == 302
    assert client.get("/changes").status_code == 200
    db.session.refresh(temporary_user)
    assert not temporary_user.must_change_password


def test_a_password_set_in_settings_is_temporary(post, login, admin, engineer, db):
    """A password an admin sets for someone else in settings is temporary."""
    login(admin)
    post(f"/settings/users/{engineer.id}/edit", {
        "display_name": engineer.display_name, "email": engineer.email, "role": "engineer", "timezone": "UTC",
        "active": "y", "password": "initial secret",
    })
    db.session.refresh(engineer)
    assert engineer.must_change_password


def test_admin_changes_own_password_on_the_profile_not_in_settings(post, login, admin):
    """Setting one's own password through the users settings is refused (it would be temporary)."""
    login(admin)
    response = post(f"/settings/users/{admin.id}/edit", {
        "display_name": admin.display_name, "email": admin.email, "role": "admin", "timezone": "UTC",
        "active": "y", "password": "a new admin secret",
    })
    assert b"Change your own password on your profile page." in response.data


def test_invite_form_defaults_to_engineer_and_the_timezone_list(client, login, admin):
    """The invite form preselects Engineer (not Admin) and searches the same timezone list."""
    login(admin)
    page = client.get("/settings/users/invite").get_data(as_text=True)
    assert '<option selected value="engineer">' in page
    assert 'list="timezone-options"' in page and '<option value="Factory">' not in page


@pytest.mark.parametrize("name", ["Erin\nBcc: x@example.test", "Erin\u2029E.", "Erin\x07"])
def test_display_names_are_one_line_on_the_profile_and_in_settings(post, login, admin, engineer, db, name):
    """A name with a line break or control character is a clear form error in both forms."""
    login(admin)
    response = post("/profile", {"display_name": name, "timezone": "UTC"})
    assert response.status_code == 200 and "Use one line of text" in response.get_data(as_text=True)
    response = post("/settings/users/invite", {"display_name": name, "email": "new@example.test",
                                               "role": "engineer", "timezone": "UTC"})
    assert response.status_code == 200 and "Use one line of text" in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.display_name == "Ada Admin"
