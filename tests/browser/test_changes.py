"""Change pages in a real browser: live search, the Timeline tab and the create → submit path."""
import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_not_reloaded, mark_page

ENGINEER = "engineer@demo.test"


def results_rows(page: Page):
    return page.locator("#results tbody tr")


def test_changes_list_live_search(page, login, demo):
    """Typing in the changes search box narrows the table as you type and the URL keeps the search."""
    login(page, ENGINEER)
    page.goto("/changes")
    expect(results_rows(page)).to_have_count(7)
    mark_page(page)

    page.get_by_role("searchbox", name="Search").press_sequentially("PACS")

    expect(results_rows(page)).to_have_count(1)
    expect(results_rows(page)).to_contain_text("Expand PACS server storage")
    expect(page).to_have_url(re.compile(r"/changes\?(.*&)?q=PACS(&|$)"))
    assert_not_reloaded(page)

    page.get_by_role("searchbox", name="Search").fill("no such change anywhere")
    expect(page.locator("#results")).to_contain_text("No changes match these filters")
    assert_not_reloaded(page)


def test_timeline_tab_loads_in_place(page, login, demo):
    """Clicking the Timeline tab shows the change's history without a full page load."""
    login(page, ENGINEER)
    page.goto("/changes")
    page.get_by_role("link", name="Monthly patching: Acme domain controller").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Monthly patching: Acme domain controller")
    mark_page(page)

    page.get_by_role("tab", name="Timeline").click()

    expect(page.get_by_role("tab", name="Timeline")).to_have_attribute("aria-selected", "true")
    entries = page.locator("#timeline ol.timeline > li")
    expect(entries.filter(has_text="Submitted for approval")).to_have_count(1)
    expect(entries.filter(has_text="Fully approved")).to_have_count(1)
    assert entries.count() >= 4  # created, submitted, two approvals, fully approved
    expect(page).to_have_url(re.compile(r"[?&]tab=timeline"))
    assert_not_reloaded(page)


def test_create_and_submit_change(page, login, demo):
    """An engineer creates a change mentioning @acme-dc01, sees the device linked, submits it: Pending approval."""
    login(page, ENGINEER)
    page.goto("/changes")
    page.get_by_role("link", name="New change").click()
    page.get_by_label("Title").fill("Reboot the Acme domain controller")
    page.get_by_label("Company").select_option(label="Acme Manufacturing")
    page.get_by_label("Description").fill("Reboot @acme-dc01 after the firmware update.")
    page.get_by_label("Technical approver").select_option(label="Theo Tanaka")
    page.get_by_label("Operational approver").select_option(label="Olivia Ortiz")
    page.get_by_role("button", name="Create draft").click()

    expect(page.locator(".flash-success")).to_contain_text("created as a draft")
    head = page.locator(".change-head")
    expect(head.locator(".badge.state-draft")).to_have_text("Draft")
    devices = page.locator("#devices")
    expect(devices.get_by_role("cell", name="acme-dc01", exact=True)).to_be_visible()
    expect(devices).to_contain_text("Server")

    page.get_by_role("button", name="Submit for approval").click()

    expect(page.locator(".flash-success")).to_contain_text("Submitted for approval")
    expect(head.locator(".badge").first).to_have_text("Pending approval")
    expect(page.locator("#approvals")).to_contain_text("Waiting on")
