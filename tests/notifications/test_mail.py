"""E-mail through a real SMTP server on loopback (PRODUCT §2.9): the outbox sends once, waits
while the server is down, and the implementer's invitation follows the window."""
import re
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from cbcw.changes import operations
from cbcw.changes.event_uid import window_uid
from cbcw.changes.unit_of_work import apply
from cbcw.mail import outbox
from cbcw.mail.models import MailMessage
from cbcw.mail.transport import BadSmtpUrl, SmtpServer
from cbcw.notifications import preferences
from tests.changes.conftest import WINDOW_END, WINDOW_START, in_progress_change  # noqa: F401 (a fixture)
from tests.changes.test_change_types import cast, draft, emergency_in_progress  # noqa: F401 (fixtures)
from tests.helpers.clock import FROZEN_NOW

from .conftest import calendar_of


@pytest.fixture
def clock(monkeypatch):
    """The outbox's clock, stopped at FROZEN_NOW and moved by the test."""
    class Clock:
        now = FROZEN_NOW

        def advance(self, **delta):
            self.now += timedelta(**delta)

    clock = Clock()
    monkeypatch.setattr(outbox, "utcnow", lambda: clock.now)
    return clock


def test_submit_mails_each_approver_when_the_job_runs(smtp_server, clock, pending_change, people, engineer):
    change = pending_change()
    assert smtp_server.messages == []  # nothing leaves during the request
    assert outbox.deliver_due() == 2
    smtp_server.wait_for(2)
    for approver in (people.technical, people.operational):
        [message] = smtp_server.to(approver.email)
        assert change.reference in message["Subject"] and "awaits your approval" in message["Subject"]
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert f"http://127.0.0.1:5000/changes/{change.id}" in text
        assert f'href="http://127.0.0.1:5000/changes/{change.id}"' in html
    assert smtp_server.to(engineer.email) == []  # the requester acted: not told of it
    assert outbox.deliver_due() == 0  # sent once


def test_server_down_the_mail_waits_then_arrives_once(app, smtp_down, clock, pending_change, people, unused_port):
    pending_change()
    assert outbox.deliver_due() == 0
    rows = MailMessage.query.order_by(MailMessage.id).all()
    assert {row.status for row in rows} == {"pending"}
    # The first attempt found the server down: it backs off, and the run stopped there.
    assert rows[0].attempts == 1 and "could not reach" in rows[0].last_error
    assert rows[0].next_attempt_at > clock.now
    assert rows[1].attempts == 0

    from aiosmtpd.controller import Controller
    from .conftest import Inbox

    received = Inbox()
    controller = Controller(received, hostname="127.0.0.1", port=smtp_down)
    controller.start()
    try:
        assert outbox.deliver_due() == 1  # the untried one; the other waits out its backoff
        clock.advance(minutes=5)
        assert outbox.deliver_due() == 1
        received.wait_for(2)
        assert outbox.deliver_due() == 0
        clock.advance(hours=2)
        assert outbox.deliver_due() == 0
    finally:
        controller.stop()
    assert sorted(m["To"] for m in received.messages) == sorted([people.technical.email, people.operational.email])
    assert {row.status for row in MailMessage.query.all()} == {"sent"}


def test_a_claimed_message_is_not_sent_by_a_second_sender(smtp_server, clock, pending_change, db):
    pending_change()
    first = db.session.scalars(select(MailMessage.id).order_by(MailMessage.id)).first()
    assert outbox._claim(first) is True
    assert outbox._claim(first) is False  # another process holds it
    assert outbox.deliver_due() == 1  # only the other message
    clock.advance(minutes=3)  # the claim expired: the first process died mid-send
    assert outbox.deliver_due() == 1
    assert len(smtp_server.wait_for(2)) == 2


