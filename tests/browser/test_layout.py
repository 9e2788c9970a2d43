"""Layout in a real browser: pages fit a phone's screen."""
from datetime import date, datetime, time, timedelta, timezone

from playwright.sync_api import expect

from cbcw.accounts.models import User
from cbcw.changes.models import Change, ChangeDevice
from cbcw.connectwise.automation.delivery import deliver
from cbcw.demo.seed import demo_organisation
from cbcw.devices.models import Device
from cbcw.extensions import db
from cbcw.organisations.models import Company
from tests.browser.htmx import wait_until_quiet

PHONE = {"width": 390, "height": 800}
# A fixed week, whatever day the test runs (the demo's own windows, seeded around today, could only
# add to it), ending on the night London moves to summer time.
WEEK = date(2030, 3, 25)
UNBROKEN = "W" * 200  # the widest letter, with nowhere a line may break, as long as a title may be


def test_main_pages_fit_a_phone_screen(page, login, demo):
    """At 390 px (an admin's full navigation included) no page is wider than the screen."""
    with demo.app_context():
        deliver(budget=60)
    page.set_viewport_size(PHONE)
    login(page, "admin@demo.test")
    for path in ("/settings/integrations/activity", "/settings/integrations/activity?state=pending",
                 "/reports/device-changes", "/changes", "/profile"):
        page.goto(path)
        wait_until_quiet(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path


def test_calendar_fits_a_phone_screen_whatever_the_week_holds(page, login, demo):
    """A week crowded every day (a title, company and implementer with no break in them, windows
    crossing midnight or lasting days, conflicts, every state) still fits 390 px, week and month."""
    with demo.app_context():
        _crowd_the_week(WEEK)
    page.set_viewport_size(PHONE)
    login(page, "admin@demo.test")
    for path in (f"/calendar?date={WEEK}", f"/calendar?view=month&date={WEEK}"):
        page.goto(path)
        expect(page.get_by_role("link", name=UNBROKEN[:50]).first).to_be_visible()
        expect(page.get_by_text("Conflict: shares a device with an overlapping change").first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path


def _crowd_the_week(monday: date) -> None:
    """Each day of the week: eight changes on one device, overlapping, in every state a window shows in."""
    org = demo_organisation()
    company = Company(organisation_id=org.id, name="W" * 120)
    implementer = User(organisation_id=org.id, email="long.name@demo.test", display_name="W" * 120, role="engineer")
    implementer.set_password("not used by this test")
    device = Device(organisation_id=org.id, company=company, hostname="w" * 120)
    db.session.add_all([company, implementer, device])
    db.session.flush()
    windows = (  # hours from the day's 00:00 UTC, and length
        (1, 1), (9, 2), (9.5, 2), (22, 2.5), (23.5, 26), (12, 0.5), (18, 4), (21, 3),
    )
    states = ("scheduled", "in_progress", "scheduled", "scheduled", "in_progress", "completed", "failed", "approved")
    for offset in range(7):
        day = datetime.combine(monday + timedelta(days=offset), time.min, timezone.utc)
        for (start, hours), state in zip(windows, states):
            org.change_counter += 1
            change = Change(organisation_id=org.id, number=org.change_counter, title=UNBROKEN, company=company,
                            state=state, created_by_id=implementer.id, implementer_id=implementer.id,
                            window_start=day + timedelta(hours=start),
                            window_end=day + timedelta(hours=start + hours))
            db.session.add(change)
            db.session.flush()
            db.session.add(ChangeDevice(organisation_id=org.id, change_id=change.id, device_id=device.id,
                                        mention=device.hostname))
    db.session.commit()


def test_a_checkbox_filter_sits_beside_its_label(page, login, demo):
    """On the calendar, "Mine only"'s box is on the same line as its words, before them."""
    login(page, "engineer@demo.test")
    page.goto("/calendar")
    box = page.get_by_label("Mine only").bounding_box()
    label = page.locator("label[for=mine]").bounding_box()
    assert box["x"] + box["width"] <= label["x"], (box, label)
    assert abs((box["y"] + box["height"] / 2) - (label["y"] + label["height"] / 2)) < label["height"] / 2, (box, label)
