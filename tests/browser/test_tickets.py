"""The ConnectWise ticket in a real browser: typeahead with the keyboard, the widget, the time-entry popup."""
import re

import pytest
import requests
from playwright.sync_api import Page, expect

from cbcw.changes.models import Change
from cbcw.demo.seed import check_demo_connectwise, demo_organisation
from cbcw.extensions import db
from tests.browser.htmx import goto, htmx_swap, is_htmx, settled, url_with
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_security import RECORD_VIOLATIONS


def csp_violations(page: Page) -> list[str]:
    return page.evaluate("window.__cspViolations || []")


@pytest.fixture(autouse=True)
def _record_csp_violations(page: Page):
    """Every page and popup of these tests records CSP violations (the popup included: context-wide)."""
    page.context.add_init_script(RECORD_VIOLATIONS)

ENGINEER = "engineer@demo.test"
ENGINEER_MEMBER_ID = 153  # the simulator's eengineer (cw_simulator/seed.py)
WIDGET_URL = r"/changes/\d+/connectwise-ticket"


def widget(page: Page):
    return page.locator("#cw-ticket-widget")


def test_pick_a_ticket_with_the_keyboard_and_see_the_widget(page, login, demo):
    """Type words of a summary, pick a suggestion with ↓ and Enter, save: the detail page fills the widget."""
    login(page, ENGINEER)
    goto(page, "/changes/new")
    expect(page.locator("#ticket-picker")).to_contain_text("Choose the company first")
    page.get_by_label("Title").fill("Swap the Acme core switch")
    with htmx_swap(page, url_with("/connectwise/ticket-field", company_id=re.compile(r"\d+"))):
        page.get_by_label("Company").select_option(label="Acme Manufacturing")
    search = page.get_by_role("combobox", name="ConnectWise ticket")
    expect(search).to_be_enabled()

    with htmx_swap(page, url_with("/tickets", linked_ticket_query="core switch")):
        search.press_sequentially("core switch", delay=30)
    options = page.locator("#ticket-results [role=option]")
    expect(options.first).to_be_visible()
    expect(options.first).to_contain_text("Replace core switch acme-sw-core")
    first_id = options.first.get_attribute("data-ticket-id")
    assert axe_violations(page) == []  # the open suggestion list too
    search.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    search.press("Enter")

    expect(page.locator("[data-ticket-chosen]")).to_contain_text(f"#{first_id}")
    expect(options).to_have_count(0)
    with page.expect_response(is_htmx(re.compile(WIDGET_URL + "$"))) as widget_loaded:
        page.get_by_role("button", name="Create draft").click()  # a full post; the new page loads the widget

    expect(page.get_by_role("heading", level=1)).to_contain_text("Swap the Acme core switch")
    settled(page, widget_loaded.value)
    link = widget(page).locator("[data-ticket-link]")
    expect(link).to_have_text(f"#{first_id}")
    expect(link).to_have_attribute("href", re.compile(rf"fv_sr100_request\.rails\?service_recid={first_id}&"))
    expect(link).to_have_attribute("target", "_blank")
    expect(widget(page)).to_contain_text("Replace core switch acme-sw-core")
    assert csp_violations(page) == []


def test_time_entry_popup_saves_closes_and_refreshes(page, login, demo, cw_sim):
    """Add Time Entry opens our popup pre-filled; Save posts exactly one time entry for the ticket as the
    member, the popup closes itself and the widget reloads."""
    with demo.app_context():
        check_demo_connectwise(demo_organisation())  # matches engineer@demo.test to member eengineer
        change = db.session.scalar(db.select(Change).where(Change.linked_ticket_id.is_not(None)).order_by(Change.id))
        change_id, ticket_id = change.id, change.linked_ticket_id
    requests.delete(f"{cw_sim.root_url}/_sim/journal", timeout=5)
    login(page, ENGINEER)
    goto(page, f"/changes/{change_id}")
    button = widget(page).get_by_role("link", name="Add Time Entry")
    expect(button).to_be_visible()

    with page.expect_popup() as opened:
        button.click()
    popup = opened.value
    expect(popup.get_by_text(f"#{ticket_id}").first).to_be_visible()
    expect(popup.get_by_label("End")).to_have_value(re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d$"))
    assert axe_violations(popup) == []
    assert csp_violations(popup) == []
    popup.get_by_label("Work description").fill("Checked the switch after the change")
    with htmx_swap(page, re.compile(WIDGET_URL + r"\?refresh=1$")):  # the popup told this page to refresh it
        popup.get_by_role("button", name="Save time entry").click()
        popup.wait_for_event("close")

    posts = [e for e in cw_sim.journal() if e["method"] == "POST" and e["path"].endswith("/time/entries")]
    assert len(posts) == 1
    sent = posts[0]["json"]
    assert (sent["chargeToType"], sent["chargeToId"], sent["member"]["id"]) == ("ServiceTicket", ticket_id,
                                                                               ENGINEER_MEMBER_ID)
    expect(widget(page)).to_be_visible()
    assert axe_violations(page) == []  # the live widget
    assert csp_violations(page) == []


def test_ticket_link_and_its_opens_connectwise_hint_share_a_line(page, login, demo):
    """The widget's "#ticket" link and its "(opens ConnectWise)" hint sit on one line."""
    with demo.app_context():
        change_id = db.session.scalar(db.select(Change.id).where(Change.linked_ticket_id.is_not(None)).order_by(Change.id))
    login(page, ENGINEER)
    page.goto(f"/changes/{change_id}")
    link = widget(page).locator("[data-ticket-link]")
    hint = widget(page).get_by_text("(opens ConnectWise)")
    expect(hint).to_be_visible()
    link_box, hint_box = link.bounding_box(), hint.bounding_box()
    assert abs(link_box["y"] + link_box["height"] - hint_box["y"] - hint_box["height"]) < 4, (link_box, hint_box)
    assert hint_box["x"] > link_box["x"] + link_box["width"]
