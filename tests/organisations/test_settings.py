"""Organisation Settings: companies and users, admin and MSP only."""
import pytest

from cbcw.accounts.models import User
from cbcw.organisations.models import Company

SETTINGS_PAGES = ["/settings/companies", "/settings/users", "/settings/users/invite"]


@pytest.mark.parametrize("url", SETTINGS_PAGES)
@pytest.mark.parametrize("role", ["engineer", "viewer"])
def test_settings_refused_below_msp(client, login, make_user, url, role):
    """Engineers and viewers get 403 on every settings page."""
    login(make_user(role))
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url, shown", [
    ("/settings/companies", ["<h1>Companies</h1>", "Acme Manufacturing", 'name="name"']),
    ("/settings/users", ["<h1>Users</h1>", "Erin Engineer", "Signed In As Me"]),
    ("/settings/users/invite", ["<h1>Invite a user</h1>", 'name="email"']),
])
@pytest.mark.parametrize("role", ["admin", "msp"])
def test_settings_open_to_admin_and_msp(client, login, make_user, company, engineer, url, shown, role):
    """Admins and MSP users open every settings page and see its form or their organisation's rows."""
    login(make_user(role, display_name="Signed In As Me"))
    response = client.get(url)
    assert response.status_code == 200
    for text in shown:
        assert text in response.get_data(as_text=True)


def test_add_company(client, post, login, admin, db):
    """Adding a company lists it."""
    login(admin)
    response = post("/settings/companies", {"name": "Globex", "active": "y"}, follow_redirects=True)
    assert b"Globex" in response.data
    assert db.session.scalar(db.select(Company).filter_by(name="Globex")).organisation_id == admin.organisation_id


def _company_names(db, organisation_id):
    return db.session.scalars(db.select(Company.name).filter_by(organisation_id=organisation_id).order_by(Company.id)).all()


def test_duplicate_company_name_is_refused(post, login, admin, company, db):
    """A second company with the same name (any case) is refused with a message, and nothing is saved."""
    login(admin)
    response = post("/settings/companies", {"name": company.name.upper(), "active": "y"})
    assert response.status_code == 200
    assert f"A company named “{company.name.upper()}” already exists".encode() in response.data
    assert _company_names(db, admin.organisation_id) == [company.name]


def test_renaming_onto_another_company_name_is_refused(post, login, admin, company, make_company, db):
    """Renaming a company to another's name in different case is refused; both keep their names."""
    other = make_company("Globex")
    login(admin)
    response = post(f"/settings/companies/{other.id}/edit", {"name": company.name.lower(), "active": "y"})
    assert "already exists".encode() in response.data
    db.session.expire_all()
    assert _company_names(db, admin.organisation_id) == [company.name, "Globex"]


def test_blank_company_name_keeps_form(post, login, admin):
    """A blank name re-renders the form with a field error."""
    login(admin)
    response = post("/settings/companies", {"name": "  "})
    assert b"This field is required." in response.data


def test_rename_and_deactivate_company(post, login, admin, company, db):
    """A company can be renamed and deactivated."""
    login(admin)
    post(f"/settings/companies/{company.id}/edit", {"name": "Acme Ltd"})
    db.session.refresh(company)
    assert (company.name, company.active) == ("Acme Ltd", False)


def test_people_are_invited_not_added_with_a_typed_password(client, post, login, admin, db):
    """There is no add-with-a-password page: new people are invited and choose their own password."""
    login(admin)
    assert client.get("/settings/users/new").status_code == 404
    assert "Add with a password" not in client.get("/settings/users").get_data(as_text=True)
    post("/settings/users/invite", {
        "display_name": "New Person", "email": "New.Person@Example.test", "role": "engineer",
        "timezone": "Pacific/Auckland", "vcab_member": "y",
    })
    user = db.session.scalar(db.select(User).filter_by(email="new.person@example.test"))
    assert user.vcab_member and user.timezone == "Pacific/Auckland"


