"""The calendar's week and month grids (PRODUCT §2.5): blocks by state (as text too), blackout and
maintenance bands, bookmarkable filters, hostile parameters, and a statement count that does not
grow with the data (only the visible range is read)."""
from datetime import datetime, time, timedelta, timezone

import pytest
from flask import g

from cbcw.changes.models import Change, ChangeDevice
from cbcw.devices.models import Device
from cbcw.windows.models import ScheduleWindow
from tests.helpers.statements import count_statements

MONDAY = datetime(2030, 5, 6, tzinfo=timezone.utc)
WEEK = "2030-05-06"
STATES = ("scheduled", "in_progress", "completed", "failed", "approved")


@pytest.fixture
def fill_week(db, org, make_company, make_user):
    """`fill_week(n)`: n changes over the week of 6 May 2030 (and a few outside it), each with a device,
    spread over new companies and implementers, in every state a window shows in."""
    def fill(count):
        db.session.add(org)  # expunged by the counted request before
        people = [make_user("engineer") for _ in range(3)]
        companies = [make_company() for _ in range(3)]
        for i in range(count):
            company = companies[i % 3]
            device = Device(organisation_id=org.id, company_id=company.id, hostname=f"fill-{org.change_counter}-{i}")
            org.change_counter += 1
            start = MONDAY + timedelta(hours=7 * i % 160)
            change = Change(organisation_id=org.id, number=org.change_counter, title=f"Filled {i}",
                            company_id=company.id, state=STATES[i % len(STATES)], created_by_id=people[0].id,
                            implementer_id=people[i % 3].id, window_start=start, window_end=start + timedelta(hours=2))
            db.session.add_all([device, change])
            db.session.flush()
            db.session.add(ChangeDevice(organisation_id=org.id, change_id=change.id, device_id=device.id, mention="x"))
            db.session.add(ScheduleWindow(organisation_id=org.id, company_id=company.id, kind="maintenance",
                                          name=f"Nights {i}", timezone="Europe/London", recurrence="weekly",
                                          weekdays="0123456", start_time=time(22), end_time=time(2)))
        db.session.commit()
    return fill


@pytest.fixture
def counted_get(client, db):
    def get(url):
        for _ in range(2):  # a warm-up, then the counted request, each as a fresh request
            db.session.commit()
            db.session.expunge_all()
            g.pop("_login_user", None)
            with count_statements(db.engine) as statements:
                response = client.get(url)
        assert response.status_code == 200
        return response, statements
    return get


@pytest.mark.parametrize("query", [f"date={WEEK}", f"view=month&date={WEEK}", f"view=day&date={WEEK}&done=1",
                                   f"date={WEEK}&state=scheduled&mine=1&implementer=1&company=1"])
def test_statement_count_does_not_grow_with_the_data(login, admin, fill_week, counted_get, query):
    fill_week(4)
    login(admin)
    _, few = counted_get(f"/calendar?{query}")
    fill_week(60)
    response, many = counted_get(f"/calendar?{query}")
    assert len(many) == len(few), "\n".join(many)


def test_week_grid_shows_blocks_by_state_in_words_bands_and_conflicts(db, client, login, admin, engineer, make_change,
                                                                      make_device, company):
    db.session.add(ScheduleWindow(organisation_id=admin.organisation_id, kind="blackout", name="Payroll run",
                                  timezone="UTC", recurrence="weekly", weekdays="2", start_time=time(18),
                                  end_time=time(0)))
    db.session.add(ScheduleWindow(organisation_id=admin.organisation_id, company_id=company.id, kind="maintenance",
                                  name="Early mornings", timezone="UTC", recurrence="weekly", weekdays="0",
                                  start_time=time(5), end_time=time(7)))
    first = make_change(title="Patch", state="scheduled", implementer_id=engineer.id,
                        window_start=MONDAY + timedelta(hours=5), window_end=MONDAY + timedelta(hours=7))
    second = make_change(title="Reboot", state="in_progress", implementer_id=engineer.id,
                         window_start=MONDAY + timedelta(hours=6), window_end=MONDAY + timedelta(hours=8))
    make_change(title="Done", state="completed", window_start=MONDAY + timedelta(days=1, hours=9),
                window_end=MONDAY + timedelta(days=1, hours=10))
    frozen = make_change(title="In the payroll run", state="scheduled", change_type="emergency",
                         window_start=MONDAY + timedelta(days=2, hours=19), window_end=MONDAY + timedelta(days=2, hours=20))
    login(admin)
    page = client.get(f"/calendar?date={WEEK}&done=1").text
    assert page.count("In a blackout window") == 1 and frozen.reference in page
    # Overlapping, side by side: the first in the left lane of two, the second in the right.
    assert 'class="cal-block state-scheduled cal-conflict cal-row-5 cal-span-2 cal-lane-0-2"' in page
    assert "cal-block state-in_progress cal-conflict cal-row-6 cal-span-2 cal-lane-1-2" in page
    assert page.count("Conflict: implementer booked on an overlapping change") == 2
    for label in ("Scheduled", "In progress", "Completed"):
        assert f'<span class="cal-state">{label}</span>' in page
    assert "Blackout: Payroll run, 18:00–00:00" in page and "cal-band-blackout cal-row-18 cal-span-6" in page
    assert "Maintenance: Early mornings (Acme Manufacturing), 05:00–07:00" in page
    assert first.reference in page and second.reference in page


