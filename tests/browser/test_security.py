"""In a real browser: the Content-Security-Policy blocks nothing the app needs, and failed or
unauthorised HTMX requests show their message where the user is looking (PRODUCT §4)."""
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.htmx import goto, htmx_click, htmx_swap, is_htmx, url_with, wait_until_quiet

# Registered through the DevTools protocol (not an inline script), before any page script runs.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber));
"""


@pytest.fixture
def watched(page: Page):
    """The page, recording CSP violations from the console and the securitypolicyviolation event."""
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(RECORD_VIOLATIONS)
    page.csp_messages = messages
    return page


def violations(page: Page) -> list[str]:
    return page.evaluate("window.__cspViolations || []") + page.csp_messages


def test_main_pages_and_their_htmx_swaps_break_no_csp_rule(watched, login):
    """Login, list (with an HTMX search), new, detail tabs, profile and settings (with the boards
    dialog) run under the CSP without a single violation."""
    page = watched
    page.goto("/login")
    assert violations(page) == []
    login(page, "admin@demo.test")
    goto(page, "/changes")
    with htmx_swap(page, url_with("/changes", q="switch")):
        page.get_by_role("searchbox").first.fill("switch")
    detail = page.locator("table a[href^='/changes/']").first.get_attribute("href")
    for path in ("/changes/new", detail, detail + "?tab=timeline", "/profile", "/settings/companies",
                 "/settings/users", "/settings/users/invite"):
        page.goto(path)
        wait_until_quiet(page)
        assert violations(page) == [], path
    goto(page, "/settings/integrations/connectwise")
    htmx_click(page, page.get_by_role("link", name="Filter Boards").first, re.compile(r"/companies/\d+/boards$"))
    expect(page.locator("#boards-dialog")).to_be_visible()
    page.locator("#boards-dialog").get_by_role("button", name="Cancel").click()
    expect(page.locator("#boards-dialog")).to_be_hidden()
    assert violations(page) == []


def test_failed_htmx_request_shows_the_servers_message(page, login):
    """An HTMX request answered with an error shows the server's message in the live region."""
    login(page, "engineer@demo.test")
    goto(page, "/changes")
    page.evaluate("htmx.ajax('GET', '/changes/99999999999999999999', '#results')")
    status = page.locator("#request-status")
    expect(status).to_be_visible()
    expect(status).to_contain_text("That page does not exist.")
    expect(page.locator("#results table")).to_be_visible()  # the results were not replaced


def test_unreachable_server_during_htmx_says_so(page, login):
    """A request that never reaches the server says so instead of failing silently."""
    login(page, "engineer@demo.test")
    goto(page, "/changes")
    page.route("**/changes?*", lambda route: route.abort("connectionrefused"))
    page.get_by_role("searchbox").first.fill("switch")
    expect(page.locator("#request-status")).to_contain_text("could not be reached")


def test_expired_session_during_htmx_loads_the_login_page(page, login):
    """When the session is gone, an HTMX search sends the whole page to the login form."""
    login(page, "engineer@demo.test")
    goto(page, "/changes")
    page.context.clear_cookies()
    with page.expect_response(is_htmx(url_with("/changes", q="switch"))) as answered:
        page.get_by_role("searchbox").first.fill("switch")
    assert answered.value.status == 401  # with HX-Redirect to the login page
    page.wait_for_url(lambda url: "/login" in url)
    expect(page.get_by_role("heading", name="Log in to ChangeBreeze")).to_be_visible()
    assert page.locator("#results").count() == 0
