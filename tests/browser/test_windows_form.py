"""The blackout / maintenance window form in a real browser (PRODUCT §2.5): only the chosen
recurrence's fields show, dates and times through the browser's controls, the timezone searched."""
from playwright.sync_api import expect

from tests.browser.htmx import goto


def test_a_weekly_maintenance_window_and_a_christmas_freeze_from_the_form(page, login, demo):
    login(page, "admin@demo.test")
    goto(page, "/windows/new")
    once, weekly_days = page.get_by_label("Starts"), page.get_by_role("group", name="Weekly or monthly")
    expect(once).to_be_visible()
    expect(weekly_days).to_be_hidden()
    page.get_by_label("Repeats").select_option(label="Weekly")
    expect(once).to_be_hidden()
    expect(page.get_by_label("Day of the month", exact=True)).to_be_hidden()
    page.get_by_label("Name").fill("Saturday evenings")
    page.get_by_label("Kind").select_option(label="Maintenance window (changes welcome)")
    page.get_by_label("Company").select_option(label="Acme Manufacturing")
    page.get_by_label("Timezone").fill("London")
    page.get_by_label("Sat", exact=True).check()
    assert page.get_by_label("Opens at").get_attribute("type") == "time"
    page.get_by_label("Opens at").fill("20:00")
    page.get_by_label("Closes at").fill("00:00")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Every Sat 20:00–24:00 (Europe/London)")).to_be_visible()

    goto(page, "/windows/new")
    page.get_by_label("Name").fill("Christmas freeze")
    page.get_by_label("Company").select_option(label="Acme Manufacturing")
    page.get_by_label("Starts").fill("2030-12-24T00:00")
    page.get_by_label("Ends").fill("2031-01-02T00:00")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved “Christmas freeze”.")).to_be_visible()
    page.get_by_role("row", name="Christmas freeze").get_by_role("link", name="Edit").click()
    expect(page.get_by_label("Starts")).to_have_value("2030-12-24T00:00")
    expect(page.get_by_role("group", name="Weekly or monthly")).to_be_hidden()


def test_the_kind_badges_stay_on_one_line_in_the_list(page, login, demo):
    """A window's kind reads "Maintenance" on one line, never broken inside the word, whatever the
    width of the screen."""
    login(page, "admin@demo.test")
    goto(page, "/windows/new")
    page.get_by_label("Name").fill("Saturday evenings")
    page.get_by_label("Kind").select_option(label="Maintenance window (changes welcome)")
    page.get_by_label("Company").select_option(label="Acme Manufacturing")
    page.get_by_label("Starts").fill("2030-12-24T00:00")
    page.get_by_label("Ends").fill("2030-12-24T04:00")
    page.get_by_label("Reason").fill("Patching the hosts, then the guests, then the firewalls, one site at a time")
    page.get_by_role("button", name="Save").click()
    badges = page.locator("tbody td .cal-band")
    expect(badges.filter(has_text="Maintenance")).to_have_count(1)
    for width in (1366, 1024, 820, 390):
        page.set_viewport_size({"width": width, "height": 800})
        lines = badges.evaluate_all("bs => bs.map(b => b.getClientRects().length)")
        heights = badges.evaluate_all("bs => bs.map(b => b.getBoundingClientRect().height)")
        assert lines and all(n == 1 for n in lines) and max(heights) < 2 * min(heights), (width, lines, heights)