@pytest.mark.parametrize("query", ["", "&state=scheduled"])
def test_a_conflict_with_a_window_outside_the_grid_shows(client, login, admin, engineer, make_change, query):
    """A change running past Sunday midnight conflicts with the same implementer's change early next
    Monday, outside the grid: the block says so, with or without filters."""
    late = make_change(title="Late", state="scheduled", implementer_id=engineer.id,
                       window_start=MONDAY + timedelta(days=6, hours=23), window_end=MONDAY + timedelta(days=7, hours=1))
    make_change(title="Early", state="in_progress", implementer_id=engineer.id,
                window_start=MONDAY + timedelta(days=7), window_end=MONDAY + timedelta(days=7, minutes=30))
    make_change(title="Elsewhere", state="scheduled", window_start=MONDAY + timedelta(days=6, hours=23),
                window_end=MONDAY + timedelta(days=7, hours=1))
    login(admin)
    page = client.get(f"/calendar?date={WEEK}{query}").text
    assert late.reference in page and "Early" not in page
    assert page.count("Conflict: implementer booked on an overlapping change") == 1


def test_filters_state_implementer_mine_and_company_are_bookmarkable(client, login, admin, engineer, make_change,
                                                                     make_company):
    other = make_company("Other Co")
    mine = make_change(title="Mine", state="scheduled", implementer_id=admin.id,
                       window_start=MONDAY + timedelta(hours=9), window_end=MONDAY + timedelta(hours=10))
    theirs = make_change(title="Theirs", state="completed", implementer_id=engineer.id, company_id=other.id,
                         created_by=engineer,
                         window_start=MONDAY + timedelta(hours=9), window_end=MONDAY + timedelta(hours=10))
    login(admin)

    def shown(query):
        page = client.get(f"/calendar?date={WEEK}&{query}").text
        return {c.reference for c in (mine, theirs) if c.reference in page}

    assert shown("done=1") == {mine.reference, theirs.reference}
    assert shown("") == {mine.reference}  # open work only, unless asked
    assert shown("state=completed") == {theirs.reference}
    assert shown(f"implementer={engineer.id}&done=1") == {theirs.reference}
    assert shown("mine=1&done=1") == {mine.reference}
    assert shown(f"company={other.id}&done=1") == {theirs.reference}
    page = client.get(f"/calendar?date={WEEK}&state=completed&mine=1").text
    assert 'href="/calendar?date=2030-05-13&amp;state=completed&amp;mine=1&amp;view=week"' in page


@pytest.mark.parametrize("query", ["state=nonsense", "state=" + "x" * 5000, "implementer=-1",
                                   "implementer=" + "9" * 40, "mine=yes", "view=month&date=0001-01-01",
                                   "view=month&date=9999-12-31", "date=2030-13-45", "company=1e9", "done=yes",
                                   "view=day&date=0001-01-01", "view=day&date=9999-12-31"])
def test_hostile_filters_show_a_calendar(client, login, viewer, query):
    login(viewer)
    assert client.get(f"/calendar?{query}").status_code == 200


def test_a_foreign_implementer_or_company_shows_nothing_of_theirs(client, login, admin, make_org, make_user,
                                                                  make_change):
    elsewhere = make_org("Elsewhere")
    stranger = make_user("engineer", organisation=elsewhere)
    theirs = make_change(organisation=elsewhere, created_by=stranger, title="Their secret", state="scheduled",
                         implementer_id=stranger.id,
                         window_start=MONDAY + timedelta(hours=9), window_end=MONDAY + timedelta(hours=10))
    login(admin)
    for query in ("", f"implementer={stranger.id}"):
        assert "Their secret" not in client.get(f"/calendar?date={WEEK}&{query}").text
    assert theirs.id


