"""Calendar agenda and schedule conflicts (PRODUCT §2.5)."""
import re
from datetime import date, datetime, timezone

import pytest

from cbcw.calendar.agenda import period
from cbcw.changes.conflicts import conflict_kinds, conflicts_for
from cbcw.changes.models import ChangeDevice

T = lambda day, hour: datetime(2030, 5, day, hour, tzinfo=timezone.utc)  # noqa: E731


@pytest.fixture
def link(db, org):
    def do_link(change, device):
        db.session.add(ChangeDevice(organisation_id=org.id, change_id=change.id, device_id=device.id,
                                    mention=device.hostname))
        db.session.commit()
    return do_link


@pytest.fixture
def overlapping(make_change, make_device, company, link):
    """Two scheduled changes on one device, 22:00-23:00 and 22:30-23:30 on 4 May 2030, and a third elsewhere."""
    server = make_device("acme-srv01", company=company)
    first = make_change(title="Patch", state="scheduled", window_start=T(4, 22), window_end=T(4, 23))
    second = make_change(title="Reboot", state="scheduled", window_start=T(4, 22).replace(minute=30),
                         window_end=T(4, 23).replace(minute=30))
    unrelated = make_change(title="Other box", state="scheduled", window_start=T(4, 22), window_end=T(4, 23))
    link(first, server)
    link(second, server)
    link(unrelated, make_device("acme-srv02", company=company))
    return first, second, unrelated


def test_overlapping_changes_sharing_a_device_conflict_both_ways(org, overlapping):
    """Each of two overlapping scheduled changes on one device sees the other; a third change sees none."""
    first, second, unrelated = overlapping
    assert [c.other.id for c in conflicts_for(first)] == [second.id]
    assert [d.hostname for d in conflicts_for(second)[0].devices] == ["acme-srv01"]
    assert conflicts_for(unrelated) == []
    assert conflict_kinds(org.id, [first, second, unrelated]) == {first.id: {"device"}, second.id: {"device"}}


def test_windows_that_only_touch_or_changes_not_scheduled_do_not_conflict(db, org, overlapping):
    """Back-to-back windows, or a cancelled change, are no conflict."""
    first, second, _ = overlapping
    assert conflicts_for(first, T(4, 23).replace(minute=30), T(5, 1)) == []
    second.state = "cancelled"
    db.session.commit()
    assert conflicts_for(first) == [] and conflict_kinds(org.id, [first]) == {}


def test_a_long_window_conflicts_with_each_shorter_one_inside_it(org, engineer, make_change):
    """The same implementer on a night-long change and on two short ones inside it that do not meet:
    all three conflict; a fourth after the long one ends, and a draft over all of them, do not."""
    night = make_change(state="scheduled", implementer_id=engineer.id, window_start=T(4, 20), window_end=T(5, 4))
    early = make_change(state="scheduled", implementer_id=engineer.id, window_start=T(4, 21), window_end=T(4, 22))
    late = make_change(state="in_progress", implementer_id=engineer.id, window_start=T(4, 23), window_end=T(5, 0))
    after = make_change(state="scheduled", implementer_id=engineer.id, window_start=T(5, 4), window_end=T(5, 5))
    draft = make_change(state="draft", implementer_id=engineer.id, window_start=T(4, 19), window_end=T(5, 6))
    kinds = conflict_kinds(org.id, [night, early, late, after, draft])
    assert kinds == {night.id: {"implementer"}, early.id: {"implementer"}, late.id: {"implementer"}}
    assert conflict_kinds(org.id, [late]) == {late.id: {"implementer"}}


def test_detail_page_warns_about_the_conflict(client, login, viewer, overlapping):
    """Both changes' detail pages show the conflict with the other change and the shared device."""
    first, second, unrelated = overlapping
    login(viewer)
    page = client.get(f"/changes/{first.id}").text
    assert "Schedule conflict" in page and second.reference in page and "acme-srv01" in page
    assert first.reference in client.get(f"/changes/{second.id}").text
    assert "Schedule conflict" not in client.get(f"/changes/{unrelated.id}").text


def test_scheduling_into_a_conflict_asks_for_confirmation(db, client, login, post, admin, make_change, make_device,
                                                          company, link, overlapping):
    """Scheduling an approved change into an overlapping window on a shared device needs "Schedule anyway"."""
    first, _second, _ = overlapping
    approved = make_change(title="Firmware", state="approved", implementer_id=admin.id)
    link(approved, first.devices[0].device)
    login(admin)
    form = {"schedule-window_start": "2030-05-04T22:15", "schedule-window_end": "2030-05-04T22:45",
            "schedule-implementer_id": str(admin.id)}
    refused = post(f"/changes/{approved.id}/schedule", form)
    assert refused.status_code == 200 and "Schedule anyway" in refused.text and first.reference in refused.text
    db.session.refresh(approved)
    assert approved.state == "approved"
    confirmed = post(f"/changes/{approved.id}/schedule", {**form, "schedule-confirm_conflicts": "y"})
    assert confirmed.status_code == 302
    db.session.refresh(approved)
    assert approved.state == "scheduled"


