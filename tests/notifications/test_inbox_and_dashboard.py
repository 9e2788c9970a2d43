"""The inbox and its bell, reminders once across runs, /dev/mail, and the dashboard at `/`."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from cbcw.mail.models import MailMessage
from cbcw.notifications import jobs
from cbcw.notifications.models import Notification
from tests.helpers.clock import FROZEN_NOW
from tests.changes.test_change_types import cast, draft, emergency_in_progress  # noqa: F401 (fixtures)
from tests.changes.test_statement_counts import counted_get  # noqa: F401  (the fixture)


def test_bell_counts_unread_and_the_inbox_links_to_the_change(client, login, post, pending_change, people, db):
    change = pending_change()
    login(people.technical)
    page = client.get("/inbox").get_data(as_text=True)
    assert 'title="Inbox: 1 unread"' in page
    assert f'href="/changes/{change.id}"' in page
    item = db.session.scalars(select(Notification).filter_by(user_id=people.technical.id)).one()
    post(f"/inbox/{item.id}/read")
    assert 'title="Inbox: 0 unread"' in client.get("/inbox").get_data(as_text=True)
    post(f"/inbox/{item.id}/unread")
    assert 'title="Inbox: 1 unread"' in client.get("/inbox").get_data(as_text=True)


def test_someone_elses_item_is_a_404(client, login, post, pending_change, people, db):
    pending_change()
    item = db.session.scalars(select(Notification).filter_by(user_id=people.technical.id)).one()
    login(people.operational)
    assert post(f"/inbox/{item.id}/read").status_code == 404
    assert db.session.get(Notification, item.id).read_at is None


def test_preferences_saved_on_profile(client, login, post, engineer):
    login(engineer)
    assert 'name="channel-digest"' in client.get("/profile").get_data(as_text=True)
    post("/profile/notifications", {"channel-digest": "off", "channel-approved": "nonsense"})
    page = client.get("/profile").get_data(as_text=True)
    assert 'name="channel-digest" value="off" id="channel-digest-off" aria-label="Daily digest of approvals waiting more than a day: Off" checked' in page
    assert 'name="channel-approved" value="email" id="channel-approved-email" aria-label="My change was approved: E-mail and in-app" checked' in page


def test_window_reminder_is_given_once(monkeypatch, db, scheduled_change, people):
    change = scheduled_change()
    monkeypatch.setattr(jobs, "utcnow", lambda: change.window_start - timedelta(minutes=50))
    assert jobs.remind_windows() == 1
    assert jobs.remind_windows() == 0  # a second run (another process) finds the key taken
    mails = db.session.scalars(select(MailMessage.subject).filter_by(to_address=people.implementer.email)).all()
    assert sum("starts at" in subject for subject in mails) == 1


def test_digest_lists_approvals_waiting_more_than_a_day_once_a_day(monkeypatch, db, pending_change, people):
    change = pending_change()
    monkeypatch.setattr(jobs, "utcnow", lambda: FROZEN_NOW + timedelta(days=3650))
    assert jobs.send_digests() == 2
    assert jobs.send_digests() == 0
    body = db.session.scalars(select(MailMessage.text_body).filter_by(to_address=people.technical.email)
                              .where(MailMessage.subject.contains("waiting more than a day"))).one()
    assert change.reference in body


def test_dev_mail_lists_messages_in_development_only(app, client, login, pending_change, people, make_user):
    pending_change()
    login(make_user("msp"))
    app.config["ENV_NAME"] = "development"
    assert "awaits your approval" in client.get("/dev/mail").get_data(as_text=True)
    app.config["ENV_NAME"] = "production"
    assert client.get("/dev/mail").status_code == 404


@pytest.mark.parametrize("role", ["engineer", "viewer"])
def test_dev_mail_is_for_admins_and_msp_users_only(app, client, login, make_user, role):
    """Its messages hold invitation links: engineers and viewers get 403."""
    login(make_user(role))
    app.config["ENV_NAME"] = "development"
    assert client.get("/dev/mail").status_code == 403


def test_a_new_user_is_told_what_to_do_first(client, login, engineer):
    login(engineer)
    page = client.get("/").get_data(as_text=True)
    assert "Welcome, Erin Engineer" in page and "Create the first change" in page


def test_dashboard_shows_what_awaits_me_and_the_charts(client, login, pending_change, people):
    change = pending_change()
    login(people.technical)
    page = client.get("/").get_data(as_text=True)
    assert f"{change.reference} {change.title}" in page
    assert 'hx-get="/dashboard/reports?weeks=12"' in page  # the charts come after the page
    reports = client.get("/dashboard/reports").get_data(as_text=True)
    assert "<svg" in reports and "Table view" in reports and "Approvals waiting, by approver" in reports
    for html in (page, reports):
        assert "<script" not in html.split("</head>")[1]


@pytest.mark.parametrize("weeks", ["4", "52", "x"])
def test_dashboard_takes_any_period_and_company(client, login, admin, weeks):
    login(admin)
    assert client.get(f"/?weeks={weeks}&company=99999999999").status_code == 200
    assert client.get(f"/dashboard/reports?weeks={weeks}&company=99999999999").status_code == 200


def test_dashboard_statements_do_not_grow_with_the_changes(counted_get, db, org, company, login, admin, make_change):
    login(admin)
    make_change(state="completed")
    make_change(state="pending_approval", technical_approver_id=admin.id)
    _, few = counted_get("/")
    _, few_reports = counted_get("/dashboard/reports")
    for row in (admin, org, company):
        db.session.add(row)  # counted_get emptied the session
    for number in range(30):
        make_change(state=("completed", "failed", "pending_approval", "scheduled")[number % 4],
                    window_start=FROZEN_NOW + timedelta(days=3650 + number),
                    window_end=FROZEN_NOW + timedelta(days=3650 + number, hours=1),
                    technical_approver_id=admin.id)
    _, many = counted_get("/")
    _, many_reports = counted_get("/dashboard/reports")
    assert len(many) == len(few), many
    assert len(many_reports) == len(few_reports), many_reports


def test_charts_count_each_week_and_outcome_and_link_to_the_list(monkeypatch, client, login, admin, make_change,
                                                                  company):
    from cbcw.dashboard import routes as dashboard_routes

    monkeypatch.setattr(dashboard_routes, "utcnow", lambda: FROZEN_NOW)  # Tuesday 8 Dec 2026
    monday = FROZEN_NOW - timedelta(days=1, hours=3)
    for state, days_before in (("completed", 0), ("completed", 0), ("failed", 0), ("completed", 7),
                               ("cancelled", 7), ("completed", 400)):
        make_change(state=state, created_at=monday + timedelta(hours=5) - timedelta(days=days_before))
    login(admin)
    page = client.get(f"/dashboard/reports?weeks=4&company={company.id}").get_data(as_text=True)
    assert "75%" in page  # 3 completed, 1 failed in the period (the old one is outside it)
    completed = f"/dashboard/changes?weeks=4&amp;company={company.id}&amp;week=2026-12-07&amp;outcome=completed"
    assert f'href="{completed}">2</a>' in page  # the week of Monday 7 Dec
    listed = client.get(completed.replace("&amp;", "&")).get_data(as_text=True)
    assert listed.count('class="number-cell"') == 2 and "week of 07 Dec 2026 · completed" in listed
    assert "<title>07 Dec: 2 completed</title>" in page  # the SVG segment says what it is
    assert 'fill="url(#outcome-p1)"' in page  # a pattern, not only a colour


def test_connectwise_panel_for_admins_only(client, login, post, admin, engineer):
    login(admin)
    page = client.get("/").get_data(as_text=True)
    assert 'hx-get="/dashboard/connectwise"' in page
    panel = client.get("/dashboard/connectwise", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "0</strong> failed writes" in panel and "0</strong> changes with drift" in panel
    post("/logout")
    login(engineer)
    assert 'hx-get="/dashboard/connectwise"' not in client.get("/").get_data(as_text=True)
    assert client.get("/dashboard/connectwise").status_code == 403


def test_the_approvers_number_lists_their_queue(client, login, admin, make_change, make_user):
    approver = make_user("engineer", display_name="Quinn Queue")
    waiting = make_change(state="pending_approval", technical_approver_id=approver.id)
    make_change(state="pending_approval")
    login(admin)
    page = client.get("/dashboard/reports").get_data(as_text=True)
    assert f'href="/dashboard/changes?weeks=12&amp;waiting_for={approver.id}">1</a>' in page
    listed = client.get(f"/dashboard/changes?waiting_for={approver.id}").get_data(as_text=True)
    assert waiting.reference in listed and listed.count('class="number-cell"') == 1


@pytest.mark.parametrize("query", ["week=2026-13-40", "outcome=<b>", "type=x", "waiting_for=99999999999999",
                                   "page=-1", "weeks=9999&company=abc"])
def test_the_drill_down_takes_hostile_input(client, login, admin, query):
    login(admin)
    assert client.get(f"/dashboard/changes?{query}").status_code == 200


def test_another_organisations_approver_lists_nothing_of_theirs(client, login, admin, make_org, make_user, make_change):
    other = make_org()
    stranger = make_user("engineer", organisation=other)
    theirs = make_change(organisation=other, state="pending_approval", technical_approver_id=stranger.id)
    login(admin)
    assert theirs.title not in client.get(f"/dashboard/changes?waiting_for={stranger.id}").get_data(as_text=True)


def test_lead_times_average_the_periods_changes(monkeypatch, db, client, login, admin, make_change):
    from cbcw.changes.models import TimelineEntry
    from cbcw.dashboard import routes as dashboard_routes

    monkeypatch.setattr(dashboard_routes, "utcnow", lambda: FROZEN_NOW)
    created = FROZEN_NOW - timedelta(days=10)
    for hours_to_approve, hours_to_complete in ((2, 10), (4, 30)):
        change = make_change(state="completed", created_at=created,
                             actual_end_at=created + timedelta(hours=hours_to_complete))
        db.session.add(TimelineEntry(organisation_id=change.organisation_id, change_id=change.id,
                                     kind="fully_approved", message="Fully approved",
                                     created_at=created + timedelta(hours=hours_to_approve)))
    db.session.commit()
    login(admin)
    page = client.get("/dashboard/reports").get_data(as_text=True)
    assert "<dt>Lead time, created → approved</dt><dd>3.0 h</dd>" in page
    assert "<dt>Lead time, created → completed</dt><dd>20.0 h</dd>" in page


def test_reviews_due_are_listed_for_who_may_record_them(client, login, post, db, emergency_in_progress, cast, admin):
    """A finished emergency change without its review shows under "Reviews due" for its requester and
    for admins, not for an engineer who had no part in it; once recorded it is gone."""
    from cbcw.changes import operations
    from cbcw.changes.unit_of_work import apply

    change = emergency_in_progress()
    apply(operations.fail, change, cast.requester, failure_reason="Disk", rollback_notes="Rolled back")
    line = f"{change.reference} {change.title}</a> <span class=\"muted small\">· emergency change failed"
    for person, shown in ((cast.requester, True), (admin, True), (cast.technical, False)):
        login(person)
        assert (line in client.get("/").get_data(as_text=True)) is shown, person.display_name
        post("/logout")
    apply(operations.record_review, change, cast.requester, what_was_done="Swapped the disk",
          why_urgent="The file server was down", outcome="Back up", follow_ups="None")
    login(cast.requester)
    assert "No emergency change awaits its review." in client.get("/").get_data(as_text=True)
