"""Hostile input on the change pages (issue 7): long texts, dates at the ends of the calendar,
and transition URLs opened with GET — each a clear answer, never a 500."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from cbcw.changes.fields import LONG_TEXT_MAX
from cbcw.changes.models import Change, TimelineEntry

TOO_LONG = f"Keep this to {LONG_TEXT_MAX:,} characters or fewer."
OUT_OF_RANGE = "Choose a date between the years 2000 and 2100."


def new_change_form(company, people, **overrides):
    """What the new-change form posts when filled in."""
    return {
        "title": "Replace core switch", "company_id": str(company.id), "risk": "low",
        "technical_approver_id": str(people.technical.id),
        "operational_approver_id": str(people.operational.id),
        "implementer_id": str(people.implementer.id), **overrides,
    }


def _count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("name", ["description", "reason", "impact", "implementation_plan",
                                  "rollback_plan", "test_plan"])
def test_long_texts_stop_at_twenty_thousand_characters(post, login, db, engineer, company, people, name):
    """A text field one character over the limit is a form error and nothing is saved; at the limit it saves."""
    login(engineer)
    response = post("/changes/new", new_change_form(company, people, **{name: "x" * (LONG_TEXT_MAX + 1)}))
    assert response.status_code == 200 and TOO_LONG in response.get_data(as_text=True)
    assert _count(db, Change) == 0
    response = post("/changes/new", new_change_form(company, people, **{name: "x" * LONG_TEXT_MAX}))
    assert response.status_code == 302 and _count(db, Change) == 1


def test_long_comment_is_refused_with_a_message(act, login, db, engineer, new_change):
    """A comment over the limit is shown back with the message and not stored."""
    change = new_change()
    login(engineer)
    response = act(change, "comment", text="y" * (LONG_TEXT_MAX + 1))
    assert response.status_code == 200 and TOO_LONG in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).where(TimelineEntry.kind == "comment")) == 0


@pytest.mark.parametrize("action, fields", [
    ("cancel", {"reason": "z" * (LONG_TEXT_MAX + 1)}),
])
def test_long_transition_texts_are_refused(act, login, db, engineer, new_change, action, fields):
    """A transition's text over the limit is a form error; the change stays as it was."""
    change = new_change()
    login(engineer)
    response = act(change, action, **fields)
    assert response.status_code == 200 and TOO_LONG in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Change, change.id).state == "draft"


@pytest.mark.parametrize("zone, start, end", [
    ("Australia/Sydney", "0001-01-01T00:00", "0001-01-01T02:00"),
    ("Europe/London", "9999-12-31T22:00", "9999-12-31T23:30"),
    ("Europe/London", "1999-12-31T23:59", "2000-01-01T01:00"),
    ("Europe/London", "2100-12-31T23:00", "2101-01-01T00:30"),
])
def test_windows_outside_2000_to_2100_are_refused_on_the_change_form(
    post, login, db, make_user, company, people, zone, start, end
):
    """A window at the ends of the calendar (or just outside the range) is a clear form error, not a 500."""
    login(make_user("engineer", timezone=zone))
    response = post("/changes/new", new_change_form(company, people, window_start=start, window_end=end))
    assert response.status_code == 200 and OUT_OF_RANGE in response.get_data(as_text=True)
    assert _count(db, Change) == 0


def test_windows_at_the_edges_of_the_range_are_accepted(post, login, db, make_user, company, people):
    """A window from the first minute of 2000 in Sydney, and one to the last minute of 2100, are fine
    (each within the 31 days a window may last)."""
    login(make_user("engineer", timezone="Australia/Sydney"))
    for start, end in (("2000-01-01T00:00", "2000-01-01T01:00"), ("2100-12-31T22:59", "2100-12-31T23:59")):
        assert post("/changes/new", new_change_form(
            company, people, window_start=start, window_end=end)).status_code == 302
    windows = db.session.execute(select(Change.window_start, Change.window_end).order_by(Change.id)).all()
    assert windows[0].window_start == datetime(1999, 12, 31, 13, 0, tzinfo=timezone.utc)
    assert windows[1].window_end == datetime(2100, 12, 31, 12, 59, tzinfo=timezone.utc)


def test_schedule_form_refuses_out_of_range_windows(act, login, db, engineer, people, approved_change):
    """The schedule form bounds its window too; the change stays approved."""
    change = approved_change()
    login(engineer)
    response = act(change, "schedule", window_start="9999-12-31T22:00", window_end="9999-12-31T23:30",
                   implementer_id=str(people.implementer.id))
    assert response.status_code == 200 and OUT_OF_RANGE in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Change, change.id).state == "approved"


def test_a_stored_window_at_the_end_of_time_never_breaks_a_page(client, login, make_user, make_change):
    """A window stored before input was bounded shows (in UTC) on the list, detail and edit pages."""
    edge = datetime(9999, 12, 31, 23, 30, tzinfo=timezone.utc)
    change = make_change(window_start=edge, window_end=edge)
    login(make_user("admin", timezone="Australia/Sydney"))
    for url in ("/changes", f"/changes/{change.id}", f"/changes/{change.id}/edit"):
        response = client.get(url)
        assert response.status_code == 200, url
    assert "31 Dec 9999 23:30 UTC" in client.get(f"/changes/{change.id}").get_data(as_text=True)


# --- GET on a POST-only transition URL --------------------------------------------------------


@pytest.mark.parametrize("action", ["submit", "approve", "reject", "schedule", "start", "complete",
                                    "fail", "cancel"])
def test_get_on_a_transition_url_leads_back_to_the_change(client, login, engineer, new_change, action):
    """Opening or reloading /changes/<id>/<action> redirects to the change instead of a 405."""
    change = new_change()
    login(engineer)
    response = client.get(f"/changes/{change.id}/{action}")
    assert response.status_code == 302 and response.location.endswith(f"/changes/{change.id}")


def test_get_on_the_comment_url_leads_back_to_the_timeline(client, login, engineer, new_change):
    """Reloading the comment URL goes to the change's timeline."""
    change = new_change()
    login(engineer)
    response = client.get(f"/changes/{change.id}/comments")
    assert response.status_code == 302
    assert response.location.endswith(f"/changes/{change.id}?tab=timeline")


def test_reload_after_a_refused_transition_lands_on_the_change(client, act, login, make_user, db,
                                                              pending_change):
    """A refused approval leaves the browser on the POST URL; reloading it with GET shows the change."""
    change = pending_change()
    login(make_user("engineer"))
    refused = act(change, "approve", kind="technical")
    assert refused.status_code == 200
    page = client.get(f"/changes/{change.id}/approve", follow_redirects=True)
    assert page.status_code == 200 and page.request.path == f"/changes/{change.id}"


@pytest.mark.parametrize("title", ["Replace\r\nBcc: x@example.test", "Replace\u2028switch", "Replace\x1bswitch"])
def test_a_title_with_line_breaks_or_control_characters_is_refused(post, login, db, engineer, company, people, title):
    """A title is one line (it becomes a mail subject): a clear form error, nothing saved."""
    login(engineer)
    response = post("/changes/new", new_change_form(company, people, title=title))
    assert response.status_code == 200
    assert "Use one line of text" in response.get_data(as_text=True)
    assert _count(db, Change) == 0
