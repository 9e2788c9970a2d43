"""Approvals: who decides, rounds, rejection and the vCAB majority (PRODUCT §2.2)."""
import pytest

from cbcw.changes import approvals, operations, policy
from cbcw.changes.errors import LifecycleError
from cbcw.changes.models import Approval, Change
from cbcw.changes.unit_of_work import apply



def _approvals(db, change):
    return db.session.scalars(db.select(Approval).filter_by(change_id=change.id).order_by(Approval.id)).all()


def _approve(change, user, kind, comment=""):
    apply(operations.approve, change, user, kind=kind, comment=comment)


def test_technical_and_operational_approval_make_it_approved(pending_change, people, entries):
    """Both approvals in the round move the change to approved."""
    change = pending_change()
    _approve(change, people.technical, "technical", "Looks fine")
    assert change.state == "pending_approval"
    _approve(change, people.operational, "operational")
    assert change.state == "approved"
    assert entries(change)[-3:] == ["approved", "approved", "fully_approved"]


def test_approval_stores_kind_round_and_comment(db, pending_change, people):
    """An approval row records who, which kind, the round and the optional comment."""
    change = pending_change()
    _approve(change, people.technical, "technical", "  Fine by me ")
    (approval,) = _approvals(db, change)
    assert (approval.kind, approval.round, approval.approver_id, approval.decision, approval.comment) == (
        "technical", 1, people.technical.id, "approved", "Fine by me")


@pytest.mark.parametrize("kind", ["technical", "operational"])
def test_only_the_named_approver_decides_their_kind(db, pending_change, people, engineer, admin, kind):
    """Neither another engineer nor an admin can give the technical or operational decision."""
    change = pending_change()
    for user in (engineer, admin, people.implementer):
        with pytest.raises(LifecycleError, match=f"Only the {kind} approver"):
            _approve(change, user, kind)
    assert _approvals(db, change) == []


def test_approver_of_one_kind_cannot_decide_the_other(pending_change, people):
    """The technical approver cannot give the operational decision."""
    change = pending_change()
    with pytest.raises(LifecycleError, match="Only the operational approver"):
        _approve(change, people.technical, "operational")


def test_second_decision_of_the_same_kind_is_refused(db, pending_change, people):
    """Approving twice in a round says so and keeps one approval row."""
    change = pending_change()
    _approve(change, people.technical, "technical")
    with pytest.raises(LifecycleError, match="^You have already approved this change.$"):
        _approve(change, people.technical, "technical")
    assert len(_approvals(db, change)) == 1


def test_approvals_need_pending_approval(new_change, approved_change, people):
    """A draft or an already approved change cannot be approved."""
    with pytest.raises(LifecycleError) as refused:
        _approve(new_change(), people.technical, "technical")
    assert str(refused.value) == ("You can only approve or reject a change that is pending approval; "
                                  "this one is draft.")
    with pytest.raises(LifecycleError, match="already approved"):
        _approve(approved_change(), people.technical, "technical")


def test_unknown_kind_is_refused(pending_change, people):
    """Only technical, operational and vcab decisions exist."""
    with pytest.raises(LifecycleError, match="Unknown approval kind"):
        _approve(pending_change(), people.technical, "financial")


def test_viewer_approver_cannot_decide(db, pending_change, people):
    """A user turned viewer after being named approver cannot approve."""
    change = pending_change()
    people.technical.role = "viewer"
    db.session.commit()
    with pytest.raises(LifecycleError, match="Viewers"):
        _approve(change, people.technical, "technical")


# --- reject -----------------------------------------------------------------------------------


def test_reject_returns_to_draft_and_starts_a_new_round(db, pending_change, people, engineer, entries):
    """A rejection sends the change back to draft; the old round stays as history."""
    change = pending_change()
    _approve(change, people.technical, "technical")
    apply(operations.reject, change, people.operational, kind="operational",
                    comment="Not during month end")
    assert change.state == "draft" and change.approval_round == 2
    assert [(a.round, a.decision) for a in _approvals(db, change)] == [(1, "approved"), (1, "rejected")]
    status = approvals.approval_status(change)
    assert status.technical is None and status.operational is None
    assert entries(change)[-1] == "rejected"

    apply(operations.submit, change, engineer)
    assert policy.decision_kinds(change, people.technical) == ["technical"]
    _approve(change, people.technical, "technical")
    _approve(change, people.operational, "operational")
    assert change.state == "approved"


def test_reject_needs_a_comment(db, pending_change, people):
    """A rejection without a reason is refused and changes nothing."""
    change = pending_change()
    with pytest.raises(LifecycleError, match=r"^Please say why you reject this change\.$"):
        apply(operations.reject, change, people.technical, kind="technical", comment="  ")
    db.session.expire_all()
    assert db.session.get(Change, change.id).state == "pending_approval"
    assert _approvals(db, change) == []


