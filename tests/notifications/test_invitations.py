"""Invitations instead of admin-typed passwords (PRODUCT §2.9)."""
import re
from datetime import timedelta

from sqlalchemy import select

from cbcw.accounts.invitations import Invitation
from cbcw.accounts.models import User
from cbcw.mail.models import MailMessage

FORM = {"display_name": "Nina New", "role": "engineer", "timezone": "UTC"}


def _invite(post, email):
    return post("/settings/users/invite", {**FORM, "email": email}, follow_redirects=True)


def _link(db, email):
    body = db.session.scalars(select(MailMessage.text_body).filter_by(to_address=email)).one()
    return re.search(r"http://127\.0\.0\.1:5000(/invitation/\S+)", body).group(1)


def test_invited_person_sets_a_password_through_a_one_time_link(client, login, post, admin, db):
    login(admin)
    assert "Invitation sent to nina@example.test" in _invite(post, "Nina@Example.test").get_data(as_text=True)
    path = _link(db, "nina@example.test")
    token = path.rsplit("/", 1)[1]
    assert db.session.scalars(select(Invitation.token_hash)).one() != token  # only its hash is kept
    assert "Invited" in client.get("/settings/users").get_data(as_text=True)
    post("/logout")
    assert client.get(path).status_code == 200
    response = post(path, {"new_password": "a brand new secret", "confirm_password": "a brand new secret"})
    assert response.status_code == 302
    assert post("/login", {"email": "nina@example.test", "password": "a brand new secret"}).status_code == 302
    post("/logout")
    assert client.get(path).status_code == 404  # once only


def test_an_expired_link_does_not_work(client, login, post, admin, db):
    login(admin)
    _invite(post, "late@example.test")
    path = _link(db, "late@example.test")
    invitation = db.session.scalars(select(Invitation)).one()
    invitation.expires_at -= timedelta(days=8)
    db.session.commit()
    post("/logout")
    assert client.get(path).status_code == 404
    assert client.get("/invitation/not-a-token").status_code == 404


def test_the_answer_is_the_same_whether_the_address_exists_in_another_organisation(
        client, login, post, admin, make_org, make_user, db):
    make_user("engineer", organisation=make_org(), email="taken@example.test")
    login(admin)

    def answer(email):
        response = post("/settings/users/invite", {**FORM, "email": email})
        flashed = re.findall(r'class="flash[^"]*"[^>]*>([^<]*)<', client.get("/settings/users").get_data(as_text=True))
        return response.status_code, response.headers.get("Location"), [m.replace(email, "EMAIL") for m in flashed]

    assert answer("taken@example.test") == answer("free@example.test")
    taken = db.session.scalars(select(User).filter_by(email="taken@example.test")).one()
    assert taken.organisation_id != admin.organisation_id  # left alone
    assert db.session.scalars(select(MailMessage).filter_by(to_address="taken@example.test")).first() is None


def test_the_users_list_shows_every_invitee_whether_or_not_the_address_exists_elsewhere(
        client, login, post, admin, make_org, make_user, db):
    """Both invitees are listed alike as invited, and inviting either again gets the same answer."""
    make_user("engineer", organisation=make_org(), email="taken@example.test")
    login(admin)
    for email, name in (("taken@example.test", "Tara Taken"), ("free@example.test", "Fred Free")):
        post("/settings/users/invite", {**FORM, "display_name": name, "email": email, "vcab_member": "y"})
    page = client.get("/settings/users").get_data(as_text=True)
    rows = {name: re.sub(r"\s+", " ", re.search(rf"<tr>\s*<td[^>]*>{name}</td>(.*?)</tr>", page, re.S).group(1))
            for name in ("Tara Taken", "Fred Free")}
    assert rows["Tara Taken"].replace("taken@", "X@") == rows["Fred Free"].replace("free@", "X@")
    assert "Invited" in rows["Tara Taken"] and "vCAB" in rows["Tara Taken"]
    for email, name in (("taken@example.test", "Tara Taken"), ("free@example.test", "Fred Free")):
        response = post("/settings/users/invite", {**FORM, "email": email})
        assert f"{name} already has an account with this address." in response.get_data(as_text=True)
    assert db.session.scalars(select(MailMessage).filter_by(to_address="taken@example.test")).first() is None
    taken = db.session.scalars(select(User).filter_by(email="taken@example.test")).one()
    assert taken.organisation_id != admin.organisation_id  # left alone
