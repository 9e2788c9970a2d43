"""Changing a user's address in Settings → Users: the new address takes effect once its owner
confirms it, so the answer never tells whether another organisation uses it (as invitations)."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from cbcw.accounts.email_changes import EmailChange
from cbcw.accounts.invitations import Invitation
from cbcw.accounts.models import User
from cbcw.mail.models import MailMessage
from tests.conftest import PASSWORD


def _form(user, email):
    return {"display_name": user.display_name, "email": email, "role": user.role, "timezone": "UTC", "active": "y"}


def _link(db, email):
    body = db.session.scalars(select(MailMessage.text_body).filter_by(to_address=email)).one()
    return re.search(r"http://127\.0\.0\.1:5000(/email-confirmation/\S+)", body).group(1)


@pytest.fixture
def taken(make_org, make_user):
    """An address another organisation's user has."""
    return make_user("engineer", organisation=make_org(), email="taken@example.test")


def test_the_answer_and_the_form_are_the_same_whether_the_address_exists_elsewhere(
        client, login, post, admin, make_user, taken, db):
    login(admin)

    def answer(email):
        user = make_user("engineer", display_name="Pat Person")
        response = post(f"/settings/users/{user.id}/edit", _form(user, email))
        page = client.get("/settings/users").get_data(as_text=True)
        flashed = re.findall(r'class="flash[^"]*"[^>]*>([^<]*)<', page)
        form = client.get(f"/settings/users/{user.id}/edit").get_data(as_text=True)
        hide = lambda text: text.replace(email, "NEW").replace(user.email, "OLD").replace(f"/{user.id}/", "/ID/")  # noqa: E731
        return (response.status_code, hide(response.headers["Location"]), [hide(m) for m in flashed],
                hide(re.sub(r'name="csrf_token" (type="hidden" )?value="[^"]*"', "", re.search(
                    r'<form method="post" class="form-grid".*?</form>', form, re.S).group(0))))

    shown = answer("taken@example.test")
    assert shown == answer("free@example.test")
    assert shown[2] == ["User OLD saved.", "The new address NEW awaits confirmation: Pat Person signs in with OLD "
                                           "until they confirm it from their new mailbox."]
    assert "Awaiting confirmation: NEW." in shown[3]
    assert db.session.scalars(select(MailMessage).filter_by(to_address="taken@example.test")).first() is None
    assert db.session.scalars(select(MailMessage).filter_by(to_address="free@example.test")).one()
    db.session.refresh(taken)
    assert taken.organisation_id != admin.organisation_id  # left alone


def test_the_user_confirms_the_new_address_signed_in_with_the_current_one(
        client, login, post, admin, engineer, db):
    old = engineer.email
    login(admin)
    post(f"/settings/users/{engineer.id}/edit", _form(engineer, "New.Address@Example.test"))
    db.session.refresh(engineer)
    assert engineer.email == old  # not before it is confirmed
    path = _link(db, "new.address@example.test")
    assert db.session.scalars(select(EmailChange.token_hash)).one() not in path  # only its hash is kept
    post("/logout")
    assert client.get(path).status_code == 302  # sign in first
    login(engineer)
    page = client.get(path).get_data(as_text=True)
    assert "Confirm new.address@example.test" in page
    assert post(path).status_code == 302
    db.session.refresh(engineer)
    assert engineer.email == "new.address@example.test"
    post("/logout")
    assert post("/login", {"email": old, "password": PASSWORD}).status_code == 200
    assert post("/login", {"email": "new.address@example.test", "password": PASSWORD}).status_code == 302
    assert client.get(path).status_code == 404  # once only


def test_someone_else_signed_in_cannot_confirm(client, login, post, admin, engineer, db):
    login(admin)
    post(f"/settings/users/{engineer.id}/edit", _form(engineer, "new@example.test"))
    path = _link(db, "new@example.test")
    assert client.get(path).status_code == 404
    assert post(path).status_code == 404
    db.session.refresh(engineer)
    assert engineer.email != "new@example.test"


def test_an_expired_or_replaced_link_does_not_work(client, login, post, admin, engineer, db):
    login(admin)
    post(f"/settings/users/{engineer.id}/edit", _form(engineer, "first@example.test"))
    post(f"/settings/users/{engineer.id}/edit", _form(engineer, "second@example.test"))
    first, second = _link(db, "first@example.test"), _link(db, "second@example.test")
    db.session.scalars(select(EmailChange).filter_by(email="second@example.test")).one().expires_at -= timedelta(days=8)
    db.session.commit()
    post("/logout")
    login(engineer)
    assert client.get(first).status_code == 404 and client.get(second).status_code == 404
    assert client.get("/email-confirmation/not-a-token").status_code == 404
    assert client.get("/email-confirmation/" + "x" * 500).status_code == 404


def test_an_address_taken_before_confirmation_does_not_confirm(client, login, post, admin, engineer, make_org,
                                                               make_user, db):
    login(admin)
    post(f"/settings/users/{engineer.id}/edit", _form(engineer, "wanted@example.test"))
    path = _link(db, "wanted@example.test")
    make_user("engineer", organisation=make_org(), email="wanted@example.test")
    post("/logout")
    login(engineer)
    assert "This link no longer works" in post(path).get_data(as_text=True)
    db.session.refresh(engineer)
    assert engineer.email != "wanted@example.test"


def test_an_address_of_the_same_organisation_is_named(client, login, post, admin, engineer, make_user, taken, db):
    """The admin sees their own users, and those invited (listed like users), so they are named."""
    colleague = make_user("engineer", email="colleague@example.test")
    login(admin)
    post("/settings/users/invite", {"display_name": "Tara Taken", "email": "taken@example.test", "role": "engineer",
                                    "timezone": "UTC"})
    assert db.session.scalars(select(Invitation).filter_by(email="taken@example.test")).one()
    for email in (colleague.email, "TAKEN@example.test"):
        response = post(f"/settings/users/{engineer.id}/edit", _form(engineer, email))
        assert "Another user of your organisation already uses this email address." in response.get_data(as_text=True)
    assert db.session.scalars(select(EmailChange)).first() is None


def test_saving_other_fields_keeps_the_address_and_asks_nothing(client, login, post, admin, engineer, db):
    login(admin)
    post(f"/settings/users/{engineer.id}/edit", {**_form(engineer, engineer.email.upper()), "display_name": "Renamed"})
    db.session.refresh(engineer)
    assert engineer.display_name == "Renamed"
    assert db.session.scalars(select(EmailChange)).first() is None
    assert db.session.scalars(select(User).filter_by(email=engineer.email)).one() == engineer
