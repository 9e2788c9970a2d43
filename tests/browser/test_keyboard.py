"""The change page's tabs work from the keyboard alone (WAI-ARIA tabs pattern)."""
import re

from playwright.sync_api import expect

from tests.browser.htmx import goto, htmx_swap


def test_arrow_keys_move_between_the_change_tabs_and_open_them(page, login):
    """ArrowRight from Overview opens Timeline and keeps focus on it; Home goes back to Overview."""
    login(page, "engineer@demo.test")
    goto(page, "/changes")
    page.locator("table a[href^='/changes/']").first.click()
    overview = page.get_by_role("tab", name="Overview")
    expect(overview).to_have_attribute("tabindex", "0")
    expect(page.get_by_role("tab", name="Timeline")).to_have_attribute("tabindex", "-1")
    overview.focus()
    with htmx_swap(page, re.compile(r"/changes/\d+\?tab=timeline$")):
        page.keyboard.press("ArrowRight")
    timeline = page.get_by_role("tab", name="Timeline")
    expect(timeline).to_have_attribute("aria-selected", "true")
    expect(timeline).to_be_focused()
    expect(page).to_have_url(re.compile(r"tab=timeline"))
    expect(page.get_by_role("tabpanel")).to_have_attribute("aria-labelledby", "tab-timeline")
    with htmx_swap(page, re.compile(r"/changes/\d+$")):
        page.keyboard.press("Home")
    expect(page.get_by_role("tab", name="Overview")).to_be_focused()
    expect(page.get_by_role("tab", name="Overview")).to_have_attribute("aria-selected", "true")
