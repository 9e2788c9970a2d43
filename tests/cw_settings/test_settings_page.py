"""The settings page: read-only GETs, a constant statement count, Test Connection's place and words,
and a member picker that warns before moving a member to another user."""
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from cbcw.connectwise.settings.models import CompanyMapping, ConnectWiseSettings, MemberMatch

URL = "/settings/integrations/connectwise"
HX = {"HX-Request": "true"}


def test_looking_at_the_settings_never_writes(client, login, admin, db, company):
    """GETs of the page and its sections on an organisation without settings insert no row."""
    login(admin)
    for url in (URL, f"{URL}/types", f"{URL}/members/{admin.id}", f"{URL}/members",
                f"{URL}/companies/search?company_id={company.id}&q=acme"):
        assert client.get(url, headers=HX).status_code == 200, url
    assert client.get(URL).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(ConnectWiseSettings)) == 0


def _fill(db, org, make_company, make_user, n):
    """n mapped companies and n users with member matches."""
    for i in range(n):
        company = make_company()
        user = make_user()
        db.session.add(CompanyMapping(organisation_id=org.id, company_id=company.id, cw_company_id=1000 + i,
                                      cw_company_identifier=f"C{i}", cw_company_name=f"CW {i}",
                                      board_ids=[1], board_names=["Service Board"]))
        db.session.add(MemberMatch(organisation_id=org.id, user_id=user.id, cw_member_id=10_000 + user.id,
                                   cw_member_identifier=f"m{i}", cw_member_name=f"M {i}", method="auto"))
    db.session.commit()


def _statements(client, db, url):
    seen = []

    def count(*args):
        seen.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_settings_page_statement_count_does_not_grow_with_data(client, login, admin, db, org, make_company,
                                                                make_user, cw_settings):
    """The page runs the same number of SQL statements with 3 companies/users as with 15."""
    login(admin)
    _fill(db, org, make_company, make_user, 3)
    small = _statements(client, db, URL)
    _fill(db, org, make_company, make_user, 12)
    assert _statements(client, db, URL) == small


def test_test_connection_sits_beside_save_and_says_it_tests_saved_values(client, login, admin, cw_settings):
    """The Test Connection button is in Save's row and tells the user it tests the saved settings."""
    login(admin)
    page = client.get(URL).get_data(as_text=True)
    actions = page[page.index('<div class="actions full">'):]
    actions = actions[:actions.index("</div>")]
    assert "Save Settings" in actions and "Test Connection" in actions
    assert "Tests the saved settings, not changes you have not saved yet." in actions


@pytest.fixture
def matched_elsewhere(db, org, make_user):
    """Member 152 (mprice in the simulator) is already matched to another user."""
    other = make_user(display_name="Olive Other")
    db.session.add(MemberMatch(organisation_id=org.id, user_id=other.id, cw_member_id=152, cw_member_identifier="mprice",
                               cw_member_name="Morgan Price (mprice)", method="manual"))
    db.session.commit()
    return other


def test_member_picker_marks_members_matched_to_someone_else_and_has_cancel(client, login, admin, cw_settings,
                                                                          matched_elsewhere):
    """The list says who a member is already matched to, and Cancel leads back to the section."""
    login(admin)
    response = client.get(f"{URL}/members/{admin.id}", headers=HX)
    assert b"(matched to Olive Other)" in response.data
    assert b">Cancel</a>" in response.data and f'hx-get="{URL}/members"'.encode() in response.data
    assert client.get(f"{URL}/members", headers=HX).status_code == 200


def test_picking_a_member_matched_elsewhere_asks_first_and_moves_the_match(client, post, login, admin, db, cw_settings,
                                                                          matched_elsewhere):
    """The first POST only warns (nothing saved); "Move the match" gives the member to this user and
    leaves the other without one: one member, one user (PRODUCT §3.10)."""
    login(admin)
    response = post(f"{URL}/members/{admin.id}", {"cw_member_id": 152}, headers=HX)
    assert b"is already matched to Olive Other" in response.data and b"Move the match" in response.data
    assert b"belongs to one user only" in response.data
    assert response.headers["HX-Retarget"] == f"#member-pick-{admin.id}"
    assert db.session.scalar(select(MemberMatch).where(MemberMatch.user_id == admin.id)) is None
    post(f"{URL}/members/{admin.id}", {"cw_member_id": 152, "confirm": "y"}, headers=HX)
    holders = db.session.scalars(select(MemberMatch.user_id).where(MemberMatch.cw_member_id == 152)).all()
    assert holders == [admin.id]


def test_two_users_cannot_hold_one_member(db, admin, make_user, cw_settings):
    """The database refuses a second user on a member, whatever the code path."""
    other = make_user("engineer")
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add_all([
            MemberMatch(organisation_id=admin.organisation_id, user_id=admin.id, cw_member_id=153, method="manual"),
            MemberMatch(organisation_id=admin.organisation_id, user_id=other.id, cw_member_id=153, method="manual")])
        db.session.flush()


def test_change_form_has_no_ticket_field_while_the_integration_is_off(client, login, admin, company, cw_settings, db,
                                                                      make_change):
    """Switched off (keys still stored), the integration adds no ConnectWise ticket field to the
    new or the edit form; switched on, it does."""
    login(admin)
    assert "linked_ticket_query" in client.get("/changes/new").get_data(as_text=True)
    cw_settings.enabled = False
    db.session.commit()
    change = make_change(created_by=admin)
    for url in ("/changes/new", f"/changes/{change.id}/edit"):
        page = client.get(url).get_data(as_text=True)
        assert "linked_ticket_query" not in page and "ConnectWise ticket" not in page, url


def test_settings_page_has_a_table_of_contents_and_no_duplicate_landmark(client, login, admin, company, cw_settings):
    """The six sections are linked from one named navigation; the company pickers are no search landmarks."""
    login(admin)
    page = client.get("/settings/integrations/connectwise").get_data(as_text=True)
    assert '<nav class="in-page-nav" aria-label="ConnectWise sections">' in page
    for anchor in ("connection", "companies", "types", "sync", "statuses", "members"):
        assert f'href="#{anchor}"' in page and f'id="{anchor}"' in page
    assert 'role="search"' not in page and 'role="combobox"' in page
