"""Change pages in a real browser: live search, the Timeline tab and the create → submit path.

Each live filter, tab and action panel must be an HTMX request swapped in place
(tests/browser/htmx.py), not its full-page fallback, which shows the same rows."""
import re

from playwright.sync_api import Page, expect

from tests.browser.htmx import goto, htmx_click, htmx_swap, url_with, wait_until_quiet
from tests.browser.test_security import violations, watched  # noqa: F401  (watched is a fixture)

ENGINEER = "engineer@demo.test"
CHANGE_URL = r"/changes/\d+"


def results_rows(page: Page):
    return page.locator("#results tbody tr")


def test_changes_list_live_search(page, login, demo):
    """Typing in the changes search box narrows the table as you type and the URL keeps the search."""
    login(page, ENGINEER)
    goto(page, "/changes")
    expect(results_rows(page)).to_have_count(8)

    with htmx_swap(page, url_with("/changes", q="PACS")):
        page.get_by_role("searchbox", name="Search").press_sequentially("PACS")

    expect(results_rows(page)).to_have_count(1)
    expect(results_rows(page)).to_contain_text("Expand PACS server storage")
    expect(page).to_have_url(re.compile(r"/changes\?(.*&)?q=PACS(&|$)"))

    with htmx_swap(page, url_with("/changes", q="no such change anywhere")):
        page.get_by_role("searchbox", name="Search").fill("no such change anywhere")
    expect(page.locator("#results")).to_contain_text("No changes match these filters")


def test_timeline_tab_loads_in_place(page, login, demo):
    """Clicking the Timeline tab shows the change's history without a full page load."""
    login(page, ENGINEER)
    page.goto("/changes")
    page.get_by_role("link", name="Monthly patching: Acme domain controller").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Monthly patching: Acme domain controller")

    htmx_click(page, page.get_by_role("tab", name="Timeline"), re.compile(CHANGE_URL + r"\?tab=timeline$"))

    expect(page.get_by_role("tab", name="Timeline")).to_have_attribute("aria-selected", "true")
    entries = page.locator("#timeline ol.timeline > li")
    expect(entries.filter(has_text="Submitted for approval")).to_have_count(1)
    expect(entries.filter(has_text="Fully approved")).to_have_count(1)
    assert entries.count() >= 4  # created, submitted, two approvals, fully approved
    expect(page).to_have_url(re.compile(r"[?&]tab=timeline"))


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


def test_filtered_list_survives_back_and_forward(page, login, demo):
    """Filter, open a change, go Back: the form shows the same filters the rows show; Back and Forward again agree."""
    login(page, ENGINEER)
    goto(page, "/changes")
    search = page.get_by_role("searchbox", name="Search")
    state = page.get_by_label("State")

    with htmx_swap(page, url_with("/changes", q="acme")):
        search.press_sequentially("acme")
    expect(page).to_have_url(re.compile(r"q=acme"))
    expect(results_rows(page)).to_have_count(3)
    with htmx_swap(page, url_with("/changes", q="acme", state="scheduled")):
        state.select_option("scheduled")
    expect(page).to_have_url(re.compile(r"state=scheduled"))
    expect(results_rows(page)).to_have_count(2)

    page.get_by_role("link", name="Monthly patching: Acme domain controller").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Monthly patching")

    page.go_back()
    expect(page).to_have_url(re.compile(r"q=acme.*state=scheduled"))
    expect(search).to_have_value("acme")
    expect(state).to_have_value("scheduled")
    expect(results_rows(page)).to_have_count(2)
    for row in results_rows(page).all():
        expect(row).to_contain_text("Scheduled")

    page.go_back()  # the search alone, before the state was chosen
    expect(page).to_have_url(re.compile(r"q=acme&state=&"))
    expect(state).to_have_value("")
    expect(search).to_have_value("acme")
    expect(results_rows(page)).to_have_count(3)

    page.go_back()  # the unfiltered list
    expect(search).to_have_value("")
    expect(results_rows(page)).to_have_count(8)

    page.go_forward()  # each step waits for its page: a second Forward before htmx restored the first is lost
    expect(search).to_have_value("acme")
    expect(results_rows(page)).to_have_count(3)
    page.go_forward()
    expect(state).to_have_value("scheduled")
    expect(search).to_have_value("acme")
    expect(results_rows(page)).to_have_count(2)


