"""The private iCalendar feed (PRODUCT §2.5): parses with `icalendar`, windows in UTC, only the
user's (implementer or approver), at an unguessable URL that a new one or Revoke ends."""
import logging
import re
from datetime import datetime, timezone

from icalendar import Calendar

from cbcw.calendar import feed, routes
from cbcw.calendar.models import CalendarFeed
from tests.helpers.clock import FROZEN_NOW

T = lambda *a: datetime(*a, tzinfo=timezone.utc)  # noqa: E731


def _make_url(post) -> str:
    page = post("/profile/calendar-feed").text
    return re.search(r'value="http://127\.0\.0\.1:5000(/calendar/feed/[^"]+\.ics)"', page).group(1)


def test_feed_holds_my_windows_in_utc_and_parses(db, client, login, post, make_user, make_change, monkeypatch):
    monkeypatch.setattr(routes, "utcnow", lambda: FROZEN_NOW)
    me = make_user("engineer", timezone="Australia/Sydney")
    mine = make_change(title="Patch the firewall", state="scheduled", implementer_id=me.id,
                       window_start=T(2026, 12, 20, 22), window_end=T(2026, 12, 21, 1, 30))
    approving = make_change(title="Swap switch", state="approved", technical_approver_id=me.id,
                            window_start=T(2026, 12, 22, 9), window_end=T(2026, 12, 22, 10))
    someone_elses = make_change(title="Not mine", state="scheduled",
                                window_start=T(2026, 12, 20, 22), window_end=T(2026, 12, 21, 1))
    make_change(title="Called off", state="cancelled", implementer_id=me.id,
                window_start=T(2026, 12, 23, 9), window_end=T(2026, 12, 23, 10))
    login(me)
    assert "Make my feed URL" in client.get("/profile").text
    url = _make_url(post)
    post("/logout")  # the feed needs no session: the calendar app has none
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    events = {str(e["summary"]): e for e in Calendar.from_ical(response.data).walk("VEVENT")}
    assert set(events) == {f"{mine.reference} Patch the firewall (Scheduled)", f"{approving.reference} Swap switch (Approved)"}
    event = events[f"{mine.reference} Patch the firewall (Scheduled)"]
    assert event.decoded("dtstart") == T(2026, 12, 20, 22) and event.decoded("dtend") == T(2026, 12, 21, 1, 30)
    assert b"DTSTART:20261220T220000Z" in response.data and b"DTEND:20261221T013000Z" in response.data
    assert someone_elses.reference.encode() not in response.data


def test_a_new_url_or_revoke_ends_the_old_one_and_only_a_hash_is_stored(db, client, login, post, engineer):
    login(engineer)
    first = _make_url(post)
    second = _make_url(post)
    assert client.get(first).status_code == 404 and client.get(second).status_code == 200
    token = second.rsplit("/", 1)[1].removesuffix(".ics")
    stored = db.session.scalar(db.select(CalendarFeed).filter_by(user_id=engineer.id))
    assert token not in stored.token_hash and len(token) >= 43
    assert "Your feed is active" in client.get("/profile").text and token not in client.get("/profile").text
    assert post("/profile/calendar-feed/revoke").status_code == 302
    assert client.get(second).status_code == 404


def test_a_deactivated_user_s_feed_stops(db, client, login, post, engineer):
    login(engineer)
    url = _make_url(post)
    engineer.active = False
    db.session.commit()
    assert client.get(url).status_code == 404


def test_hostile_tokens_are_404_and_the_token_is_never_logged(client, login, post, engineer, caplog):
    for token in ("x", "A" * 5000, "..%2F..%2Fetc", "%00", "' OR 1=1 --"):
        assert client.get(f"/calendar/feed/{token}.ics").status_code == 404
    login(engineer)
    url = _make_url(post)
    with caplog.at_level(logging.INFO, logger="cbcw.request"):
        assert client.get(url).status_code == 200
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert "path=/calendar/feed/<token>.ics" in caplog.text and token not in caplog.text
    assert feed.user_for_token(None) is None


def test_feed_links_are_on_app_base_url_whatever_the_host_header(db, client, login, post, engineer, make_change):
    """The feed URL shown is on APP_BASE_URL, and a forged Host header does not reach the feed's links."""
    change = make_change(title="Patch", state="scheduled", implementer_id=engineer.id,
                         window_start=T(2099, 1, 1, 9), window_end=T(2099, 1, 1, 10))
    login(engineer)
    url = _make_url(post)  # found only as http://127.0.0.1:5000/… (APP_BASE_URL), not the request's host
    body = client.get(url, headers={"Host": "evil.example"}).text
    assert "evil.example" not in body
    assert f"http://127.0.0.1:5000/changes/{change.id}" in body.replace("\r\n ", "")