def test_any_vcab_member_may_reject(make_user, pending_change):
    """A single vCAB rejection returns the change to draft."""
    member = make_user(vcab_member=True)
    make_user(vcab_member=True)
    change = pending_change(requires_vcab=True)
    apply(operations.reject, change, member, kind="vcab", comment="Too risky")
    assert change.state == "draft"


# --- vCAB -------------------------------------------------------------------------------------


@pytest.fixture
def vcab(make_user):
    return [make_user(vcab_member=True, display_name=f"Member {n}") for n in range(4)]


def test_vcab_needs_a_strict_majority_of_active_members(pending_change, people, vcab, make_user):
    """With four active members, three vCAB approvals are needed besides the approvers."""
    make_user(vcab_member=True, active=False)  # inactive members do not count
    change = pending_change(requires_vcab=True)
    _approve(change, people.technical, "technical")
    _approve(change, people.operational, "operational")
    _approve(change, vcab[0], "vcab")
    _approve(change, vcab[1], "vcab")
    status = approvals.approval_status(change)
    assert change.state == "pending_approval" and status.vcab_needed == 3
    assert [user for kind, user in status.waiting_on] == [vcab[2], vcab[3]]
    _approve(change, vcab[2], "vcab")
    assert change.state == "approved" and approvals.approval_status(change).fully_approved


def test_vcab_majority_reached_before_the_approvers(pending_change, people, vcab):
    """The order of decisions does not matter: the last required one completes the round."""
    change = pending_change(requires_vcab=True)
    for member in vcab[:3]:
        _approve(change, member, "vcab")
    _approve(change, people.operational, "operational")
    assert change.state == "pending_approval"
    _approve(change, people.technical, "technical")
    assert change.state == "approved"


def test_vcab_decision_refused_when_not_required(pending_change, vcab):
    """vCAB members cannot decide on a change that does not require vCAB."""
    with pytest.raises(LifecycleError, match=r"^This change does not require vCAB approval\.$"):
        _approve(pending_change(), vcab[0], "vcab")


def test_non_member_cannot_give_a_vcab_decision(pending_change, vcab, engineer):
    """Only vCAB members give vCAB decisions."""
    with pytest.raises(LifecycleError, match="Only vCAB members"):
        _approve(pending_change(requires_vcab=True), engineer, "vcab")


@pytest.mark.parametrize("kind", ["technical", "operational"])
def test_approvers_vcab_vote_is_recorded_but_does_not_count(pending_change, people, make_user, db, kind):
    """An approver (technical or operational) on the vCAB may vote, but the majority is taken over
    the other members: with two of them, the approver's yes and one member's leave it pending."""
    approver = getattr(people, kind)
    approver.vcab_member = True
    members = [make_user(vcab_member=True) for _ in range(2)]
    db.session.commit()
    change = pending_change(requires_vcab=True)
    assert policy.decision_kinds(change, approver) == [kind, "vcab"]
    _approve(change, people.technical, "technical")
    _approve(change, people.operational, "operational")
    _approve(change, approver, "vcab")
    _approve(change, members[0], "vcab")
    status = approvals.approval_status(change)
    assert change.state == "pending_approval" and (status.vcab_yes, status.vcab_needed) == (1, 2)
    assert not status.counts(status.vcab_approvals[0])
    assert status.waiting_on == [("vcab", members[1])]
    _approve(change, members[1], "vcab")
    assert change.state == "approved"


# --- status for the page ----------------------------------------------------------------------


def test_approval_status_of_a_fresh_round(pending_change, people, vcab):
    """The status names everyone still to decide, with the vCAB majority needed."""
    change = pending_change(requires_vcab=True)
    status = approvals.approval_status(change)
    assert status.technical is None and status.operational is None
    assert status.vcab_members == sorted(vcab, key=lambda u: u.display_name)
    assert status.vcab_needed == 3 and not status.fully_approved
    assert status.waiting_on[:2] == [("technical", people.technical), ("operational", people.operational)]
    assert len(status.waiting_on) == 6


def test_approval_status_after_full_approval(approved_change, people):
    """A fully approved change waits on nobody and exposes both decisions."""
    status = approvals.approval_status(approved_change())
    assert status.fully_approved and status.waiting_on == []
    assert status.technical.approver_id == people.technical.id
    assert status.operational.decision == "approved"
    assert status.vcab_needed == 0 and status.vcab_members == []


def test_approval_status_is_frozen(pending_change):
    """The status is a read-only snapshot."""
    status = approvals.approval_status(pending_change())
    with pytest.raises(AttributeError):
        status.fully_approved = True


def test_decision_kinds_for_non_approvers_is_empty(pending_change, engineer, viewer):
    """Users with nothing to decide get an empty list."""
    change = pending_change()
    assert policy.decision_kinds(change, engineer) == []
    assert policy.decision_kinds(change, viewer) == []