def test_schedule_reschedule_cancel_update_one_calendar_event(smtp_server, clock, approved_change, engineer, people):
    change = approved_change()
    outbox.deliver_due()
    smtp_server.messages.clear()
    apply(operations.schedule, change, engineer, window_start=WINDOW_START, window_end=WINDOW_END,
          implementer_id=people.implementer.id)
    apply(operations.schedule, change, engineer, window_start=WINDOW_START + timedelta(days=1),
          window_end=WINDOW_END + timedelta(days=1), implementer_id=people.implementer.id)
    apply(operations.cancel, change, engineer, reason="Not needed any more")
    outbox.deliver_due()
    invited = smtp_server.wait_for(3)
    events = []
    for message in invited:
        assert message["To"] == people.implementer.email
        part, calendar = calendar_of(message)
        [event] = calendar.walk("VEVENT")
        events.append((str(calendar["METHOD"]), part.get_param("method"), str(event["UID"]), int(event["SEQUENCE"]),
                       event.decoded("DTSTART")))
    (m1, p1, uid1, seq1, start1), (m2, p2, uid2, seq2, start2), (m3, p3, uid3, seq3, _) = events
    assert (m1, p1, m2, p2, m3, p3) == ("REQUEST", "REQUEST", "REQUEST", "REQUEST", "CANCEL", "CANCEL")
    assert uid1 == uid2 == uid3
    assert seq1 < seq2 < seq3
    assert start1 == WINDOW_START and start2 == WINDOW_START + timedelta(days=1)


def test_a_new_implementer_gets_the_invitation_and_the_previous_one_its_cancellation(
        smtp_server, clock, approved_change, engineer, people, make_user):
    change = approved_change()
    apply(operations.schedule, change, engineer, window_start=WINDOW_START, window_end=WINDOW_END,
          implementer_id=people.implementer.id)
    other = make_user("engineer")
    apply(operations.schedule, change, engineer, window_start=WINDOW_START, window_end=WINDOW_END,
          implementer_id=other.id)
    outbox.deliver_due()
    smtp_server.wait_for(6)  # 2 "awaits approval", 1 "approved" to the requester, 3 invitation mails
    methods = {(m["To"], calendar_of(m)[1]["METHOD"]) for m in smtp_server.messages
               if any(p.get_content_type() == "text/calendar" for p in m.walk())}
    assert methods == {(people.implementer.email, "REQUEST"), (people.implementer.email, "CANCEL"),
                       (other.email, "REQUEST")}


def test_preferences_are_honoured(smtp_server, clock, pending_change, people, db):
    preferences.save(people.technical, {"awaiting_approval": "off"})
    preferences.save(people.operational, {"awaiting_approval": "in_app"})
    db.session.commit()
    change = pending_change()
    assert outbox.deliver_due() == 0
    assert smtp_server.messages == []
    from cbcw.notifications.models import Notification
    items = db.session.scalars(select(Notification)).all()
    assert [(n.user_id, n.change_id) for n in items] == [(people.operational.id, change.id)]


def test_rejection_tells_the_requester(smtp_server, clock, pending_change, people, engineer):
    change = pending_change()
    apply(operations.reject, change, people.technical, kind="technical", comment="Too risky on a Friday")
    outbox.deliver_due()
    smtp_server.wait_for(3)
    [message] = smtp_server.to(engineer.email)
    assert "rejected" in message["Subject"] and "Too risky on a Friday" in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize("url, expected", [
    ("smtp://mail.example.test:2525", ("mail.example.test", 2525, False, False)),
    ("smtp://mail.example.test:587?starttls=true", ("mail.example.test", 587, False, True)),
    ("smtps://u:p%40ss@mail.example.test", ("mail.example.test", 465, True, False)),
])
def test_smtp_url_forms(url, expected):
    server = SmtpServer.from_url(url)
    assert (server.host, server.port, server.implicit_tls, server.starttls) == expected


@pytest.mark.parametrize("url", ["http://u:s3cret@x", "smtp://u:s3cret@", "smtp://u:s3cret@host:notaport",
                                 "smtp://u:s3cret@h:99999"])
def test_a_bad_smtp_url_never_echoes_its_password(url):
    with pytest.raises(BadSmtpUrl) as refused:
        SmtpServer.from_url(url)
    assert "s3cret" not in str(refused.value)


def test_a_finished_emergency_change_tells_its_requester_the_review_is_due(smtp_server, clock, emergency_in_progress,
                                                                           cast):
    """Completed by its requester, the emergency change still owes its review: the requester is told once,
    and recording the review asks nothing more."""
    change = emergency_in_progress()
    outbox.deliver_due()
    before = len(smtp_server.to(cast.requester.email))
    apply(operations.complete, change, cast.requester, completion_notes="Done", test_results="OK")
    assert outbox.deliver_due() == 1
    smtp_server.wait_for(before + 1)
    [message] = smtp_server.to(cast.requester.email)[before:]
    assert "post-implementation review" in message["Subject"] and change.reference in message["Subject"]
    apply(operations.record_review, change, cast.requester, what_was_done="Replaced the disk",
          why_urgent="The file server was down", outcome="Back up", follow_ups="None")
    assert outbox.deliver_due() == 0


