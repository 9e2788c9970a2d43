"""Lifecycle automation seen in a real browser: approve a change, then find the note on the
ConnectWise simulator's ticket page."""
from playwright.sync_api import expect

from cbcw.connectwise.automation.delivery import deliver
from cbcw.connectwise.links import TICKET_PATH

OPS_APPROVER = "ops.approver@demo.test"
FIREWALL_TICKET = 5003  # the demo's "Replace Northwind edge firewall" is linked to it


def test_approving_posts_an_internal_note_on_the_simulators_ticket(page, login, demo, cw_sim):
    """The approve form previews the note; after approving, the ticket page in the simulator shows it."""
    with demo.app_context():
        deliver(budget=60)  # what seeding the demo queued for the ticket goes first
    login(page, OPS_APPROVER)
    page.goto("/changes")
    page.get_by_role("link", name="Replace Northwind edge firewall").click()
    page.get_by_role("link", name="Approve or reject…").click()
    expect(page.locator("#action-panel")).to_contain_text(f"ConnectWise ticket #{FIREWALL_TICKET} will receive: 1 internal note")
    page.locator("#action-panel textarea").fill("Maintenance window agreed with the warehouse")
    page.locator("#action-panel button.btn-ok").click()
    expect(page.locator(".flash").first).to_contain_text("Approved")

    page.goto(f"{cw_sim.root_url}{TICKET_PATH}?service_recid={FIREWALL_TICKET}&companyName=demo")
    expect(page.locator("body")).to_contain_text("approved (operational)")
    expect(page.locator("body")).to_contain_text("Maintenance window agreed with the warehouse")
    expect(page.locator("body")).to_contain_text("Internal")
