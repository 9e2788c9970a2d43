"""axe-core finds no accessibility violation, of any impact, on any page at desktop and phone width."""
from pathlib import Path

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from cbcw.changes.models import Change
from cbcw.connectwise.automation.delivery import deliver
from cbcw.devices.models import Device
from cbcw.extensions import db
from cbcw.organisations.models import Company
from cbcw.accounts.models import User
from tests.browser.htmx import wait_until_quiet

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 800}}


def axe_violations(page: Page) -> list[str]:
    """Run axe-core in the page (evaluated through the DevTools protocol, so the CSP does not block it)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] for node in violation["nodes"][:5])
        for violation in result["violations"]
    ]


def _pages(live) -> dict[str, list[str]]:
    """Every page a user reaches, by who opens it; ids read from the demo."""
    with live.app_context():
        deliver(budget=60)  # the activity tables have sent rows, with their requests
        completed = db.session.scalar(select(Change.id).where(Change.state == "completed").limit(1))
        draft = db.session.scalar(select(Change.id).where(Change.state == "draft").limit(1))
        linked = db.session.scalar(select(Change.id).where(Change.linked_ticket_id.is_not(None),
                                                            Change.state == "in_progress").limit(1)) or completed
        device = db.session.scalar(select(Device.id).limit(1))
        company = db.session.scalar(select(Company.id).limit(1))
        user = db.session.scalar(select(User.id).where(User.email == "engineer@demo.test"))
    change = f"/changes/{completed}"
    return {
        "": ["/login"],
        "engineer@demo.test": [
            "/", "/changes", "/changes?sort=-risk&state=completed", "/changes/new", f"/changes/{draft}/edit",
            change, f"{change}?tab=timeline", f"{change}?tab=timeline&system=hide", f"{change}/integration",
            f"/changes/{linked}?action=schedule", f"/changes/{linked}/connectwise-ticket/time-entry",
            "/calendar", "/calendar?view=month", "/devices", f"/devices/{device}", "/reports/device-changes",
            "/profile", "/profile/password",
        ],
        "viewer@demo.test": [change, f"{change}/integration"],
        "admin@demo.test": [
            "/settings/organisation", "/settings/companies", f"/settings/companies/{company}/edit",
            "/settings/users", "/settings/users/invite", f"/settings/users/{user}/edit",
            "/settings/integrations/connectwise", "/settings/integrations/connectwise/members",
            "/settings/integrations/activity", "/settings/integrations/activity?state=sent",
            "/settings/integrations/drift",
        ],
    }


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_has_no_accessibility_violation(page, login, demo, width):
    """Each page, for the role that opens it, passes axe-core with no violation of any impact."""
    page.set_viewport_size(WIDTHS[width])
    found = []
    for email, paths in _pages(demo).items():
        page.context.clear_cookies()
        if email:
            login(page, email)
        for path in paths:
            page.goto(path)
            wait_until_quiet(page)
            found += [f"{email or 'anonymous'} {path}: {v}" for v in axe_violations(page)]
    assert found == [], "\n".join(found)
