"""Company and board mapping, type mapping, status names and member matching, over the live simulator."""
import pytest

from cbcw.connectwise.settings.mappings import get_settings
from cbcw.connectwise.settings.models import CompanyMapping, ConfigurationTypeMapping, MemberMatch

URL = "/settings/integrations/connectwise"
HX = {"HX-Request": "true"}


@pytest.fixture
def devices_types(db, org):
    from cbcw.devices.models import DeviceType

    types = {name: DeviceType(organisation_id=org.id, name=name) for name in ("Server", "Network Switch", "Firewall")}
    db.session.add_all(types.values())
    db.session.commit()
    return types


def map_company(post, company, cw_company_id=101):
    return post(f"{URL}/companies/{company.id}/map", {"cw_company_id": cw_company_id}, headers=HX)


def test_typeahead_finds_companies_by_name(client, login, admin, company, cw_settings):
    """Typing part of a name lists matching ConnectWise companies as choices."""
    login(admin)
    response = client.get(f"{URL}/companies/search", query_string={"company_id": company.id, "q": "acme"}, headers=HX)
    assert response.status_code == 200
    assert b"Acme Manufacturing" in response.data and b"(AcmeMfg)" in response.data
    assert b"Acme Defunct Widgets" not in response.data  # deleted companies are not offered
    assert "HX-Request" in response.headers["Vary"]


def test_typeahead_with_awkward_characters_is_exact(client, login, admin, company, cw_settings):
    """Quotes, %, & and * in the query match literally, never as wildcards."""
    login(admin)
    response = client.get(f"{URL}/companies/search",
                          query_string={"company_id": company.id, "q": '"Quoted" & Sons (50% + more)*'}, headers=HX)
    assert b"O&#39;Brien" in response.data
    assert b"Acme*Star" not in response.data


def test_blank_typeahead_query_lists_companies_as_options(client, login, admin, company, cw_settings):
    """Focusing the picker (a blank query) lists the first active ConnectWise companies by name, as
    listbox options carrying their ids (the combobox's ↑ ↓ and Enter)."""
    login(admin)
    response = client.get(f"{URL}/companies/search", query_string={"company_id": company.id, "q": " "}, headers=HX)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'role="option"' in page and 'data-value="101"' in page
    assert "Acme Manufacturing" in page and "Acme Defunct Widgets" not in page


def test_a_company_mapped_to_another_client_says_which(post, client, login, admin, company, make_company, cw_settings):
    """Mapping a second client to a ConnectWise company already mapped warns, naming the first
    client, in the picker's options and in the row after mapping."""
    other = make_company("Second Client")
    login(admin)
    map_company(post, company, 101)
    options = client.get(f"{URL}/companies/search", query_string={"company_id": other.id, "q": "acme"}, headers=HX)
    assert f"already mapped to {company.name}" in options.get_data(as_text=True)
    row = map_company(post, other, 101).get_data(as_text=True)
    assert f"is also mapped to {company.name}:" in " ".join(row.split())


def test_map_company_shows_it_in_the_row(post, login, admin, company, cw_settings, db):
    """Choosing a result maps the company and the row shows the ConnectWise name and All boards."""
    login(admin)
    response = map_company(post, company, 101)
    mapping = db.session.scalar(db.select(CompanyMapping).filter_by(company_id=company.id))
    assert (mapping.cw_company_id, mapping.cw_company_identifier) == (101, "AcmeMfg")
    assert b"Acme Manufacturing" in response.data and b"All boards" in response.data
    assert b'id="company-row-' in response.data


def test_map_unknown_cw_company_changes_nothing(post, login, admin, company, cw_settings, db):
    """A ConnectWise company id that does not exist is refused with a message."""
    login(admin)
    response = map_company(post, company, 99999)
    assert "ConnectWise could not find this record or path" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(CompanyMapping)) is None


