"""Who may use the ConnectWise settings, tenant isolation, CSRF, and no plaintext key in the database."""
import pytest
from app import create_app
from cbcw.config import TestConfig
from cbcw.extensions import db as _db

URL = "/settings/integrations/connectwise"
GET_URLS = ["", "/types", "/companies/search?company_id={company}&q=acme", "/companies/{company}/boards",
            "/members/{user}"]
POST_URLS = ["", "/test", "/statuses", "/types", "/companies/{company}/map", "/companies/{company}/boards",
             "/members/refresh", "/members/{user}"]


def fill(path, company, user):
    return URL + path.format(company=company.id, user=user.id)


@pytest.mark.parametrize("role", ["engineer", "viewer"])
def test_below_msp_gets_403_everywhere(client, post, login, make_user, company, role):
    """Engineers and viewers get 403 on every settings URL and partial, GET and POST."""
    user = login(make_user(role))
    for path in GET_URLS:
        assert client.get(fill(path, company, user), headers={"HX-Request": "true"}).status_code == 403, path
    for path in POST_URLS:
        assert post(fill(path, company, user), {}, headers={"HX-Request": "true"}).status_code == 403, path


def test_logged_out_is_sent_to_login(client, company, admin):
    """A visitor who is not logged in is redirected to the login page."""
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.location


def test_foreign_ids_are_404(client, post, login, admin, make_org, make_company, make_user, cw_settings):
    """Another organisation's company or user id is a 404 on every URL that takes one."""
    other = make_org()
    foreign_company, foreign_user = make_company(organisation=other), make_user(organisation=other)
    login(admin)
    for path in ("/companies/search?company_id={company}&q=acme", "/companies/{company}/boards", "/members/{user}"):
        assert client.get(fill(path, foreign_company, foreign_user)).status_code == 404, path
    for path in ("/companies/{company}/map", "/companies/{company}/boards", "/members/{user}"):
        assert post(fill(path, foreign_company, foreign_user), {"cw_company_id": 101}).status_code == 404, path


@pytest.mark.parametrize("path", POST_URLS)
def test_post_without_csrf_is_refused(client, login, admin, company, path):
    """Every settings POST (HTMX or not) without a CSRF token is refused."""
    login(admin)
    url = fill(path, company, admin)
    assert client.post(url, data={"cw_company_id": 101}).status_code == 400
    assert client.post(url, data={"cw_company_id": 101}, headers={"HX-Request": "true"}).status_code == 400


def test_database_file_holds_no_plaintext_key(tmp_path, cw_sim):
    """After saving through the page, the SQLite file does not contain the private key."""
    secret = "very-secret-private-key-4711"
    database = tmp_path / "keys.sqlite"

    class FileConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{database}"

    app = create_app(FileConfig)
    with app.app_context():
        _db.create_all()
        from cbcw.accounts.models import User
        from cbcw.organisations.models import Organisation

        org = Organisation(name="Keys")
        _db.session.add(org)
        _db.session.flush()
        admin = User(organisation_id=org.id, email="keys@example.test", display_name="K", role="admin")
        admin.set_password("correct horse battery")
        _db.session.add(admin)
        _db.session.commit()
        org_id = org.id
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    client.post("/login", data={"email": "keys@example.test", "password": "correct horse battery"})
    client.post(URL, data={"enabled": "y", "base_url": cw_sim.base_url, "cw_company_id": "demo",
                           "public_key": "demopublickey", "private_key": secret})
    with app.app_context():
        from cbcw.connectwise.settings.mappings import get_settings

        assert get_settings(org_id).private_key == secret
        _db.session.remove()
        _db.engine.dispose()
    assert secret.encode() not in database.read_bytes()
