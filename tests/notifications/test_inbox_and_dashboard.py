"""The inbox and its bell, reminders once across runs, /dev/mail, and the dashboard at `/`."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from cbcw.changes import operations
from cbcw.changes.unit_of_work import apply
from cbcw.mail.models import MailMessage
from cbcw.notifications import jobs
from cbcw.notifications.models import Notification
from tests.helpers.clock import FROZEN_NOW
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


def test_dev_mail_lists_messages_in_development_only(app, client, login, pending_change, people):
    pending_change()
    login(people.technical)
    app.config["ENV_NAME"] = "development"
    assert "awaits your approval" in client.get("/dev/mail").get_data(as_text=True)
    app.config["ENV_NAME"] = "production"
    assert client.get("/dev/mail").status_code == 404


def test_a_new_user_is_told_what_to_do_first(client, login, engineer):
    login(engineer)
    page = client.get("/").get_data(as_text=True)
    assert "Welcome, Erin Engineer" in page and "Create the first change" in page


def test_dashboard_shows_what_awaits_me_and_the_charts(client, login, pending_change, people):
    change = pending_change()
    login(people.technical)
    page = client.get("/").get_data(as_text=True)
    assert f"{change.reference} {change.title}" in page
    assert "<svg" in page and "Table view" in page and "Approvals waiting, by approver" in page
    assert "<script" not in page.split("</head>")[1]


@pytest.mark.parametrize("weeks", ["4", "52", "x"])
def test_dashboard_takes_any_period_and_company(client, login, admin, weeks):
    login(admin)
    assert client.get(f"/?weeks={weeks}&company=99999999999").status_code == 200


def test_dashboard_statements_do_not_grow_with_the_changes(counted_get, db, org, company, login, admin, make_change):
    login(admin)
    make_change(state="completed")
    make_change(state="pending_approval", technical_approver_id=admin.id)
    _, few = counted_get("/")
    for row in (admin, org, company):
        db.session.add(row)  # counted_get emptied the session
    for number in range(30):
        make_change(state=("completed", "failed", "pending_approval", "scheduled")[number % 4],
                    window_start=FROZEN_NOW + timedelta(days=3650 + number),
                    window_end=FROZEN_NOW + timedelta(days=3650 + number, hours=1),
                    technical_approver_id=admin.id)
    _, many = counted_get("/")
    assert len(many) == len(few), many
