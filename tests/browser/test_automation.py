"""Lifecycle automation seen in a real browser: approve a change, watch its note go to ConnectWise
on the change page without reloading, then find the note on the simulator's ticket page."""
import re

from playwright.sync_api import expect

from cbcw.connectwise.automation.delivery import deliver
from cbcw.connectwise.api.links import TICKET_PATH
from tests.browser.htmx import htmx_click
from tests.fixtures.delivery_worker import delivery_worker

OPS_APPROVER = "ops.approver@demo.test"
FIREWALL_TICKET = 5003  # the demo's "Replace Northwind edge firewall" is linked to it


def test_approving_shows_the_note_on_its_way_then_sent_without_a_reload(page, login, demo, cw_sim):
    """The approve form previews the note; the approval answers at once with the note waiting to be
    sent; once the delivery worker runs, "sent to ConnectWise" appears on the same page (htmx
    polling, no reload), the Overview's line of counts above agrees, and the polling stops; the
    simulator's ticket page shows the note."""
    with demo.app_context():
        deliver(budget=60)  # what seeding the demo queued for the ticket goes first
    login(page, OPS_APPROVER)
    page.goto("/changes")
    page.get_by_role("link", name="Replace Northwind edge firewall").click()
    htmx_click(page, page.get_by_role("link", name="Approve or reject…"), re.compile(r"/changes/\d+\?action=decide$"))
    expect(page.locator("#action-panel")).to_contain_text(f"ConnectWise ticket #{FIREWALL_TICKET} will receive: 1 internal note")
    page.locator("#action-panel textarea").fill("Maintenance window agreed with the warehouse")
    page.locator("#action-panel button.btn-ok").click()
    expect(page.locator(".flash").first).to_contain_text("Approved")
    pending = page.locator("#cw-pending")
    expect(pending).to_contain_text("1 write on its way to ConnectWise")
    expect(pending).to_contain_text(f"Internal note (ticket #{FIREWALL_TICKET}): waiting to be sent")
    expect(pending).to_have_attribute("hx-trigger", "every 1s")
    counts = page.locator("#panel-summary-integration")
    expect(counts).to_contain_text("1 pending")
    document = page.evaluate("window.__htmxProbe.id")
    with delivery_worker(demo.app, threads=2):
        expect(pending).to_contain_text(f"Internal note (ticket #{FIREWALL_TICKET}): sent to ConnectWise")
    expect(pending).to_contain_text("Every write sent to ConnectWise.")
    expect(counts).not_to_contain_text("pending")
    expect(counts).to_contain_text(re.compile(r"^\d+ writes to the ticket: \d+ sent"))
    expect(pending).not_to_have_attribute("hx-trigger", re.compile(".*"))  # nothing pending: no more polling
    assert page.evaluate("window.__htmxProbe.id") == document  # the same document: no reload

    page.goto(f"{cw_sim.root_url}{TICKET_PATH}?service_recid={FIREWALL_TICKET}&companyName=demo")
    expect(page.locator("body")).to_contain_text("approved (operational)")
    expect(page.locator("body")).to_contain_text("Maintenance window agreed with the warehouse")
    expect(page.locator("body")).to_contain_text("Internal")


def test_activity_table_fits_its_card_at_1366_and_the_active_filter_is_marked(page, login, demo):
    """At 1366 px the activity table stays inside its card; the active state filter is aria-current and looks it."""
    with demo.app_context():
        deliver(budget=60)
    page.set_viewport_size({"width": 1366, "height": 800})
    login(page, "admin@demo.test")
    page.goto("/settings/integrations/activity")
    expect(page.locator("table.activity tbody tr").first).to_be_visible()
    card, table = (page.locator(selector).bounding_box() for selector in ("section.card", "table.activity"))
    assert table["x"] + table["width"] <= card["x"] + card["width"], (table, card)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    filters = page.get_by_role("navigation", name="Filter by state")
    filters.get_by_role("link", name="Sent").click()
    active, other = filters.get_by_role("link", name="Sent"), filters.get_by_role("link", name="Pending")
    expect(active).to_have_attribute("aria-current", "page")
    expect(other).not_to_have_attribute("aria-current", "page")
    look = "e => getComputedStyle(e).backgroundColor + getComputedStyle(e).fontWeight"
    assert active.evaluate(look) != other.evaluate(look)