def test_filter_boards_dialog_and_apply(client, post, login, admin, company, cw_settings, db):
    """Filter Boards lists the service boards; Apply stores the chosen ones and the row names them."""
    login(admin)
    map_company(post, company, 101)
    dialog = client.get(f"{URL}/companies/{company.id}/boards", headers=HX)
    assert b"Service Board" in dialog.data and b"Help Desk" in dialog.data
    assert b"Projects" not in dialog.data  # project boards are not service boards
    response = post(f"{URL}/companies/{company.id}/boards", {"board_id": ["1", "2"]}, headers=HX)
    assert b"Service Board, Change Management" in response.data
    mapping = db.session.scalar(db.select(CompanyMapping).filter_by(company_id=company.id))
    assert mapping.board_ids == [1, 2]


def test_filter_boards_ignores_unknown_board_ids(post, login, admin, company, cw_settings, db):
    """A board id ConnectWise does not have is dropped, not stored."""
    login(admin)
    map_company(post, company, 101)
    post(f"{URL}/companies/{company.id}/boards", {"board_id": ["2", "777"]}, headers=HX)
    assert db.session.scalar(db.select(CompanyMapping)).board_ids == [2]


def test_type_mapping_lists_and_saves(client, post, login, admin, org, cw_settings, devices_types, db):
    """Every CW configuration type gets a device-type dropdown; Save stores the choices."""
    login(admin)
    section = client.get(f"{URL}/types", headers=HX)
    for name in (b"Server", b"Network Switch", b"Workstation", b"Firewall", b"Printer"):
        assert name in section.data
    assert "— not imported —".encode() in section.data
    response = post(f"{URL}/types", {"type_1": devices_types["Server"].id, "type_2": devices_types["Network Switch"].id,
                                     "type_5": ""}, headers=HX)
    assert b"2 type(s) will be imported" in response.data
    rows = {m.cw_type_name: m.device_type_id for m in db.session.scalars(db.select(ConfigurationTypeMapping))}
    assert rows["Server"] == devices_types["Server"].id and rows["Printer"] is None


def test_status_warning_names_the_board(client, post, login, admin, company, cw_settings):
    """A status name missing on a board in use is a warning naming that board; saving still succeeds."""
    login(admin)
    response = post(f"{URL}/statuses", {
        "auto_update_status": "y", "status_change_created": "Awaiting CAB", "status_fully_approved": "Scheduled",
        "status_change_scheduled": "In Progress", "status_change_completed": "Resolved",
        "status_change_cancelled": "Cancelled"}, follow_redirects=True)
    assert b"saved, with warnings" in response.data
    assert "“Awaiting CAB” (Change Created) does not exist on board <strong>Help Desk</strong>".encode() in response.data
    assert b"Service Board</strong>" not in response.data
    assert get_settings(admin.organisation_id).status_change_created == "Awaiting CAB"


def test_status_fields_offer_the_boards_statuses(client, login, admin, company, cw_settings):
    """The status fields share a pick-list of the statuses of the boards in use, each saying where it
    exists ("Awaiting CAB" is missing on Help Desk, so it is offered as only on the other boards)."""
    login(admin)
    page = client.get(URL).get_data(as_text=True)
    assert page.count('list="cw-status-names"') == 5
    options = client.get(f"{URL}/statuses/names", headers=HX).get_data(as_text=True)
    assert '<option value="Awaiting CAB" label="Awaiting CAB (only on ' in options
    assert "Help Desk" not in options.split('value="Awaiting CAB"')[1].split("</option>")[0]
    assert '<option value="Change Linked" label="Change Linked (on every board in use)">' in options


def test_board_filter_limits_the_status_check(post, login, admin, company, cw_settings):
    """With every company filtered to boards that have the status, there is no warning."""
    login(admin)
    map_company(post, company, 101)
    post(f"{URL}/companies/{company.id}/boards", {"board_id": ["1"]}, headers=HX)
    response = post(f"{URL}/statuses", {"status_change_created": "Awaiting CAB"}, follow_redirects=True)
    assert b"Every status exists on every board in use." in response.data


