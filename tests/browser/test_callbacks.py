"""A ConnectWise callback in a real browser (PRODUCT §3.11): with the demo's callbacks registered
at the live server and the `cw-callbacks` job running, a linked ticket's status changed through
the simulator's API shows on the open change page's widget within 3 seconds (the job's second and
the widget's 2-second poll), nobody pressing Refresh. A hidden tab does not poll, and catches up
once shown."""
import re

from playwright.sync_api import expect
from sqlalchemy import select

from cbcw.changes.models import Change
from cbcw.connectwise.callbacks import registration
from cbcw.connectwise.settings.mappings import get_settings
from cbcw.demo.seed import demo_organisation
from cbcw.extensions import db
from tests.browser.htmx import goto, is_htmx, settled
from tests.cw_callbacks.test_end_to_end import JobThread

ENGINEER = "engineer@demo.test"
# Resolves with whether the widget's next poll was cancelled (the page's own listener runs first).
NEXT_POLL_CANCELLED = """() => new Promise(resolve => {
  function seen(event) {
    if (event.target.id !== "cw-ticket-widget") { return; }
    document.removeEventListener("htmx:beforeRequest", seen);
    resolve(event.defaultPrevented);
  }
  document.addEventListener("htmx:beforeRequest", seen);
})"""


def set_visibility(page, state: str) -> None:
    """What the browser reports when the user switches to another tab ("hidden") and back."""
    page.evaluate("""state => {
      Object.defineProperty(document, "visibilityState", {value: state, configurable: true});
      document.dispatchEvent(new Event("visibilitychange"));
    }""", state)


def test_a_status_changed_in_connectwise_shows_on_the_open_widget_by_itself(page, login, demo, cw_sim, monkeypatch):
    monkeypatch.setitem(demo.app.config, "CW_CALLBACKS", True)
    monkeypatch.setitem(demo.app.config, "APP_BASE_URL", demo.url)
    with demo.app_context():
        org = demo_organisation()
        change = db.session.scalar(select(Change).where(
            Change.organisation_id == org.id, Change.linked_ticket_id.is_not(None),
            Change.state.in_(("draft", "pending_approval", "approved", "scheduled"))).order_by(Change.id).limit(1))
        change_id, ticket_id = change.id, change.linked_ticket_id
        assert "registered" in registration.sync(get_settings(org.id))
    ticket = cw_sim.raw("GET", f"/service/tickets/{ticket_id}").json()
    new = next(s for s in cw_sim.raw("GET", f"/service/boards/{ticket['board']['id']}/statuses").json()
               if s["name"] != ticket["status"]["name"] and not s["closedStatus"] and not s["inactive"])
    jobs = JobThread(demo.app)
    jobs.thread.start()
    try:
        login(page, ENGINEER)
        with page.expect_response(is_htmx(re.compile(rf"/changes/{change_id}/connectwise-ticket$"))) as loaded:
            goto(page, f"/changes/{change_id}")
        settled(page, loaded.value)
        status = page.locator("#cw-ticket-widget [data-ticket-status]")
        expect(status).to_have_text(ticket["status"]["name"])
        cw_sim.raw("PATCH", f"/service/tickets/{ticket_id}", json=[
            {"op": "replace", "path": "status", "value": {"id": new["id"]}}]).raise_for_status()
        expect(status).to_have_text(new["name"], timeout=3500)
        expect(page.locator("#cw-ticket-widget")).to_have_attribute("hx-trigger", "every 2s")

        set_visibility(page, "hidden")
        assert page.evaluate(NEXT_POLL_CANCELLED), "a hidden tab still polled"
        cw_sim.raw("PATCH", f"/service/tickets/{ticket_id}", json=[
            {"op": "replace", "path": "status", "value": {"id": ticket["status"]["id"]}}]).raise_for_status()
        assert jobs.wait_for(2, timeout=5)
        with page.expect_request(re.compile(rf"/changes/{change_id}/connectwise-ticket\?since=")):
            set_visibility(page, "visible")
        expect(status).to_have_text(ticket["status"]["name"], timeout=3500)
    finally:
        jobs.stop.set()
        jobs.thread.join(5)
