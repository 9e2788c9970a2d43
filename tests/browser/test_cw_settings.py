"""ConnectWise settings page in a real browser: what needs JavaScript and HTMX to work.

The breadth (validation, encryption, every error message) is covered without a browser in
tests/cw_settings/; these check that the buttons, swaps, typeahead and dialog really work, each
through an HTMX request swapped in place (tests/browser/htmx.py): the full-page fallbacks render
the same results, so the text alone would not tell.
"""
import re

from playwright.sync_api import Page, expect

from cbcw.accounts.models import User
from cbcw.connectwise.settings.mappings import get_settings
from cbcw.extensions import db
from tests.browser.conftest import SETTINGS_URL
from tests.browser.htmx import goto, htmx_click, htmx_swap, is_htmx, settled, url_with

ADMIN = "admin@demo.test"


def open_settings(page: Page, login) -> Page:
    login(page, ADMIN)
    goto(page, SETTINGS_URL)
    expect(page.get_by_role("heading", name="ConnectWise", exact=True)).to_be_visible()
    return page


def company_row(page: Page, name: str):
    return page.locator("tr[id^='company-row-']").filter(has=page.get_by_role("cell", name=name, exact=True))


def test_save_settings_keeps_private_key_hidden(page, login, demo):
    """Saving the connection shows "Settings saved", keeps the new values and never shows the private key."""
    open_settings(page, login)
    connection = page.locator("#connection")
    new_url = "https://api-eu.myconnectwise.net/v4_6_release/apis/3.0"
    connection.get_by_label("Base URL").fill(new_url)
    connection.get_by_label("Company ID").fill("breeze")
    connection.get_by_label("Public Key").fill("newpublickey")
    connection.get_by_label("Private Key").fill("new-private-key-s3cret")
    connection.get_by_role("button", name="Save Settings").click()

    expect(page.locator(".flash-success")).to_contain_text("Settings saved")
    expect(connection.get_by_label("Base URL")).to_have_value(new_url)
    expect(connection.get_by_label("Company ID")).to_have_value("breeze")
    expect(connection.get_by_label("Public Key")).to_have_value("newpublickey")
    expect(connection.get_by_label("Private Key")).to_have_value("")
    expect(connection).to_contain_text("A private key is stored")
    assert "new-private-key-s3cret" not in page.content()
    with demo.app_context():
        admin = db.session.scalar(db.select(User).filter_by(email=ADMIN))
        assert get_settings(admin.organisation_id).private_key == "new-private-key-s3cret"


def test_test_connection_success_in_place(page, login, demo):
    """Test Connection says "Connection successful" under the button without reloading the page."""
    open_settings(page, login)
    htmx_click(page, page.get_by_role("button", name="Test Connection"), SETTINGS_URL + "/test", "POST")
    expect(page.locator("#test-result")).to_contain_text("Connection successful")


def test_test_connection_names_rejected_keys(page, login, demo):
    """With a wrong private key saved, Test Connection says ConnectWise rejected the API keys."""
    open_settings(page, login)
    connection = page.locator("#connection")
    connection.get_by_label("Private Key").fill("not-the-right-key")
    connection.get_by_role("button", name="Save Settings").click()
    expect(page.locator(".flash-success")).to_contain_text("Settings saved")  # the redirected page

    htmx_click(page, page.get_by_role("button", name="Test Connection"), SETTINGS_URL + "/test", "POST")
    result = page.locator("#test-result")
    expect(result).to_contain_text("rejected the API keys")
    expect(result.locator(".notice")).to_have_class(re.compile(r"\bbad\b"))


def test_map_company_through_typeahead(page, login, demo):
    """Typing "north" in Bluewater Dental's picker lists Northwind Logistics; clicking the option maps the row."""
    open_settings(page, login)
    row = company_row(page, "Bluewater Dental")
    expect(row.locator(".mapped")).to_contain_text("Bluewater Dental")
    expect(row.locator(".boards")).to_have_text("Service Board, Change Management")

    with htmx_swap(page, url_with(SETTINGS_URL + "/companies/search", q="north")):
        row.get_by_role("combobox").press_sequentially("north")
    choice = row.get_by_role("listbox").get_by_role("option", name=re.compile("^Northwind Logistics"))
    expect(choice).to_be_visible()
    htmx_click(page, choice, re.compile(r"/companies/\d+/map$"), "POST")

    expect(row.locator(".mapped")).to_have_text(re.compile(r"Northwind Logistics\s*\(Northwind\)"))
    expect(row.locator(".boards")).to_have_text("All boards")  # another CW company resets the board filter
    expect(row.locator(".typeahead-results li")).to_have_count(0)  # the swapped row starts clean
    page.reload()
    expect(company_row(page, "Bluewater Dental").locator(".mapped")).to_contain_text("Northwind Logistics")