def test_status_save_survives_outage(post, login, admin, cw_settings, cw_sim):
    """ConnectWise down: the names are saved and the page says they could not be checked."""
    cw_sim.faults(error_rate=1.0, error_status=503)
    login(admin)
    response = post(f"{URL}/statuses", {"status_change_created": "Change Linked"}, follow_redirects=True)
    assert response.status_code == 200
    assert b"could not be checked" in response.data
    assert get_settings(admin.organisation_id).status_change_created == "Change Linked"


def test_refresh_member_matches(post, login, make_user, cw_settings, db):
    """Refresh matches users by office or primary email; a user without a member shows no match."""
    admin = make_user("admin", email="admin@demo.test")
    make_user("engineer", email="ops.approver@demo.test")
    make_user("viewer", email="viewer@demo.test")
    login(admin)
    response = post(f"{URL}/members/refresh", headers=HX)
    assert b"2 matched, 1 without a member" in response.data
    matches = {m.user.email: m for m in db.session.scalars(db.select(MemberMatch))}
    assert matches["ops.approver@demo.test"].cw_member_identifier == "oops"  # via primary email
    assert matches["admin@demo.test"].cw_member_identifier == "aadmin"  # not the API member
    assert matches["viewer@demo.test"].method == "none"


def test_pick_member_by_hand_survives_refresh(client, post, login, make_user, cw_settings, db):
    """A hand-picked member is kept by Refresh matches."""
    admin = make_user("admin", email="admin@demo.test")
    msp = make_user("msp", email="msp@demo.test")
    login(admin)
    picker = client.get(f"{URL}/members/{msp.id}", headers=HX)
    assert b"Morgan Price (mprice)" in picker.data
    assert b"ChangeBreeze API" not in picker.data and b"Frank Former" not in picker.data
    member_id = next(m["id"] for m in __import__("requests").get(
        cw_settings.base_url + "/system/members", timeout=5,
        auth=("demo+demopublickey", "demoprivatekey"),
        headers={"clientId": "3f6b5c52-9a2e-4c4b-8e2f-2d7c1c0b9a11"}).json() if m["identifier"] == "mprice")
    post(f"{URL}/members/{msp.id}", {"cw_member_id": member_id}, headers=HX)
    response = post(f"{URL}/members/refresh", headers=HX)
    assert b"1 chosen by hand kept" in response.data
    match = db.session.scalar(db.select(MemberMatch).filter_by(user_id=msp.id))
    assert (match.method, match.cw_member_identifier) == ("manual", "mprice")


def test_page_works_while_connectwise_is_down(client, login, admin, company, cw_settings, cw_sim):
    """With ConnectWise failing, the page and its sections render with messages, never a 500."""
    cw_sim.faults(error_rate=1.0, error_status=500)
    login(admin)
    assert client.get(URL).status_code == 200
    types = client.get(f"{URL}/types", headers=HX)
    assert types.status_code == 200 and b"Could not load the configuration types" in types.data
    search = client.get(f"{URL}/companies/search", query_string={"company_id": company.id, "q": "acme"}, headers=HX)
    assert search.status_code == 200 and b"unavailable" in search.data


def test_sections_explain_missing_configuration(client, login, admin, company):
    """Before any connection is saved, sections say to save the connection first."""
    login(admin)
    response = client.get(f"{URL}/types", headers=HX)
    assert b"Save the Base URL, Company ID and both API keys first." in response.data


def test_what_the_discussion_receives_is_saved_with_the_statuses(post, login, admin, cw_settings):
    """Both customer-facing choices are off until an admin ticks them on the status form."""
    login(admin)
    assert not cw_settings.plan_includes_test_and_rollback and not cw_settings.time_notes_to_discussion
    post(f"{URL}/statuses", {"plan_includes_test_and_rollback": "y", "time_notes_to_discussion": "y"},
         follow_redirects=True)
    settings = get_settings(admin.organisation_id)
    assert settings.plan_includes_test_and_rollback and settings.time_notes_to_discussion
    post(f"{URL}/statuses", {}, follow_redirects=True)
    settings = get_settings(admin.organisation_id)
    assert not settings.plan_includes_test_and_rollback and not settings.time_notes_to_discussion
