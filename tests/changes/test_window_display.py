"""Implementation windows as the app shows them: typed as a date and a 24-hour time, the date said once."""
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


def test_window_inputs_are_a_date_and_a_24_hour_time_with_the_format_shown(client, login, engineer):
    """The new-change form asks for each end of the window as a date and a time, saying the format."""
    login(engineer)
    page = text(client.get("/changes/new"))
    assert page.count('placeholder="10 Dec 2026"') == 2 and page.count('placeholder="22:00"') == 2
    assert "Give the date as 10 Dec 2026 and the time as 22:00 (24-hour)." in page
    assert 'type="datetime-local"' not in page


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
    ("12/10/2026", "10:00 PM", "Give the date as 10 Dec 2026"),
    ("31 Feb 2026", "22:00", "Give the date as 10 Dec 2026"),
    ("31 Dec 9999", "23:59", "between the years 2000 and 2100"),
    ("10 Dec 2026", "25:00", "Give the date as 10 Dec 2026"),
])
def test_unreadable_or_impossible_window_is_refused_beside_the_field(csrf_token, client, login, db, make_user, company, people,
                                                                     date, time, message):
    """A US-style date, a 12-hour time, an impossible day or a date beyond what UTC can hold is explained, not stored."""
    login(make_user("engineer", timezone="America/New_York"))
    response = client.post("/changes/new", data={**new_change_form(company, people),
                                                 "window_start": [date, time], "csrf_token": csrf_token()})
    assert response.status_code == 200 and message in text(response)
    assert 'value="%s"' % date in text(response)  # what was typed stays in the box
    assert db.session.scalar(select(Change)) is None


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
    row = f'<td class="number-cell"><a href="/changes/{change.id}">{change.reference}</a></td>'
    assert row in text(client.get("/changes"))