def test_a_window_of_the_longest_length_shows_on_every_day_it_touches(client, login, admin, make_change):
    """The calendar reads only windows starting less than 31 days (the longest a window may last) before
    the grid: one exactly that long ending at 01:00 on the week's first day shows there (one ending at
    midnight does not), and on each day of the month grid it touches."""
    edge = make_change(title="Data centre move", state="in_progress", window_start=MONDAY - timedelta(days=31, hours=-1),
                       window_end=MONDAY + timedelta(hours=1))
    make_change(title="Ended at midnight", state="completed", window_start=MONDAY - timedelta(days=31), window_end=MONDAY)
    login(admin)
    week = client.get(f"/calendar?date={WEEK}&done=1").text
    assert week.count(edge.reference) == 1 and ">until 01:00<" in week and "Ended at midnight" not in week
    month = client.get(f"/calendar?view=month&date={WEEK}&done=1").text
    assert month.count(edge.reference) == 8  # the May grid's Monday 29 April to Monday 6 May


def test_month_cell_shows_eight_then_links_to_the_day(client, login, admin, make_change):
    for hour in range(10):
        make_change(title=f"Busy {hour}", state="scheduled",
                    window_start=MONDAY + timedelta(hours=hour), window_end=MONDAY + timedelta(hours=hour, minutes=30))
    login(admin)
    page = client.get(f"/calendar?view=month&date={WEEK}").text
    assert "+ 2 more<" in page and 'href="/calendar?date=2030-05-06&amp;view=day"' in page
    day = client.get("/calendar?date=2030-05-06&view=day").text
    assert all(f"Busy {hour}" in day for hour in range(10)) and "Calendar · Monday 6 May 2030" in day


def test_a_crowded_hour_shows_three_lanes_at_most_then_more_on_the_day_view(client, login, admin, engineer,
                                                                            make_change):
    crowd = [make_change(title=f"Crowd {n}", state="scheduled", implementer_id=engineer.id,
                         window_start=MONDAY + timedelta(hours=20), window_end=MONDAY + timedelta(hours=22))
             for n in range(5)]
    login(admin)
    page = client.get(f"/calendar?date={WEEK}&implementer={engineer.id}").text
    assert sum(change.reference in page for change in crowd) == 2
    assert "cal-lane-0-3" in page and "cal-lane-1-3" in page and "cal-block" not in page.split("cal-lane-2-3")[0][-200:]
    day_link = f'href="/calendar?date=2030-05-06&amp;implementer={engineer.id}&amp;view=day"'
    assert day_link in page and "+3 more<" in page
    day = client.get(f"/calendar?date=2030-05-06&implementer={engineer.id}&view=day").text
    assert all(change.reference in day for change in crowd) and 'rel="next"' in day and "2030-05-07" in day


def test_bands_on_a_carry_over_day_read_like_entries(db, client, login, admin):
    """An overnight window reads "from 23:00" then "until 05:00" (not 23:00–05:00 twice); a freeze over
    several days "all day" on each whole day."""
    db.session.add(ScheduleWindow(organisation_id=admin.organisation_id, kind="blackout", name="Payroll run",
                                  timezone="UTC", recurrence="weekly", weekdays="0", start_time=time(23),
                                  end_time=time(5)))
    db.session.add(ScheduleWindow(organisation_id=admin.organisation_id, kind="blackout", name="Spring freeze",
                                  timezone="UTC", recurrence="once", starts_local=datetime(2030, 5, 8),
                                  ends_local=datetime(2030, 5, 10)))
    login(admin)
    page = client.get(f"/calendar?date={WEEK}").text
    assert "Blackout: Payroll run, from 23:00" in page and "Blackout: Payroll run, until 05:00" in page
    assert "23:00–05:00" not in page and "00:00–00:00" not in page
    assert page.count("Blackout: Spring freeze, all day") == 2  # Wednesday and Thursday, not Friday
    assert "Ends Tuesday 7 May 05:00" in page  # the title and screen readers say when it ends


def test_open_work_by_default_finished_on_request_cancelled_never(client, login, admin, make_change):
    states = ("pending_approval", "approved", "scheduled", "in_progress", "completed", "failed", "cancelled")
    changes = {state: make_change(title=f"A {state} one", state=state, window_start=MONDAY + timedelta(days=n, hours=9),
                                  window_end=MONDAY + timedelta(days=n, hours=10))
               for n, state in enumerate(states)}
    login(admin)

    def shown(query):
        page = client.get(f"/calendar?date={WEEK}{query}").text
        return {state for state, change in changes.items() if change.reference in page}, page

    states, page = shown("")
    assert states == {"pending_approval", "approved", "scheduled", "in_progress"}
    assert "completed and failed changes are hidden" in page
    assert 'href="/calendar?date=2030-05-06&amp;view=week&amp;done=1">Show them too' in page
    states, page = shown("&done=1")
    assert states == {"pending_approval", "approved", "scheduled", "in_progress", "completed", "failed"}
    assert 'name="done" value="1" checked' in page and 'href="/calendar?date=2030-05-06&amp;view=week">Show open' in page
    assert shown("&state=failed")[0] == {"failed"} and shown("&state=cancelled")[0] == set()
    assert shown("&view=month&done=yes")[0] == states - {"completed", "failed"}
