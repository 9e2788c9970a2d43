"""The calendar's week grid and "Suggest a window" in a real browser (PRODUCT §2.5)."""
import re
from datetime import date, datetime, time, timedelta, timezone

from playwright.sync_api import expect
from sqlalchemy import select

from cbcw.accounts.models import User
from cbcw.changes.models import Change
from cbcw.demo.seed import demo_organisation
from cbcw.extensions import db
from cbcw.organisations.models import Company
from cbcw.windows.models import ScheduleWindow
from tests.browser.htmx import goto, htmx_click, url_with
from tests.browser.test_accessibility import axe_violations

WEEK = date(2030, 3, 25)  # a fixed week, ending on the night London moves to summer time


def _week_with_work(monday: date) -> dict:
    org = demo_organisation()
    acme = db.session.scalar(select(Company).filter_by(organisation_id=org.id, name="Acme Manufacturing"))
    engineer = db.session.scalar(select(User).filter_by(email="engineer@demo.test"))
    db.session.add(ScheduleWindow(organisation_id=org.id, company_id=acme.id, kind="blackout", name="Payroll run",
                                  timezone="Europe/London", recurrence="weekly", weekdays="2",
                                  start_time=time(18), end_time=time(0)))
    made = {}
    for title, day, hour, hours, state in (("Grid patch", 0, 9, 2, "scheduled"), ("Grid reboot", 0, 10, 2, "scheduled"),
                                           ("Grid firmware", 1, 14, 1, "completed")):
        org.change_counter += 1
        start = datetime.combine(monday + timedelta(days=day), time(hour), timezone.utc)
        change = Change(organisation_id=org.id, number=org.change_counter, title=title, company_id=acme.id,
                        state=state, created_by_id=engineer.id, implementer_id=engineer.id,
                        window_start=start, window_end=start + timedelta(hours=hours))
        db.session.add(change)
        made[title] = change
    org.change_counter += 1
    made["to schedule"] = Change(organisation_id=org.id, number=org.change_counter, title="Needs a window",
                                 company_id=acme.id, state="approved", created_by_id=engineer.id,
                                 implementer_id=engineer.id)
    db.session.add(made["to schedule"])
    db.session.commit()
    return {title: (change.id, change.reference) for title, change in made.items()}


def test_week_grid_shows_blocks_bands_and_walks_with_the_keyboard(page, login, demo):
    with demo.app_context():
        made = _week_with_work(WEEK)
    login(page, "engineer@demo.test")
    goto(page, f"/calendar?date={WEEK}")
    monday = page.locator("section.cal-day", has=page.get_by_role("heading", name="Monday 25 March"))
    patch = monday.get_by_role("link", name=re.compile(made["Grid patch"][1]))
    reboot = monday.get_by_role("link", name=re.compile(made["Grid reboot"][1]))
    expect(patch).to_contain_text("09:00–11:00")
    expect(patch).to_contain_text("Conflict: implementer booked on an overlapping change")
    # Overlapping blocks sit side by side in the day's column, the later one lower down.
    first, second = patch.bounding_box(), reboot.bounding_box()
    assert second["x"] >= first["x"] + first["width"] - 1 and second["y"] > first["y"]
    expect(page.get_by_text("Blackout: Payroll run (Acme Manufacturing), 18:00–00:00")).to_be_visible()
    tuesday = page.locator("section.cal-day", has=page.get_by_role("heading", name="Tuesday 26 March"))
    expect(tuesday.locator(".cal-block.state-completed .cal-state")).to_have_text("Completed")
    patch.focus()
    page.keyboard.press("ArrowDown")
    expect(reboot).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(tuesday.get_by_role("link", name=re.compile(made["Grid firmware"][1]))).to_be_focused()
    page.keyboard.press("PageDown")
    page.wait_for_url(re.compile(r"date=2030-04-01"))


def test_evening_blocks_sit_at_their_hour_and_inside_the_grid(page, login, demo):
    """A 22:00–00:00 window starts level with the 22:00 label and ends inside the day (a row gap
    once drew each hour's blocks lower, the evening ones below the grid)."""
    with demo.app_context():
        org = demo_organisation()
        engineer = db.session.scalar(select(User).filter_by(email="engineer@demo.test"))
        org.change_counter += 1
        start = datetime(2030, 3, 26, 22, tzinfo=timezone.utc)  # London is on GMT that week
        change = Change(organisation_id=org.id, number=org.change_counter, title="Late patch", state="scheduled",
                        created_by_id=engineer.id, implementer_id=engineer.id, window_start=start,
                        window_end=start + timedelta(hours=2))
        db.session.add(change)
        db.session.commit()
        reference = change.reference
    login(page, "engineer@demo.test")
    goto(page, f"/calendar?date={WEEK}")
    tuesday = page.locator("section.cal-day", has=page.get_by_role("heading", name="Tuesday 26 March"))
    block = tuesday.get_by_role("link", name=re.compile(reference)).bounding_box()
    label = page.locator(".cal-hours .cal-row-22").bounding_box()
    day = tuesday.bounding_box()
    assert abs(block["y"] - label["y"]) <= 4, (block, label)
    assert block["y"] + block["height"] <= day["y"] + day["height"] + 1, (block, day)


def test_suggest_a_window_then_one_click_fills_the_schedule_form(page, login, demo):
    with demo.app_context():
        change_id, _ = _week_with_work(WEEK)["to schedule"]
    login(page, "engineer@demo.test")
    goto(page, f"/changes/{change_id}?action=schedule")
    page.get_by_label("Duration").select_option(label="2 h")
    htmx_click(page, page.get_by_role("button", name="Suggest a window"),
               url_with(f"/changes/{change_id}", suggest="1", duration="120"))
    slot = page.get_by_role("link", name=re.compile(r"^Use ")).first
    label = slot.inner_text()  # "Use Tue 8 Dec 2026 22:00 – 00:00", in the user's timezone
    day, start, end = re.match(r"Use \w+ (\d+ \w+ \d+) (\d\d:\d\d) – (\d\d:\d\d)", label).groups()
    htmx_click(page, slot, url_with(f"/changes/{change_id}", action="schedule", fill_start=re.compile(".+")))
    expect(page.locator("#schedule-window_start")).to_have_value(
        f'{datetime.strptime(day, "%d %b %Y").strftime("%Y-%m-%d")}T{start}')
    expect(page.locator("#schedule-window_end")).to_have_value(re.compile(rf"^\d{{4}}-\d\d-\d\dT{end}$"))
    page.get_by_role("button", name="Save window").click()
    expect(page.get_by_text("Implementation window saved.")).to_be_visible()


def test_calendar_windows_and_suggestions_have_no_serious_accessibility_violation(page, login, demo):
    with demo.app_context():
        change_id, _ = _week_with_work(WEEK)["to schedule"]
    login(page, "admin@demo.test")
    for path in (f"/calendar?date={WEEK}", f"/calendar?view=month&date={WEEK}", "/windows", "/windows/new",
                 f"/changes/{change_id}?action=schedule&suggest=1&duration=60", "/profile"):
        goto(page, path)
        assert axe_violations(page) == [], path