def test_user_form_errors_keep_typed_values(post, login, admin, engineer):
    """An invalid user form shows errors and keeps what was typed."""
    login(admin)
    response = post(f"/settings/users/{engineer.id}/edit", {
        "display_name": "Typed Name", "email": "not-an-email", "role": "engineer", "timezone": "UTC", "password": "short",
    })
    assert b"Enter a valid email address." in response.data
    assert b"Use at least 10 characters." in response.data
    assert b'value="Typed Name"' in response.data


def test_msp_cannot_grant_admin(post, login, make_user, db):
    """Only an admin can make someone an admin."""
    login(make_user("msp"))
    response = post("/settings/users/invite", {
        "display_name": "X", "email": "x@example.test", "role": "admin", "timezone": "UTC",
    })
    assert b"Only an admin can grant" in response.data
    assert db.session.scalar(db.select(User).filter_by(email="x@example.test")) is None


def test_admin_cannot_demote_self(post, login, admin, db):
    """An admin cannot lock themselves out by changing their own role."""
    login(admin)
    response = post(f"/settings/users/{admin.id}/edit", {
        "display_name": admin.display_name, "email": admin.email, "role": "viewer", "timezone": "UTC", "active": "y",
    })
    assert b"cannot change your own role" in response.data
    db.session.refresh(admin)
    assert admin.role == "admin"


def test_foreign_company_and_user_are_404(client, login, admin, make_org, make_company, make_user):
    """Another organisation's company or user id is a 404."""
    other = make_org()
    foreign_company = make_company(organisation=other)
    foreign_user = make_user(organisation=other)
    login(admin)
    assert client.get(f"/settings/companies/{foreign_company.id}/edit").status_code == 404
    assert client.get(f"/settings/users/{foreign_user.id}/edit").status_code == 404
    assert foreign_company.name.encode() not in client.get("/settings/companies").data


def _user_form(user, **changes):
    return {"display_name": user.display_name, "email": user.email, "role": user.role, "timezone": "UTC",
            "active": "y", **({"vcab_member": "y"} if user.vcab_member else {}), **changes}


def test_msp_cannot_take_over_an_ecab_member(client, post, login, make_user, db):
    """An MSP user cannot set the password, email or boards of an ECAB member (only an admin can),
    and the form does not offer them."""
    approver = make_user("engineer", ecab_member=True)
    password_hash = approver.password_hash
    login(make_user("msp"))
    page = client.get(f"/settings/users/{approver.id}/edit").get_data(as_text=True)
    assert 'name="password"' not in page and 'name="email"' not in page and "Only an admin changes" in page
    post(f"/settings/users/{approver.id}/edit",
         _user_form(approver, password="taken over pw!", email="msp-owned@example.test", vcab_member="y"))
    db.session.refresh(approver)
    assert (approver.password_hash, approver.email, approver.vcab_member, approver.ecab_member) == (
        password_hash, approver.email, False, True)
    assert approver.email != "msp-owned@example.test"


def test_nobody_changes_their_own_boards(client, post, login, make_user, db):
    """An MSP user cannot make themselves a vCAB member; an admin cannot make themselves ECAB."""
    for role, board in (("msp", "vcab_member"), ("admin", "ecab_member")):
        me = login(make_user(role))
        assert f'name="{board}"' not in client.get(f"/settings/users/{me.id}/edit").get_data(as_text=True)
        post(f"/settings/users/{me.id}/edit", _user_form(me, **{board: "y"}))
        db.session.refresh(me)
        assert not getattr(me, board)
        post("/logout")


def test_crafted_board_change_of_self_is_refused_by_the_service(make_user, db):
    """The service itself refuses a change the form would not offer (a crafted post)."""
    from cbcw.organisations.service import SettingsError, save_user

    msp = make_user("msp")
    with pytest.raises(SettingsError, match="own board membership"):
        save_user(msp, {**_user_form(msp), "vcab_member": True, "active": True}, msp)


def test_admin_still_edits_an_ecab_member(post, login, admin, make_user, db):
    """An admin sets an ECAB member's password and boards."""
    approver = make_user("engineer", ecab_member=True)
    login(admin)
    post(f"/settings/users/{approver.id}/edit",
         _user_form(approver, password="a new temporary pw", vcab_member="y", ecab_member="y"))
    db.session.refresh(approver)
    assert approver.vcab_member and approver.ecab_member and approver.check_password("a new temporary pw")
