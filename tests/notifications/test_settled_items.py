"""An "awaits your approval" item leaves the bell once nothing is left for its reader to do
(PRODUCT §2.9), and stays in the inbox as history, marked done."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from cbcw.changes import operations
from cbcw.changes.unit_of_work import apply
from cbcw.mail.models import MailMessage
from cbcw.notifications import inbox, jobs
from cbcw.notifications.models import Notification
from tests.changes.test_change_types import REVIEW, cast, draft, emergency_in_progress  # noqa: F401 (fixtures)
from tests.helpers.clock import FROZEN_NOW
from tests.notifications.test_delegation import away  # noqa: F401 (the fixture)


def bell(client):
    """The count the navigation's bell shows on the inbox page, and the page's status cells."""
    page = client.get("/inbox").get_data(as_text=True)
    count = int(re.search(r'title="Inbox: (\d+) unread"', page).group(1))
    return count, re.findall(r"<td>(Done|Read|<strong>Unread</strong>)", page)


def unread(*users):
    return [inbox.unread_count(user) for user in users]


def test_the_approvers_own_approval_clears_their_bell_and_keeps_the_item(client, login, pending_change, people):
    change = pending_change()
    login(people.technical)
    assert bell(client) == (1, ["<strong>Unread</strong>"])
    apply(operations.approve, change, people.technical, kind="technical")
    count, statuses = bell(client)
    assert (count, statuses) == (0, ["Done"])
    assert f'href="/changes/{change.id}"' in client.get("/inbox").get_data(as_text=True)  # history kept
    assert unread(people.operational) == [1]  # still theirs to decide


def test_a_done_item_cannot_be_marked_unread_again(client, login, post, pending_change, people, db):
    change = pending_change()
    apply(operations.approve, change, people.technical, kind="technical")
    login(people.technical)
    item = db.session.scalars(select(Notification).filter_by(user_id=people.technical.id)).one()
    assert "Mark unread" not in client.get("/inbox").get_data(as_text=True)
    assert post(f"/inbox/{item.id}/unread").status_code == 302
    assert bell(client) == (0, ["Done"])


def test_a_delegates_decision_clears_both_the_absent_approver_and_the_delegate(pending_change, people, make_user, away):
    deputy = make_user("engineer")
    away(people.technical, deputy)
    change = pending_change()
    assert unread(people.technical, deputy, people.operational) == [1, 1, 1]
    apply(operations.approve, change, deputy, kind="technical")
    assert unread(people.technical, deputy, people.operational) == [0, 0, 1]


def test_the_absent_approver_deciding_after_all_clears_the_delegate(pending_change, people, make_user, away):
    deputy = make_user("engineer")
    away(people.technical, deputy)
    change = pending_change()
    apply(operations.approve, change, people.technical, kind="technical")
    assert unread(people.technical, deputy) == [0, 0]


def test_a_rejection_clears_every_approver_and_tells_the_requester(pending_change, people, engineer):
    change = pending_change()
    apply(operations.reject, change, people.operational, kind="operational", comment="Not this week")
    assert unread(people.technical, people.operational) == [0, 0]
    assert unread(engineer) == [1]  # "was rejected": the requester has something to do


def test_a_cancellation_clears_every_approver(pending_change, people, engineer):
    change = pending_change()
    apply(operations.cancel, change, engineer, reason="No longer needed")
    assert unread(people.technical, people.operational) == [0, 0]


def test_a_replaced_approver_has_nothing_left_and_the_new_one_is_asked(
        pending_change, people, engineer, make_user, change_fields):
    """Approvers change only on a draft: a rejection, an edit naming someone else, a new submit."""
    change = pending_change()
    apply(operations.reject, change, people.technical, kind="technical", comment="Ask Nora instead")
    nora = make_user("msp", display_name="Nora New")
    apply(operations.update_change, change, engineer, fields=change_fields(operational_approver_id=nora.id))
    apply(operations.submit, change, engineer)
    assert unread(people.operational, nora, people.technical) == [0, 1, 1]


def test_the_vcab_members_whose_vote_is_no_longer_needed_are_cleared(pending_change, people, make_user):
    board = [make_user("engineer", vcab_member=True) for _ in range(3)]
    change = pending_change(requires_vcab=True)
    apply(operations.approve, change, board[0], kind="vcab")
    assert unread(*board) == [0, 1, 1]  # the others' votes still count toward the majority
    apply(operations.approve, change, board[1], kind="vcab")
    apply(operations.approve, change, people.technical, kind="technical")
    apply(operations.approve, change, people.operational, kind="operational")
    assert change.state == "approved"
    assert unread(*board, people.technical, people.operational) == [0, 0, 0, 0, 0]


def test_one_ecab_approval_clears_every_emergency_approver(draft, cast, make_user):
    other = make_user("engineer", ecab_member=True)
    change = draft(change_type="emergency")
    apply(operations.submit, change, cast.requester)
    assert unread(cast.ecab, other) == [1, 1]
    apply(operations.approve, change, other, kind="ecab")
    assert unread(cast.ecab, other) == [0, 0]


def test_a_recorded_review_is_no_longer_due(db, emergency_in_progress, cast, admin):
    change = emergency_in_progress()
    apply(operations.complete, change, cast.requester, completion_notes="Done", test_results="Fine")
    [due] = db.session.scalars(select(Notification).filter_by(user_id=cast.requester.id, kind="review_due")).all()
    assert due.read_at is None
    apply(operations.record_review, change, admin, **REVIEW)  # whoever records it
    assert due.resolved_at is not None and due.read_at is not None


@pytest.fixture
def a_day_later(monkeypatch):
    monkeypatch.setattr(jobs, "utcnow", lambda: FROZEN_NOW + timedelta(days=3650))


def _digests(db, user):
    return db.session.scalars(select(MailMessage.text_body).filter_by(to_address=user.email)
                              .where(MailMessage.subject.contains("waiting more than a day"))).all()


def test_the_digest_names_only_those_still_awaited(db, pending_change, people, a_day_later):
    change = pending_change()
    apply(operations.approve, change, people.technical, kind="technical")
    assert jobs.send_digests() == 1
    assert _digests(db, people.technical) == []
    [body] = _digests(db, people.operational)
    assert change.reference in body


def test_the_digest_lists_no_rejected_or_cancelled_change(db, pending_change, people, engineer, a_day_later):
    rejected, cancelled, waiting = pending_change(), pending_change(), pending_change()
    apply(operations.reject, rejected, people.technical, kind="technical", comment="No")
    apply(operations.cancel, cancelled, engineer, reason="Not needed")
    assert jobs.send_digests() == 2
    for person in (people.technical, people.operational):
        [body] = _digests(db, person)
        assert waiting.reference in body
        assert rejected.reference not in body and cancelled.reference not in body


def test_a_digest_is_done_once_nothing_awaits_its_reader(db, pending_change, people, a_day_later):
    first, second = pending_change(), pending_change()
    jobs.send_digests()
    assert unread(people.technical) == [3]  # two changes and the digest of both
    apply(operations.approve, first, people.technical, kind="technical")
    assert unread(people.technical) == [2]
    apply(operations.approve, second, people.technical, kind="technical")
    assert unread(people.technical, people.operational) == [0, 3]


def test_a_new_digest_replaces_the_one_before(db, monkeypatch, pending_change, people):
    pending_change()
    for day in (10, 11):
        monkeypatch.setattr(jobs, "utcnow", lambda day=day: FROZEN_NOW + timedelta(days=day))
        jobs.send_digests()
    assert unread(people.technical) == [2]  # the change and the newest digest
    digests = db.session.scalars(select(Notification).filter_by(user_id=people.technical.id, kind="digest")
                                 .order_by(Notification.id)).all()
    assert [item.resolved_at is not None for item in digests] == [True, False]