def test_a_normal_change_completed_asks_for_no_review(smtp_server, clock, in_progress_change, people, db):
    change = in_progress_change()
    outbox.deliver_due()
    apply(operations.complete, change, people.implementer, completion_notes="Done", test_results="OK")
    assert db.session.scalar(select(MailMessage).where(MailMessage.subject.contains("review"))) is None


def test_a_line_break_in_a_subject_is_flattened(smtp_server, clock, org, db):
    """A title or name with line breaks of any kind reaches the Subject as one line."""
    outbox.enqueue(org.id, "someone@example.test", "CHG-1\r\nBcc: victim@example.test\u2028done\x00 now",
                   "text", "<p>html</p>")
    db.session.commit()
    assert outbox.deliver_due() == 1
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == "CHG-1 Bcc: victim@example.test done now"
    assert message["Bcc"] is None


def test_a_message_that_cannot_be_built_fails_and_the_run_goes_on(smtp_server, clock, org, db):
    """A stored message whose header cannot be built is marked failed with a reason; the next is sent."""
    broken = outbox.enqueue(org.id, "a@example.test", "fine", "text", "<p>html</p>")
    outbox.enqueue(org.id, "b@example.test", "Second", "text", "<p>html</p>")
    db.session.flush()
    broken.to_address = "a@example.test\nX-Injected: yes"  # no header can hold it
    db.session.commit()
    assert outbox.deliver_due() == 1
    [message] = smtp_server.wait_for(1)
    assert message["To"] == "b@example.test"
    db.session.refresh(broken)
    assert broken.status == "failed" and "could not be built" in broken.last_error


def test_the_feed_and_the_invitation_name_the_window_by_one_uid_of_this_installation_and_organisation(
        smtp_server, clock, app, client, login, post, approved_change, engineer, people, make_org, make_user,
        make_change, monkeypatch):
    """A calendar that subscribes to the implementer's feed and receives the invitation, then its
    cancellation, holds one event: the three name it by the same UID, which a regenerated feed
    keeps, and which names the organisation and this installation's address (another
    organisation's change, or another installation, never has it)."""
    monkeypatch.setitem(app.config, "APP_BASE_URL", "https://changes.msp.example:8443")
    change = approved_change()
    apply(operations.schedule, change, engineer, window_start=WINDOW_START, window_end=WINDOW_END,
          implementer_id=people.implementer.id)
    login(people.implementer)
    address = re.search(r'value="https://changes\.msp\.example:8443(/calendar/feed/[^"]+\.ics)"',
                        post("/profile/calendar-feed").text).group(1)
    feeds = [Calendar.from_ical(client.get(address).data) for _ in range(2)]
    [in_feed], [again] = ([str(e["UID"]) for e in f.walk("VEVENT")] for f in feeds)
    apply(operations.cancel, change, engineer, reason="Not needed any more")
    outbox.deliver_due()
    invitations = [calendar_of(m)[1] for m in smtp_server.wait_for(2) if m["To"] == people.implementer.email
                   and any(p.get_content_type() == "text/calendar" for p in m.walk())]
    mailed = {(str(c["METHOD"]), str(c.walk("VEVENT")[0]["UID"])) for c in invitations}
    assert in_feed == again == f"change-{change.id}.org-{change.organisation_id}@changes.msp.example:8443"
    assert mailed == {("REQUEST", in_feed), ("CANCEL", in_feed)}

    other_org = make_org()
    elsewhere = make_change(organisation=other_org, created_by=make_user("engineer", organisation=other_org))
    assert window_uid(elsewhere) != window_uid(change)
    monkeypatch.setitem(app.config, "APP_BASE_URL", "https://other-install.example")
    assert window_uid(change) == f"change-{change.id}.org-{change.organisation_id}@other-install.example"
    for broken in ("", "not a url", "https://bad-port.example:99999"):
        monkeypatch.setitem(app.config, "APP_BASE_URL", broken)
        assert window_uid(change).endswith("@changebreeze")
