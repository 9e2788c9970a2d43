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
    goto(page, f"/calendar?date={WEEK}&done=1")
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
    page.wait_for_url(re.compile(r"date=2030-04-01.*done=1"))


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
    with demo.app_context():
        _crowd(WEEK, 6)
    for path in (f"/calendar?date={WEEK}", f"/calendar?view=month&date={WEEK}", f"/calendar?view=day&date={WEEK}",
                 "/windows", "/windows/new",
                 f"/changes/{change_id}?action=schedule&suggest=1&duration=60", "/profile"):
        goto(page, path)
        assert axe_violations(page) == [], path


# --- Readable when windows overlap (Outlook and Google's lanes) --------------------------------

GEOMETRY = """() => Array.from(document.querySelectorAll('section.cal-day')).map(day => {
  const box = r => { const b = r.getBoundingClientRect(); return {left: b.left, right: b.right, top: b.top, bottom: b.bottom}; };
  return {day: box(day), name: day.querySelector('h2').textContent,
    blocks: Array.from(day.querySelectorAll('.cal-block')).map(b => { const t = b.querySelector('.agenda-time');
      return {box: box(b), time: box(t), text: t.textContent, overflows: t.scrollWidth > t.clientWidth}; }),
    tiles: Array.from(day.querySelectorAll('.cal-more-tile')).map(t => ({box: box(t), text: t.textContent}))};
})"""


def _crowd(monday: date, count: int) -> list[str]:
    """`count` changes of the engineer overlapping on the week's Monday 09:00–11:00 (and one from Sunday
    night to Tuesday morning): more than three lanes' worth."""
    org = demo_organisation()
    engineer = db.session.scalar(select(User).filter_by(email="engineer@demo.test"))
    references = []
    windows = [(datetime.combine(monday, time(9 + n % 2), timezone.utc), timedelta(hours=2)) for n in range(count)]
    windows.append((datetime.combine(monday - timedelta(days=1), time(22), timezone.utc), timedelta(hours=35)))
    for n, (start, length) in enumerate(windows):
        org.change_counter += 1
        change = Change(organisation_id=org.id, number=org.change_counter, title=f"Crowded {n}", state="scheduled",
                        created_by_id=engineer.id, implementer_id=engineer.id, window_start=start,
                        window_end=start + length)
        db.session.add(change)
        references.append(change.reference)
    db.session.commit()
    return references


def test_overlapping_windows_sit_in_three_lanes_inside_their_day_with_more_on_the_day_view(page, login, demo):
    with demo.app_context():
        references = _crowd(WEEK, 6)
    login(page, "engineer@demo.test")
    goto(page, f"/calendar?date={WEEK}")
    days = page.evaluate(GEOMETRY)
    monday = next(day for day in days if day["name"].startswith("Monday"))
    for day in days:
        for block in day["blocks"]:
            assert day["day"]["left"] - 1 <= block["box"]["left"] and block["box"]["right"] <= day["day"]["right"] + 1, \
                (day["name"], block)
            # The time reads whole: inside its block, not cut off.
            assert not block["overflows"] and block["time"]["right"] <= block["box"]["right"] + 0.5, block
            assert block["time"]["bottom"] <= block["box"]["bottom"] + 0.5, block
        assert len({round(block["box"]["left"]) for block in day["blocks"]}) <= 3, day["name"]
    assert len(monday["blocks"]) == 2 and len(monday["tiles"]) == 1 and monday["tiles"][0]["text"].startswith("+5 more")
    tile = monday["tiles"][0]["box"]
    assert tile["right"] <= monday["day"]["right"] + 1
    assert all(block["box"]["right"] <= tile["left"] + 1 for block in monday["blocks"])  # beside them, not over
    assert all(block["box"]["right"] - block["box"]["left"] >= 40 for day in days for block in day["blocks"])
    # The tile is reached with the arrow keys like a block, and opens the day with every window.
    page.locator(".cal-day .cal-block").first.focus()
    more = page.get_by_role("link", name=re.compile(r"^\+5 more on Monday 25 March"))
    for _ in range(3):
        page.keyboard.press("ArrowDown")
        if more.evaluate("element => element === document.activeElement"):
            break
    expect(more).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"view=day"))
    expect(page.get_by_role("heading", name="Calendar · Monday 25 Mar 2030")).to_be_visible()
    for reference in references:
        expect(page.get_by_role("link", name=re.compile(reference))).to_be_visible()
    page.keyboard.press("PageDown")
    page.wait_for_url(re.compile(r"date=2030-03-26.*view=day|view=day.*date=2030-03-26"))


def test_the_week_opens_at_working_hours_with_taller_hours(page, login, demo):
    with demo.app_context():
        _week_with_work(WEEK)
    login(page, "engineer@demo.test")
    page.set_viewport_size({"width": 1280, "height": 900})
    goto(page, f"/calendar?date={WEEK}")
    grid = page.locator(".cal-week")
    hour = page.locator(".cal-hours .cal-row-7").bounding_box()
    head = page.locator(".cal-day-head").first.bounding_box()
    assert abs(hour["y"] - (head["y"] + head["height"])) <= 2, (hour, head)  # 07:00 just under the day names
    assert hour["height"] >= 40
    expect(page.get_by_role("link", name=re.compile("Grid patch"))).to_be_in_viewport()
    assert grid.evaluate("grid => grid.scrollTop") > 0
    # Midnight is a scroll up, the day names staying on top.
    grid.evaluate("grid => { grid.scrollTop = 0; }")
    assert page.locator(".cal-day-head").first.bounding_box()["y"] == head["y"]


def test_filters_read_left_to_right_and_finished_work_is_a_bookmarkable_toggle(page, login, demo):
    with demo.app_context():
        made = _week_with_work(WEEK)
    login(page, "engineer@demo.test")
    goto(page, f"/calendar?date={WEEK}")
    box = page.get_by_label("Mine only").bounding_box()
    text = page.get_by_label("Mine only").evaluate("""box => { const range = document.createRange();
        const words = Array.from(box.labels[0].childNodes).find(node => node.nodeType === 3 && node.textContent.trim());
        range.selectNodeContents(words); const r = range.getBoundingClientRect();
        return {x: r.left, y: r.top, width: r.width, height: r.height}; }""")
    assert box["x"] + box["width"] <= text["x"] + 1 and abs((box["y"] + box["height"] / 2) - (text["y"] + text["height"] / 2)) < 6
    firmware = page.get_by_role("link", name=re.compile(made["Grid firmware"][1]))
    expect(firmware).to_have_count(0)
    expect(page.get_by_text("completed and failed changes are hidden")).to_be_visible()
    page.get_by_label("Show completed and failed").check()
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"done=1"))
    expect(firmware).to_be_visible()
    page.get_by_role("link", name="Show open work only").click()
    expect(firmware).to_have_count(0)


def test_a_crowded_week_reads_as_a_list_on_a_phone(page, login, demo):
    with demo.app_context():
        _crowd(WEEK, 6)
    page.set_viewport_size({"width": 390, "height": 800})
    login(page, "engineer@demo.test")
    goto(page, f"/calendar?date={WEEK}")
    monday = page.locator("section.cal-day", has=page.get_by_role("heading", name="Monday 25 March"))
    expect(monday.get_by_role("link", name=re.compile(r"^\+5 more"))).to_be_visible()
    boxes = [block.bounding_box() for block in monday.locator(".cal-block").all()]
    assert all(box["width"] > 300 for box in boxes)
    assert all(a["y"] + a["height"] <= b["y"] + 1 for a, b in zip(boxes, boxes[1:]))  # one under another
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