def test_scheduling_without_a_conflict_needs_no_confirmation(db, client, login, post, admin, make_change):
    """A window that conflicts with nothing is saved at once."""
    approved = make_change(title="Quiet", state="approved", implementer_id=admin.id)
    login(admin)
    response = post(f"/changes/{approved.id}/schedule", {
        "schedule-window_start": "2030-06-01T10:00", "schedule-window_end": "2030-06-01T11:00",
        "schedule-implementer_id": str(admin.id)})
    assert response.status_code == 302


def test_calendar_week_lists_windows_in_the_users_timezone_with_conflicts(client, login, make_user, overlapping):
    """The week agenda shows each window on its local day and time, marking the conflicting ones."""
    first, second, unrelated = overlapping
    user = make_user("viewer", timezone="Australia/Sydney")  # UTC+10: 22:00 UTC on 4 May is 08:00 on 5 May
    login(user)
    page = client.get("/calendar?date=2030-05-05").text
    shown = re.sub(r"<[^>]+>", "", page)  # as read: the heading's name and date, a block's start and end
    assert "Sunday 5 May" in shown and "08:00–09:00" in shown and first.reference in page
    assert page.count("Conflict: shares a device") == 2


def test_calendar_month_and_company_filter(client, login, viewer, overlapping, make_company, make_change):
    """The month view lists the month's windows; the company filter hides other companies' changes."""
    other = make_company("Other Co")
    theirs = make_change(title="Elsewhere", state="scheduled", company_id=other.id,
                         window_start=T(20, 9), window_end=T(20, 10))
    login(viewer)
    month = client.get("/calendar?view=month&date=2030-05-15").text
    assert theirs.reference in month and overlapping[0].reference in month
    filtered = client.get(f"/calendar?view=month&date=2030-05-15&company={overlapping[0].company_id}").text
    assert theirs.reference not in filtered and overlapping[0].reference in filtered


@pytest.mark.parametrize("query", ["date=nonsense", "date=0001-01-01", "date=9999-12-31", "view=year",
                                   "company=" + "9" * 40, "date=2030-02-30"])
def test_calendar_survives_hostile_parameters(client, login, viewer, query):
    """Any date, view or company id gives a calendar page, never a server error."""
    login(viewer)
    assert client.get(f"/calendar?{query}").status_code == 200


def test_period_boundaries():
    """A week starts on Monday; a month runs from its first to its last day."""
    assert period("week", date(2030, 5, 8))[:2] == (date(2030, 5, 6), date(2030, 5, 12))
    assert period("month", date(2030, 2, 14))[:2] == (date(2030, 2, 1), date(2030, 2, 28))
    assert period("month", date(2030, 12, 31))[3] == date(2031, 1, 1)


def test_a_window_crossing_midnight_reads_as_continuing_on_its_second_day(client, login, viewer, make_change):
    """22:00–00:30 shows under both days: the first "from 22:00", the second "until 00:30", each naming the other end."""
    make_change(title="Late one", state="scheduled", window_start=T(4, 22),
                window_end=T(5, 0).replace(minute=30))
    login(viewer)
    page = client.get("/calendar?date=2030-05-05").text
    saturday, sunday = page.index('id="day-2030-05-04"'), page.index('id="day-2030-05-05"')
    assert page.count("from 22:00") == 1 and saturday < page.index("from 22:00") < sunday
    assert page.count("until 00:30") == 1 and sunday < page.index("until 00:30")
    assert 'title="Started Saturday 4 May 22:00"' in page and "Ends Sunday 5 May 00:30" in page


def test_a_window_over_three_days_is_all_day_in_between(client, login, viewer, make_change):
    """A window from Friday night to Sunday morning reads "all day" on Saturday, with when it started and ends."""
    make_change(title="Long one", state="scheduled", window_start=T(3, 22), window_end=T(5, 6))
    login(viewer)
    page = client.get("/calendar?date=2030-05-05").text
    assert page.index("from 22:00") < page.index("all day") < page.index("until 06:00")
    assert "Started Friday 3 May 22:00, ends Sunday 5 May 06:00" in page
