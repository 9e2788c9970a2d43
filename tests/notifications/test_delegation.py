"""Approval delegation (PRODUCT §2.9): the delegate is offered the absent approver's decision,
the timeline says "approved by X for Y", and segregation of duties holds for delegates."""
from datetime import timedelta

import pytest

from cbcw.accounts import delegation as delegation_module
from cbcw.accounts.delegation import Delegation
from cbcw.changes import approvals, operations, policy, queries
from cbcw.changes.errors import LifecycleError
from cbcw.changes.models import TimelineEntry
from cbcw.changes.unit_of_work import apply
from cbcw.db import utcnow
from tests.helpers.clock import FROZEN_NOW


@pytest.fixture
def away(db, org):
    """`user` is away today (or on the given days) with `delegate` deciding for them."""
    def set_away(user, delegate, starts=0, ends=1):
        today = utcnow().date()
        db.session.add(Delegation(organisation_id=org.id, user_id=user.id, delegate_id=delegate.id,
                                  starts_on=today + timedelta(days=starts), ends_on=today + timedelta(days=ends)))
        db.session.commit()
    return set_away


def test_the_delegate_approves_for_the_absent_approver(db, pending_change, people, make_user, away):
    deputy = make_user("engineer", display_name="Dana Deputy")
    away(people.technical, deputy)
    change = pending_change()
    assert policy.decision_kinds(change, deputy) == ["technical"]
    assert queries.awaiting_approval_count(deputy) == 1
    apply(operations.approve, change, deputy, kind="technical")
    [approval] = change.current_decisions
    assert approval.approver_id == people.technical.id and approval.decided_by_id == deputy.id
    entry = db.session.scalars(db.select(TimelineEntry).filter_by(change_id=change.id, kind="approved")).one()
    assert entry.message == "Technical approval: approved by Dana Deputy for Tess Technical"
    # The absent approver's decision is given: neither may give it again.
    assert policy.decision_kinds(change, deputy) == [] and policy.decision_kinds(change, people.technical) == []
    assert queries.awaiting_approval_count(deputy) == 0


def test_no_delegation_outside_its_dates(pending_change, people, make_user, away):
    deputy = make_user("engineer")
    away(people.technical, deputy, starts=2, ends=5)
    change = pending_change()
    assert policy.decision_kinds(change, deputy) == []
    with pytest.raises(LifecycleError):
        apply(operations.approve, change, deputy, kind="technical")


def test_a_delegate_who_is_the_requester_cannot_approve(pending_change, people, engineer, away):
    away(people.technical, engineer)  # engineer requests the change
    change = pending_change()
    with pytest.raises(LifecycleError, match="You requested this change"):
        apply(operations.approve, change, engineer, kind="technical")
    assert queries.awaiting_approval_count(engineer) == 0


def test_the_other_approver_cannot_also_decide_as_delegate(pending_change, people, away):
    away(people.technical, people.operational)
    change = pending_change()
    assert policy.decision_kinds(change, people.operational) == ["operational"]
    with pytest.raises(LifecycleError, match="both the technical and the operational"):
        apply(operations.approve, change, people.operational, kind="technical")


@pytest.fixture
def board(make_user):
    """Three vCAB members; the first, Sam, is the one who stands in for an approver."""
    return [make_user("engineer", vcab_member=True, display_name=name)
            for name in ("Sam Standin", "Val Vcab", "Will Vcab")]


def test_a_delegate_who_voted_vcab_cannot_decide_for_the_absent_approver(pending_change, people, board, away):
    """The security review's case: one person, one kind of decision on a change."""
    sam = board[0]
    away(people.operational, sam)
    change = pending_change(requires_vcab=True)
    assert policy.decision_kinds(change, sam) == ["operational", "vcab"]
    apply(operations.approve, change, sam, kind="vcab")
    assert policy.decision_kinds(change, sam) == [] and queries.awaiting_approval_count(sam) == 0
    with pytest.raises(LifecycleError, match="already decided on this change as vCAB member.*one kind of decision"):
        apply(operations.approve, change, sam, kind="operational")
    with pytest.raises(LifecycleError, match="only one kind of decision"):
        apply(operations.reject, change, sam, kind="operational", comment="No")
    assert [a.kind for a in change.current_decisions] == ["vcab"]


def test_a_delegate_decides_for_one_absent_approver_only(pending_change, people, make_user, away):
    deputy = make_user("engineer")
    away(people.technical, deputy)
    away(people.operational, deputy)
    change = pending_change()
    apply(operations.approve, change, deputy, kind="technical")
    assert policy.decision_kinds(change, deputy) == [] and queries.awaiting_approval_count(deputy) == 0
    with pytest.raises(LifecycleError, match="as technical approver for someone away"):
        apply(operations.approve, change, deputy, kind="operational")


def test_the_vcab_vote_of_a_delegate_who_decided_does_not_count(pending_change, people, board, away):
    sam, val, will = board
    away(people.operational, sam)
    change = pending_change(requires_vcab=True)
    apply(operations.approve, change, sam, kind="operational")
    apply(operations.approve, change, sam, kind="vcab")  # accepted, like an approver's vote, but not counted
    status = approvals.approval_status(change)
    [vote] = status.vcab_approvals
    assert not status.counts(vote) and [m.id for m in status.vcab_members] == [val.id, will.id]
    assert (status.vcab_yes, status.vcab_needed) == (0, 2)
    apply(operations.approve, change, people.technical, kind="technical")
    apply(operations.approve, change, val, kind="vcab")
    assert change.state == "pending_approval"  # Sam's vote would have made the majority
    apply(operations.approve, change, will, kind="vcab")
    assert change.state == "approved"