def test_filter_boards_dialog(page, login, demo):
    """Filter Boards opens a modal with board checkboxes; Apply with only Help Desk closes it and the row shows Help Desk."""
    open_settings(page, login)
    row = company_row(page, "Acme Manufacturing")
    expect(row.locator(".boards")).to_have_text("All boards")
    boards_url = re.compile(r"/companies/\d+/boards$")
    htmx_click(page, row.get_by_role("link", name="Filter Boards"), boards_url)

    dialog = page.locator("#boards-dialog")
    expect(dialog).to_be_visible()
    assert dialog.evaluate("d => d.open && d.matches(':modal')"), "Filter Boards should open a modal dialog"
    expect(dialog.get_by_role("heading")).to_have_text("Filter Boards: Acme Manufacturing")
    boxes = dialog.get_by_role("checkbox")
    expect(boxes.first).to_be_visible()
    assert boxes.count() >= 3
    for i in range(boxes.count()):
        boxes.nth(i).uncheck()
    dialog.get_by_label("Help Desk").check()
    htmx_click(page, dialog.get_by_role("button", name="Apply"), boards_url, "POST")

    expect(dialog).to_be_hidden()
    expect(row.locator(".boards")).to_have_text("Help Desk")
    page.reload()
    expect(company_row(page, "Acme Manufacturing").locator(".boards")).to_have_text("Help Desk")


def test_status_names_warn_about_missing_board_status(page, login, demo):
    """The demo starts without a warning; saving "Awaiting CAB" as the Change Created status warns that board Help Desk lacks it."""
    open_settings(page, login)
    statuses = page.locator("#statuses")
    expect(statuses.locator(".status-warnings")).to_have_count(0)
    statuses.get_by_label("Change Created").fill("Awaiting CAB")
    statuses.get_by_label("Fully Approved").fill("Scheduled")
    statuses.get_by_role("button", name="Save Settings").click()

    expect(page.locator(".flash-warning")).to_contain_text("with warnings")
    warning = page.locator("#statuses .status-warnings")
    expect(warning).to_be_visible()
    expect(warning.get_by_role("listitem").filter(has_text="Help Desk")).to_contain_text("“Awaiting CAB”")
    expect(statuses.get_by_label("Change Created")).to_have_value("Awaiting CAB")


def test_configuration_type_mapping_loads_and_saves_in_place(page, login, demo):
    """The Configuration Type Mapping table loads by itself; mapping Printer and saving confirms in place."""
    login(page, ADMIN)
    with page.expect_response(is_htmx(SETTINGS_URL + "/types")) as lazy:
        goto(page, SETTINGS_URL)
    settled(page, lazy.value)
    types = page.locator("#type-mappings")
    printer = types.get_by_label("Printer", exact=True)
    expect(printer).to_have_value("")  # the demo leaves printers unmapped
    printer.select_option(label="Workstation")
    htmx_click(page, types.get_by_role("button", name="Save"), SETTINGS_URL + "/types", "POST")

    expect(types.get_by_role("status")).to_contain_text("Configuration type mapping saved: 5 type(s) will be imported")
    expect(types.get_by_label("Printer", exact=True).locator("option:checked")).to_have_text("Workstation")


def test_engineer_gets_403_and_no_settings_link(page, login, demo):
    """An engineer opening the ConnectWise settings URL sees the 403 page and has no Settings link."""
    login(page, "engineer@demo.test")
    response = page.goto(SETTINGS_URL)
    assert response.status == 403
    expect(page.get_by_role("heading", name="403")).to_be_visible()
    expect(page.locator("main")).to_contain_text("You do not have permission")
    nav = page.locator("nav.mainnav")
    expect(nav.get_by_role("link", name="Changes")).to_be_visible()
    expect(nav.get_by_role("link", name="Settings")).to_have_count(0)
    expect(page.get_by_label("Private Key")).to_have_count(0)
