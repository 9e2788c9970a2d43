"""Implementation windows: typed with the one date-and-time control in the user's timezone, shown with the date said once."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from cbcw.changes.models import Change


def text(response) -> str:
    return response.get_data(as_text=True)


def new_change_form(company, people, **overrides):
    return {"title": "Swap the UPS battery", "company_id": str(company.id), "risk": "low",
            "technical_approver_id": str(people.technical.id),
            "operational_approver_id": str(people.operational.id), **overrides}


def test_window_inputs_are_the_one_date_and_time_control(client, login, engineer):
    """The new-change form asks for each end of the window with the browser's date-and-time picker
    (shown in the user's own date format), in minutes, and says which timezone it is."""
    login(engineer)
    page = text(client.get("/changes/new"))
    assert page.count('type="datetime-local"') == 2 and page.count('step="60"') == 2
    assert "(your time, UTC)" in page


def test_window_is_shown_back_in_the_users_timezone(client, login, make_user, make_change):
    """A stored window is put in the picker as the user's local time (New York: 22:00 the day before)."""
    user = login(make_user("engineer", timezone="America/New_York"))
    change = make_change(created_by=user, window_start=datetime(2026, 12, 11, 3, 0, tzinfo=timezone.utc))
    page = text(client.get(f"/changes/{change.id}/edit"))
    assert 'name="window_start" step="60" type="datetime-local" value="2026-12-10T22:00"' in page


def test_window_typed_as_date_and_time_is_read_in_the_users_timezone(csrf_token, client, login, db, make_user, company, people):
    """"10 Dec 2026" and "22:00" typed in New York are stored as 03:00 UTC the next day and shown back as typed."""
    login(make_user("engineer", timezone="America/New_York"))
    data = new_change_form(company, people)
    response = client.post("/changes/new", data={**data, "window_start": ["10 Dec 2026", "22:00"],
                                                 "window_end": ["2026-12-10", "23:30"],
                                                 "csrf_token": csrf_token()})
    assert response.status_code == 302
    change = db.session.scalar(select(Change))
    assert change.window_start == datetime(2026, 12, 11, 3, 0, tzinfo=timezone.utc)
    assert change.window_end == datetime(2026, 12, 11, 4, 30, tzinfo=timezone.utc)
    page = text(client.get(f"/changes/{change.id}"))
    assert ">10 Dec 2026 22:00</time>–<time" in page and ">23:30</time>" in page


@pytest.mark.parametrize("date, time, message", [
    ("12/10/2026", "10:00 PM", "“12/10/2026 10:00 PM” can be read two ways (day or month first)"),
    ("31 Feb 2026", "22:00", "31 Feb 2026 is not a date: February 2026 has 28 days."),
    ("2026-02-29T22:00", "", "29 Feb 2026 is not a date: February 2026 has 28 days."),
    ("31 Dec 9999", "23:59", "between the years 2000 and 2100"),
    ("10 Dec 2026", "25:00", "25:00 is not a time of day (00:00 to 23:59)."),
    ("10 Dec 2026", "", "Add the time as well as the date"),
    ("10 Decembre 2026", "22:00", "“Decembre” is not a month."),
    ("next tuesday", "", "“next tuesday” is not a date and time"),
])
def test_unreadable_or_impossible_window_is_refused_beside_the_field(csrf_token, client, login, db, make_user, company, people,
                                                                     date, time, message):
    """A US-style date, an impossible day or time, a missing time or plain words are refused with
    what is wrong with them (not the help text repeated), and nothing is stored."""
    login(make_user("engineer", timezone="America/New_York"))
    response = client.post("/changes/new", data={**new_change_form(company, people),
                                                 "window_start": [date, time], "csrf_token": csrf_token()})
    assert response.status_code == 200 and message in text(response)
    assert db.session.scalar(select(Change)) is None


def test_window_ending_before_it_starts_says_so(csrf_token, client, login, db, engineer, company, people):
    """An end before the start is refused beside the end field."""
    login(engineer)
    response = client.post("/changes/new", data={**new_change_form(company, people), "window_start": "2026-12-10T22:00",
                                                 "window_end": "2026-12-10T21:00", "csrf_token": csrf_token()})
    assert "The implementation window must end after it starts." in text(response)
    assert db.session.scalar(select(Change)) is None


def test_window_longer_than_31_days_is_refused_and_31_days_is_not(csrf_token, client, login, db, engineer, company,
                                                                    people):
    """A window may last 31 days at most (PRODUCT §2.1): one minute more is refused beside the end field
    with what to do instead; exactly 31 days is stored."""
    login(engineer)
    form = {**new_change_form(company, people), "window_start": "2026-12-01T22:00", "csrf_token": csrf_token()}
    response = client.post("/changes/new", data={**form, "window_end": "2027-01-01T22:01"})
    assert "An implementation window can last at most 31 days: split longer work into several changes." in text(
        response)
    assert db.session.scalar(select(Change)) is None
    assert client.post("/changes/new", data={**form, "window_end": "2027-01-01T22:00"}).status_code == 302
    assert db.session.scalar(select(Change)).window_end == datetime(2027, 1, 1, 22, 0, tzinfo=timezone.utc)


def test_same_day_window_shows_the_date_once_and_overnight_shows_both(client, login, engineer, make_change):
    """The list shows "10 Dec 2026 22:00–23:30" for a same-day window and both dates for one past midnight."""
    login(engineer)  # UTC
    make_change(title="Same day", window_start=datetime(2026, 12, 10, 22, 0, tzinfo=timezone.utc),
                window_end=datetime(2026, 12, 10, 23, 30, tzinfo=timezone.utc))
    make_change(title="Overnight", window_start=datetime(2026, 12, 10, 23, 0, tzinfo=timezone.utc),
                window_end=datetime(2026, 12, 11, 1, 0, tzinfo=timezone.utc))
    page = text(client.get("/changes"))
    assert ">10 Dec 2026 22:00</time>–<time datetime=\"2026-12-10T23:30:00+00:00\">23:30</time>" in page
    assert ">10 Dec 2026 23:00</time> – <time datetime=\"2026-12-11T01:00:00+00:00\">11 Dec 2026 01:00</time>" in page


def test_change_numbers_never_wrap_in_the_list(client, login, engineer, make_change):
    """The CHG number cell is marked not to wrap (CHG-000001 stays on one line)."""
    login(engineer)
    change = make_change(title="Any")
    row = f'<td class="number-cell" data-label="Number"><a href="/changes/{change.id}"'
    assert row in text(client.get("/changes"))

