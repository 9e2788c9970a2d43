"""In a real browser: the dashboard at `/`, its ConnectWise panel loaded through htmx, the bell,
and every new page under the CSP without a violation (PRODUCT §2.9, §2.10)."""
import re

from playwright.sync_api import Page, expect

from tests.browser.test_security import violations, watched  # noqa: F401  (the fixture)
from tests.browser.htmx import wait_until_quiet


def test_dashboard_panel_bell_and_inbox_under_the_csp(watched: Page, login):  # noqa: F811
    page = watched
    login(page, "admin@demo.test")  # login lands on the dashboard
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    # The page holds only an "Open ConnectWise" link there: the counts came through htmx.
    expect(page.locator(".dashboard-panel")).to_contain_text("failed write")
    expect(page.locator(".dashboard-panel")).to_contain_text("with drift")
    expect(page.locator("figure.chart svg").first).to_be_visible()  # the reports, loaded after the page
    bell = page.locator("a.nav-bell")
    expect(bell).to_have_attribute("title", re.compile(r"^Inbox: \d+ unread$"))
    first_number = page.locator("details.chart-table a").first
    page.locator("details.chart-table summary").first.click()
    if first_number.count():
        first_number.click()
        expect(page.get_by_role("heading", name=re.compile("^Changes: "))).to_be_visible()
    for path in ("/", "/inbox", "/profile", "/settings/users/invite", "/dashboard/changes?outcome=completed"):
        page.goto(path)
        wait_until_quiet(page)
        assert violations(page) == [], path


NEW_PAGES = ("/", "/dashboard/reports", "/inbox", "/profile", "/settings/users/invite", "/dashboard/changes?outcome=completed")


def test_new_pages_pass_axe_and_fit_a_phone_screen(page: Page, login):
    from tests.browser.test_accessibility import axe_violations

    login(page, "admin@demo.test")
    for path in NEW_PAGES:
        page.goto(path)
        wait_until_quiet(page)
        assert axe_violations(page) == [], path
    page.set_viewport_size({"width": 390, "height": 844})
    for path in NEW_PAGES:
        page.goto(path)
        wait_until_quiet(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
