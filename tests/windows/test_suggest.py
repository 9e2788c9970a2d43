""""Suggest a window" (PRODUCT §2.5): free slots inside maintenance windows, outside blackouts, clear
of device and implementer conflicts, in the user's timezone; one click fills the form. The clock
is frozen (FROZEN_NOW, Tuesday 8 December 2026 03:30 UTC)."""
import re
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from cbcw.changes import routes
from cbcw.changes.models import ChangeDevice
from cbcw.changes.suggest import suggest
from tests.helpers.clock import FROZEN_NOW

LONDON = ZoneInfo("Europe/London")
T = lambda *a: datetime(*a, tzinfo=timezone.utc)  # noqa: E731


@pytest.fixture
def frozen_detail_clock(monkeypatch):
    monkeypatch.setattr(routes, "utcnow", lambda: FROZEN_NOW)


def test_slots_fall_in_maintenance_outside_blackouts_and_clear_of_other_work(
        app, db, org, company, admin, make_change, make_window, make_device):
    """Saturday evenings 20:00–24:00 London; the first Saturday (12 Dec) is frozen, the implementer
    is booked on the second from 20:00 to 21:30, another change on the same server holds the third
    until 23:00: the slots are 19 Dec 21:30, 26 Dec 23:00 and 2 Jan 20:00."""
    make_window(name="Saturday evenings", kind="maintenance", company_id=company.id, timezone="Europe/London",
                recurrence="weekly", weekdays="5", start_time=time(20), end_time=time(0))
    make_window(name="Office party", company_id=company.id, recurrence="once", timezone="Europe/London",
                starts_local=datetime(2026, 12, 12), ends_local=datetime(2026, 12, 13))
    make_change(title="Booked", state="scheduled", implementer_id=admin.id,
                window_start=T(2026, 12, 19, 20), window_end=T(2026, 12, 19, 21, 30))
    server = make_device("acme-srv01", company=company)
    shared = make_change(title="Same box", state="scheduled", window_start=T(2026, 12, 26, 20),
                         window_end=T(2026, 12, 26, 23))
    change = make_change(title="Patch", state="approved", implementer_id=admin.id)
    for linked in (shared, change):
        db.session.add(ChangeDevice(organisation_id=org.id, change_id=linked.id, device_id=server.id, mention="x"))
    db.session.commit()
    with app.test_request_context():
        found = suggest(change, timedelta(hours=1), admin.id, FROZEN_NOW, LONDON, count=3)
    assert found.slots == [(T(2026, 12, 19, 21, 30), T(2026, 12, 19, 22, 30)),
                           (T(2026, 12, 26, 23), T(2026, 12, 27)),
                           (T(2027, 1, 2, 20), T(2027, 1, 2, 21))]


def test_without_maintenance_windows_the_next_half_hour_is_free(app, db, admin, make_change):
    change = make_change(title="Anytime", state="approved", implementer_id=admin.id)
    with app.test_request_context():
        found = suggest(change, timedelta(minutes=90), admin.id, FROZEN_NOW, LONDON, count=2)
    assert found.slots[0] == (T(2026, 12, 8, 3, 30), T(2026, 12, 8, 5))
    assert found.slots[1][0].astimezone(LONDON).date() == datetime(2026, 12, 9).date()  # one per day


def test_a_window_that_never_fits_in_90_days_gives_no_slot(app, db, company, admin, make_change, make_window):
    make_window(name="Short", kind="maintenance", company_id=company.id, recurrence="weekly", weekdays="0",
                start_time=time(1), end_time=time(2))
    change = make_change(title="Long", state="approved", implementer_id=admin.id)
    with app.test_request_context():
        assert suggest(change, timedelta(hours=3), admin.id, FROZEN_NOW, LONDON).slots == []


def test_suggest_then_one_click_fills_the_form_without_javascript(client, login, make_user, make_change, make_window,
                                                                  company, frozen_detail_clock):
    """GET ?suggest=1 lists slots in the user's timezone; a slot's link re-renders the form filled."""
    user = make_user("admin", timezone="Australia/Sydney")
    make_window(name="Weeknights", kind="maintenance", company_id=company.id, timezone="Australia/Sydney",
                recurrence="weekly", weekdays="01234", start_time=time(22), end_time=time(2))
    change = make_change(title="Patch", state="approved", implementer_id=user.id)
    login(user)
    page = client.get(f"/changes/{change.id}?action=schedule&suggest=1&duration=120").text
    links = re.findall(r'href="(/changes/\d+\?action=schedule&amp;fill_start=[^"#]+)', page)
    assert links and "Use " in page and "22:00" in page
    assert "Use Tue 8 Dec 2026 22:00 – 00:00" in page  # 11:00–13:00 UTC, the first weeknight after now
    filled = client.get(links[0].replace("&amp;", "&")).text
    assert re.search(r'id="schedule-window_start"[^>]*value="2026-12-08T22:00"', filled)
    assert re.search(r'id="schedule-window_end"[^>]*value="2026-12-09T00:00"', filled)


def test_hostile_suggest_and_fill_parameters_never_fail(client, login, admin, make_change, frozen_detail_clock):
    change = make_change(title="Patch", state="approved", implementer_id=admin.id)
    login(admin)
    for query in ("suggest=1&duration=-5", "suggest=1&duration=" + "9" * 50, "fill_start=0001-01-01T00:00:00%2B14:00",
                  "fill_start=9999-12-31T23:59:59-12:00&fill_end=x", "fill_implementer=" + "9" * 40,
                  "fill_start=2030-01-01T10:00&fill_end=2030-01-01T09:00", "suggest=1&fill_implementer=-1"):
        assert client.get(f"/changes/{change.id}?action=schedule&{query}").status_code == 200, query


def test_suggestions_are_for_the_implementer_picked_in_the_form_and_keep_what_was_typed(
        client, login, admin, make_user, make_change, frozen_detail_clock):
    """Pressing "Suggest a window" after picking another implementer (htmx sends the schedule form's
    fields along): the slots are that person's, whose morning is booked, and the typed window stays."""
    morgan = make_user("engineer", display_name="Morgan Lee")
    make_change(title="Morgan's morning", state="scheduled", implementer_id=morgan.id,
                window_start=T(2026, 12, 8, 3, 30), window_end=T(2026, 12, 8, 9))
    change = make_change(title="Patch", state="approved", implementer_id=admin.id)
    login(admin)
    page = client.get(f"/changes/{change.id}", query_string={
        "action": "schedule", "suggest": "1", "duration": "60", "schedule-implementer_id": str(morgan.id),
        "schedule-window_start": "2026-12-15T09:00", "schedule-window_end": "31 Feb 2026 10:00"}).text
    assert f"fill_implementer={morgan.id}" in page and f"fill_implementer={admin.id}" not in page
    assert "Use Tue 8 Dec 2026 09:00 – 10:00" in page  # after Morgan's morning (London is UTC in December)
    assert re.search(rf'<option selected value="{morgan.id}">Morgan Lee', page)
    assert re.search(r'id="schedule-window_start"[^>]*value="2026-12-15T09:00"', page)
    assert re.search(r'id="schedule-window_end"[^>]*value="31 Feb 2026 10:00"', page)
