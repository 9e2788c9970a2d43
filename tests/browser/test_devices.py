"""Devices in a real browser: the @ autocomplete in the change form and a manual sync's counts."""
import re
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import select

from cbcw.changes.models import Change
from cbcw.connectwise.sync.jobs import run_requested_syncs
from cbcw.extensions import db
from tests.browser.conftest import SETTINGS_URL
from tests.browser.htmx import goto, htmx_click, htmx_swap, url_with, wait_until_quiet
from tests.browser.test_security import violations, watched  # noqa: F401  (watched is a fixture)


def mentions(prefix: str):
    """The @ suggestions' HTMX request for hostnames starting with `prefix`."""
    return url_with("/devices/mentions", q=prefix)


def acme_change_description(page, login):
    """The new-change form's Description, focused, with Acme Manufacturing as the company."""
    login(page, "engineer@demo.test")
    goto(page, "/changes/new")
    page.get_by_label("Company").select_option(label="Acme Manufacturing")
    description = page.get_by_label("Description")
    description.click()
    return description


def test_typing_at_offers_devices_and_enter_inserts_one(page, login, demo):
    """Typing "@acme-d" in the description suggests the company's devices; arrow keys and Enter insert one."""
    description = acme_change_description(page, login)
    with htmx_swap(page, mentions("acme-d")):
        description.press_sequentially("Reboot @acme-d")
    suggestions = page.get_by_role("listbox", name="Devices to mention")
    expect(suggestions.get_by_role("option").first).to_contain_text("@acme-dc01")
    description.press("Enter")
    expect(description).to_have_value("Reboot @acme-dc01 ")
    expect(suggestions).to_be_hidden()
    with htmx_swap(page, mentions("")):
        description.press_sequentially("and @")
    expect(suggestions.get_by_role("option")).not_to_have_count(0)
    suggestions.get_by_role("option").filter(has_text="@acme-sw-core").click()
    expect(description).to_have_value("Reboot @acme-dc01 and @acme-sw-core ")


def test_at_suggestions_highlight_nothing_until_arrow_down_then_the_first(page, login, demo):
    """No @ suggestion is highlighted before a key; Down highlights the first and Enter inserts that one."""
    description = acme_change_description(page, login)
    with htmx_swap(page, mentions("acme-")):
        description.press_sequentially("Check @acme-")
    options = page.get_by_role("listbox", name="Devices to mention").get_by_role("option")
    expect(options).to_have_count(3)
    expect(page.locator("[role=option][aria-selected=true]")).to_have_count(0)
    expect(description).not_to_have_attribute("aria-activedescendant", re.compile(".*"))
    description.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(description).to_have_attribute("aria-activedescendant", options.first.get_attribute("id"))
    first = options.first.get_attribute("data-hostname")
    description.press("Enter")
    expect(description).to_have_value(f"Check @{first} ")


def test_manual_sync_shows_progress_then_counts(page, login, demo):
    """Sync Configurations Now asks for confirmation, waits for the scheduler, then shows the counts."""
    login(page, "admin@demo.test")
    goto(page, SETTINGS_URL)
    section = page.locator("#sync")
    section.get_by_text("Sync Configurations Now").click()
    htmx_click(page, section.get_by_role("button", name="Confirm sync"), SETTINGS_URL + "/sync", "POST")
    expect(section).to_contain_text("waiting for the scheduler process")
    with demo.app_context():
        assert run_requested_syncs() == 1  # what the scheduler process does within seconds
    expect(section.locator("#sync-result")).to_contain_text(re.compile(r"\d+ created, \d+ updated, 0 unchanged"))
    expect(section.locator("#sync-history tbody tr")).to_have_count(1)
    expect(section.locator("#sync-history")).to_contain_text("Alex Admin")


# Lines a cell's text is laid out on (distinct tops of its line boxes).
LINES_OF = """cell => { const range = document.createRange(); range.selectNodeContents(cell);
  return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size; }"""


def test_report_keeps_hostnames_numbers_and_dates_whole_and_lines_up_its_filters(page, login, demo):
    """At 1024 px the report never breaks a hostname, change number or date across lines, and the
    From/To date inputs are as tall as the dropdowns and sit on the same line."""
    page.set_viewport_size({"width": 1024, "height": 800})
    login(page, "engineer@demo.test")
    page.goto("/reports/device-changes")
    rows = page.locator("#results tbody tr")
    expect(rows.first).to_be_visible()
    for row in rows.all():
        for column in (1, 2, 5, 8, 9):  # date, device, change, window start, window end (blank if unscheduled)
            cell = row.locator(f"td:nth-child({column})")
            assert cell.evaluate(LINES_OF) <= 1, f"column {column} wraps: {cell.inner_text()!r}"
    select = page.get_by_label("Company").bounding_box()
    for label in ("From", "To"):
        box = page.get_by_label(label, exact=True).bounding_box()
        assert abs(box["height"] - select["height"]) <= 1, (label, box, select)
        assert abs(box["y"] - select["y"]) <= 1, (label, box, select)


def test_demo_conflict_shows_on_both_changes_and_in_the_calendar(page, login, demo):
    """The demo's two overlapping changes on @acme-dc01 both warn, and the calendar marks them."""
    login(page, "engineer@demo.test")
    for title in ("Monthly patching: Acme domain controller", "Replace the UPS in the Acme server room"):
        page.goto("/changes")
        page.get_by_role("link", name=title).click()
        expect(page.locator(".conflict-warning")).to_contain_text("acme-dc01")
    with demo.app_context():  # the day the demo put the window on, in the engineer's zone
        opens = db.session.scalar(select(Change.window_start).where(Change.title.startswith("Monthly patching")))
    page.goto(f"/calendar?date={opens.astimezone(ZoneInfo('Europe/London')).date().isoformat()}")
    conflicts = page.locator(".cal-conflict")
    expect(conflicts.filter(has_text="Monthly patching")).not_to_have_count(0)
    expect(conflicts.filter(has_text="Replace the UPS")).not_to_have_count(0)


def test_device_pages_calendar_report_and_autocomplete_break_no_csp_rule(watched, login):
    """Devices (with an HTMX search), a device, the report, the calendar, the @ suggestions and the
    sync section run under the CSP without a single violation."""
    page = watched
    login(page, "admin@demo.test")
    goto(page, "/devices")
    with htmx_swap(page, url_with("/devices", q="acme")):
        page.get_by_role("searchbox").fill("acme")
    device = page.locator("table a[href^='/devices/']").first.get_attribute("href")
    for path in (device, "/reports/device-changes", "/calendar", "/calendar?view=month", SETTINGS_URL):
        page.goto(path)
        wait_until_quiet(page)
        assert violations(page) == [], path
    goto(page, "/changes/new")
    with htmx_swap(page, mentions("acme")):
        page.get_by_label("Description").press_sequentially("@acme")
    expect(page.get_by_role("listbox", name="Devices to mention").get_by_role("option").first).to_be_visible()
    assert violations(page) == []