def test_filter_button_adds_no_duplicate_history_entry_and_back_forward_break_no_csp_rule(watched, login):
    """The State dropdown filters by itself; Filter then adds no identical entry (one Back is the
    unfiltered list), and Back/Forward over the filtered list raise no CSP violation, even with
    fields styled the way browser extensions style them (a style attribute set through the CSSOM)."""
    page = watched
    login(page, ENGINEER)
    goto(page, "/changes")
    expect(results_rows(page)).to_have_count(8)
    extension_styles = "document.querySelectorAll('input, select').forEach(e => e.style.outline = '1px solid gold')"
    page.evaluate(extension_styles)
    entries = page.evaluate("history.length")
    with htmx_swap(page, url_with("/changes", state="scheduled")):
        page.get_by_label("State").select_option("scheduled")
    expect(page).to_have_url(re.compile(r"state=scheduled"))
    expect(results_rows(page)).to_have_count(3)
    htmx_click(page, page.get_by_role("button", name="Filter"), url_with("/changes", state="scheduled"))
    assert page.evaluate("history.length") == entries + 1

    page.evaluate(extension_styles)
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"state=scheduled"))
    expect(results_rows(page)).to_have_count(8)
    page.evaluate(extension_styles)
    page.go_forward()
    expect(page).to_have_url(re.compile(r"state=scheduled"))
    expect(results_rows(page)).to_have_count(3)
    page.go_back()
    expect(results_rows(page)).to_have_count(8)
    wait_until_quiet(page)
    assert violations(page) == []


def test_quick_filter_awaiting_my_approval_is_bookmarkable(page, login, demo):
    """The navigation counts the changes awaiting my decision; its link filters the list, and a reload keeps it."""
    login(page, "tech.approver@demo.test")
    expect(page.locator(".nav-approvals .count")).to_have_text("0")  # Theo has decided every demo change
    page.get_by_role("button", name="Log out").click()
    login(page, "ops.approver@demo.test")
    expect(page.locator(".nav-approvals .count")).to_have_text("1")
    page.locator(".nav-approvals").click()
    expect(page).to_have_url(re.compile(r"/changes\?mine=approval"))
    expect(page.get_by_label("Awaiting my approval")).to_be_checked()
    expect(results_rows(page)).to_have_count(1)
    expect(results_rows(page)).to_contain_text("Replace Northwind edge firewall")
    page.reload()
    expect(page.get_by_label("Awaiting my approval")).to_be_checked()
    expect(results_rows(page)).to_have_count(1)
    with htmx_swap(page, url_with("/changes", mine="")):
        page.get_by_label("All changes").check()
    expect(results_rows(page)).to_have_count(8)


def test_action_panels_open_one_at_a_time_without_moving_the_toolbar(page, login, demo):
    """Opening a panel swaps in place, keeps the toolbar where it was, and opening another closes the first."""
    # A manager may both reschedule and cancel (an approver who did not request the change may not cancel it).
    login(page, "msp@demo.test")
    page.goto("/changes")
    page.get_by_role("link", name="Replace the UPS in the Acme server room").click()
    toolbar = page.locator(".action-toolbar")
    before = toolbar.bounding_box()

    htmx_click(page, page.get_by_role("link", name="Reschedule…"), re.compile(CHANGE_URL + r"\?action=schedule$"))
    panel = page.locator("#action-panel")
    expect(panel.get_by_role("heading", name="Reschedule")).to_have_count(1)
    assert toolbar.bounding_box() == before

    htmx_click(page, page.get_by_role("link", name="Cancel change…"), re.compile(CHANGE_URL + r"\?action=cancel$"))
    expect(panel).to_contain_text("Cancel the change")
    expect(page.locator("#action-panel")).to_have_count(1)
    expect(page.get_by_role("heading", name="Reschedule")).to_have_count(0)
    assert toolbar.bounding_box() == before

    htmx_click(page, page.get_by_role("link", name="Close"), re.compile(CHANGE_URL + "$"))
    expect(page.locator("#action-panel")).to_have_count(0)


def test_action_panels_work_without_javascript(browser, demo):
    """With JavaScript off, a toolbar link opens its panel and the decision posts."""
    from tests.browser.conftest import DEMO_PASSWORD

    context = browser.new_context(base_url=demo.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("Email").fill("ops.approver@demo.test")
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto("/changes?mine=approval")
        page.get_by_role("link", name="Replace Northwind edge firewall").click()
        page.get_by_role("link", name="Approve or reject…").click()
        expect(page).to_have_url(re.compile(r"action=decide"))
        page.get_by_label("Comment").fill("Fine by operations.")
        page.get_by_role("button", name="Approve as operational approver").click()
        expect(page.locator(".flash-success")).to_contain_text("Approved as operational approver.")
        expect(page.locator(".nav-approvals .count")).to_have_text("0")
    finally:
        context.close()