def test_a_delegate_who_decided_leaves_the_vcab_eligibility_count(pending_change, people, board, away):
    """§2.8: with the technical approver and the operational approver's delegate from a board of
    three, one member is left to vote: raising the risk to where the vCAB decides is refused."""
    sam, val, _ = board
    away(people.operational, sam)
    change = pending_change(technical_approver_id=val.id)
    assert not approvals.vcab_board_too_small(change)
    apply(operations.approve, change, sam, kind="operational")
    assert approvals.vcab_board_too_small(change)
    with pytest.raises(LifecycleError, match="Too few vCAB members could vote"):
        apply(operations.raise_risk, change, val, risk="high", reason="Payroll runs on it")
    assert change.risk == "medium"


def test_a_requesters_delegate_cannot_decide_for_the_requester(db, org, new_change, people, engineer, make_user, away):
    """On a small team the requester may be an approver; their delegate still may not decide for them."""
    org.allow_self_approval = True
    db.session.commit()
    deputy = make_user("engineer")
    away(engineer, deputy)
    change = new_change(technical_approver_id=engineer.id)
    apply(operations.submit, change, engineer)
    with pytest.raises(LifecycleError, match="stand in for the requester"):
        apply(operations.approve, change, deputy, kind="technical")
    assert queries.awaiting_approval_count(deputy) == 0


def test_the_delegate_is_told_the_change_awaits_them(db, pending_change, people, make_user, away):
    from cbcw.notifications.models import Notification

    deputy = make_user("engineer")
    away(people.technical, deputy)
    change = pending_change()
    titles = db.session.scalars(db.select(Notification.title).filter_by(user_id=deputy.id)).all()
    assert titles == [f"{change.reference} awaits Tess Technical's approval, which you give while they are away"]


@pytest.fixture
def frozen_today(monkeypatch):
    """The delegation's idea of today, stopped at FROZEN_NOW's day (2026-12-08)."""
    monkeypatch.setattr(delegation_module, "today", lambda: FROZEN_NOW.date())


def test_delegation_form_on_profile(client, login, post, engineer, make_user, db, frozen_today):
    deputy = make_user("engineer", display_name="Dana Deputy")
    login(engineer)
    assert "Away: delegate my approvals" in client.get("/profile").get_data(as_text=True)
    response = post("/profile/delegation", {"delegate": deputy.id, "starts_on": "2027-01-02", "ends_on": "2027-01-01"})
    assert response.status_code == 400 and b"The last day comes after the first." in response.data
    post("/profile/delegation", {"delegate": deputy.id, "starts_on": "2027-01-01", "ends_on": "2027-01-09"})
    delegation = db.session.scalars(db.select(Delegation).filter_by(user_id=engineer.id)).one()
    assert (delegation.delegate_id, str(delegation.ends_on)) == (deputy.id, "2027-01-09")
    assert "Dana Deputy decides your approvals" in client.get("/profile").get_data(as_text=True)
    post("/profile/delegation", {"remove": "1"})
    assert db.session.scalars(db.select(Delegation).filter_by(user_id=engineer.id)).first() is None


@pytest.mark.parametrize("starts_on, ends_on", [("0001-01-01", "2027-01-02"), ("2027-01-01", "9999-12-31"),
                                               ("2025-12-01", "2026-12-08"), ("2026-12-08", "2028-12-31")])
def test_delegation_days_lie_within_a_year_back_and_two_years_ahead(post, login, engineer, make_user, db,
                                                                    frozen_today, starts_on, ends_on):
    """A day far in the past or future is a clear form error, not a delegation that never ends."""
    deputy = make_user("engineer")
    login(engineer)
    response = post("/profile/delegation", {"delegate": deputy.id, "starts_on": starts_on, "ends_on": ends_on})
    assert response.status_code == 400
    assert "Choose a day between 7 December 2025 and 9 December 2028." in response.get_data(as_text=True)
    assert db.session.scalars(db.select(Delegation)).first() is None


def test_delegate_must_be_a_colleague(client, login, post, engineer, make_org, make_user, db, frozen_today):
    stranger = make_user("engineer", organisation=make_org())
    login(engineer)
    response = post("/profile/delegation", {"delegate": stranger.id, "starts_on": "2027-01-01", "ends_on": "2027-01-02"})
    assert response.status_code == 400
    assert db.session.scalars(db.select(Delegation)).first() is None


def test_a_vcab_member_covering_an_approver_is_offered_both(db, pending_change, people, make_user, away):
    """A delegate who sits on the vCAB is offered the absent approver's change ("Awaiting my approval"
    and the navigation's count) as well as the changes the board decides."""
    deputy = make_user("engineer", display_name="Priya Patel", vcab_member=True)
    away(people.technical, deputy)
    change = pending_change()
    assert queries.awaiting_approval_count(deputy) == 1 and policy.decision_kinds(change, deputy) == ["technical"]
