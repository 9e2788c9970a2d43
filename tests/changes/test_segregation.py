"""Segregation of duties, PRODUCT §2.2 "who may act": every role against every action, the
requester and approver rules, and the small-team setting that marks self-approvals."""
from dataclasses import replace

import pytest

from cbcw.changes import approvals, operations, policy
from cbcw.changes.errors import LifecycleError
from cbcw.changes.fields import ChangeFields
from cbcw.changes.models import Approval, Change, TimelineEntry
from cbcw.changes.unit_of_work import apply
from cbcw.organisations.models import Organisation

from .conftest import WINDOW_END, WINDOW_START

ROLES = ("requester", "implementer", "technical", "operational", "vcab", "engineer", "admin", "msp",
         "viewer")


@pytest.fixture
def cast(make_user):
    """One user per part a person can play on a change (the named parts are all engineers)."""
    return {
        "requester": make_user("engineer"), "implementer": make_user("engineer"),
        "technical": make_user("engineer"), "operational": make_user("engineer"),
        "vcab": make_user("engineer", vcab_member=True), "engineer": make_user("engineer"),
        "admin": make_user("admin"), "msp": make_user("msp"), "viewer": make_user("viewer"),
    }


def _fields(cast, company, **overrides):
    return ChangeFields(**{
        "title": "Patch the firewall", "company_id": company.id,
        "technical_approver_id": cast["technical"].id,
        "operational_approver_id": cast["operational"].id,
        "implementer_id": cast["implementer"].id, "requires_vcab": True, **overrides,
    })


@pytest.fixture
def change_in(db, org, company, cast):
    """A change with the cast's parts, driven to the given state."""

    def make(state):
        change = operations.create_change(org.id, cast["requester"], _fields(cast, company))
        db.session.commit()
        if state == "draft":
            return change
        apply(operations.submit, change, cast["requester"])
        if state == "pending_approval":
            return change
        for kind in ("technical", "operational", "vcab"):
            apply(operations.approve, change, cast[kind], kind=kind)
        assert change.state == "approved"
        if state == "approved":
            return change
        apply(operations.schedule, change, cast["requester"], window_start=WINDOW_START,
              window_end=WINDOW_END, implementer_id=cast["implementer"].id)
        if state == "scheduled":
            return change
        apply(operations.start_implementation, change, cast["implementer"])
        return change

    return make


def _edit(change, user):
    operations.update_change(change, user, replace(ChangeFields.of(change), title="Edited"))


def offered(action):
    """Whether the detail page offers the action's button to the user."""
    return lambda change, user: action in policy.allowed_actions(change, user)


def offered_kind(kind):
    """Whether the detail page offers to decide as this kind (approve or reject) to the user."""
    return lambda change, user: kind in policy.decision_kinds(change, user)


# action: (state it needs, is it offered, how to do it, who may)
MANAGERS = {"admin", "msp"}
ACTIONS = {
    "edit": ("draft", offered("edit"), _edit, {"requester"} | MANAGERS),
    "submit": ("draft", offered("submit"), operations.submit, {"requester"} | MANAGERS),
    "cancel": ("draft", offered("cancel"), lambda c, u: operations.cancel(c, u, "No longer needed"),
               {"requester"} | MANAGERS),
    "schedule": ("approved", offered("schedule"),
                 lambda c, u: operations.schedule(c, u, WINDOW_START, WINDOW_END, c.implementer_id),
                 {"implementer", "requester"} | MANAGERS),
    "start": ("scheduled", offered("start"), operations.start_implementation,
              {"implementer", "requester"} | MANAGERS),
    "complete": ("in_progress", offered("complete"), lambda c, u: operations.complete(c, u, "Done", "Green"),
                 {"implementer", "requester"} | MANAGERS),
    "fail": ("in_progress", offered("fail"), lambda c, u: operations.fail(c, u, "Broke", "Reverted"),
             {"implementer", "requester"} | MANAGERS),
    "approve technical": ("pending_approval", offered_kind("technical"),
                          lambda c, u: operations.approve(c, u, "technical"), {"technical"}),
    "approve operational": ("pending_approval", offered_kind("operational"),
                            lambda c, u: operations.approve(c, u, "operational"), {"operational"}),
    "approve vcab": ("pending_approval", offered_kind("vcab"),
                     lambda c, u: operations.approve(c, u, "vcab"), {"vcab"}),
    "reject technical": ("pending_approval", offered_kind("technical"),
                         lambda c, u: operations.reject(c, u, "technical", "Not now"), {"technical"}),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
def test_who_may_act(db, cast, change_in, action, role):
    """Each part may take exactly its §2.2 actions: the button is offered and the operation runs, or neither."""
    state, is_offered, do, allowed = ACTIONS[action]
    change = change_in(state)
    user = cast[role]
    may = role in allowed
    assert is_offered(change, user) == may
    version = change.version
    if may:
        apply(do, change, user)
        assert change.version == version + 1
    else:
        with pytest.raises(LifecycleError):
            apply(do, change, user)
        db.session.expire_all()
        assert db.session.get(Change, change.id).version == version


def test_viewer_is_offered_nothing_in_any_state(cast, change_in):
    """A viewer only reads: no action in any state, not even a comment."""
    for state in ("draft", "pending_approval", "approved", "scheduled", "in_progress"):
        assert policy.allowed_actions(change_in(state), cast["viewer"]) == frozenset()


def _refusal(attempt):
    with pytest.raises(LifecycleError) as refused:
        attempt()
    return str(refused.value)


def test_refusals_say_why_in_a_whole_sentence(org, company, cast, change_in, make_org, make_user):
    """What a refused person is told (the page shows it as it is), word for word."""
    draft = change_in("draft")
    outsider = make_user("admin", organisation=make_org())
    assert _refusal(lambda: operations.cancel(draft, outsider, "x")) == "You do not have access to this change."
    assert _refusal(lambda: operations.cancel(draft, cast["viewer"], "x")) == (
        "Viewers can look at changes but not act on them.")
    assert _refusal(lambda: operations.schedule(draft, cast["requester"], WINDOW_START, WINDOW_END,
                                                cast["implementer"].id)) == (
        "You can only schedule a change that is approved, failed or scheduled; this one is draft.")
    for stranger in (outsider, make_user("engineer", active=False)):
        assert _refusal(lambda: operations.create_change(org.id, stranger, _fields(cast, company))) == (
            "You do not have access to this organisation.")
    assert _refusal(lambda: operations.create_change(org.id, cast["viewer"], _fields(cast, company))) == (
        "Your role does not allow you to create changes.")
    both = _fields(cast, company, operational_approver_id=cast["technical"].id)
    assert _refusal(lambda: operations.create_change(org.id, cast["requester"], both)) == (
        "One person cannot be both the technical and the operational approver of a change.")


# --- the requester and the approver roles -----------------------------------------------------


def _small_team(db, org, allowed=True):
    db.session.get(Organisation, org.id).allow_self_approval = allowed
    db.session.commit()


@pytest.mark.parametrize("role", ["technical_approver_id", "operational_approver_id"])
def test_requester_cannot_name_themselves_approver(db, org, company, cast, role):
    """Creating or editing a change with the requester as an approver is refused, saying why."""
    with pytest.raises(LifecycleError, match="requester of a change cannot also be its"):
        operations.create_change(org.id, cast["requester"],
                                 _fields(cast, company, **{role: cast["requester"].id}))
    db.session.rollback()
    change = operations.create_change(org.id, cast["requester"], _fields(cast, company))
    db.session.commit()
    with pytest.raises(LifecycleError, match="small teams"):
        apply(operations.update_change, change, cast["admin"],
              fields=replace(ChangeFields.of(change), **{role: cast["requester"].id}))


def test_requester_approver_named_before_the_setting_was_turned_off_cannot_submit(
    db, org, company, cast
):
    """Submit checks again: a self-approving draft made on a small team cannot be submitted after."""
    _small_team(db, org)
    change = operations.create_change(
        org.id, cast["requester"], _fields(cast, company, technical_approver_id=cast["requester"].id))
    db.session.commit()
    _small_team(db, org, allowed=False)
    with pytest.raises(LifecycleError, match="requester of a change cannot also be its technical approver"):
        apply(operations.submit, change, cast["requester"])
    assert change.state == "draft"


def test_one_person_never_holds_both_approver_roles(db, org, company, cast, make_change):
    """The same person as technical and operational approver is refused on save and on submit,
    small team or not."""
    _small_team(db, org)
    both = {"technical_approver_id": cast["technical"].id, "operational_approver_id": cast["technical"].id}
    with pytest.raises(LifecycleError, match="cannot be both the technical and the operational approver"):
        operations.create_change(org.id, cast["requester"], _fields(cast, company, **both))
    db.session.rollback()
    change = operations.create_change(org.id, cast["requester"], _fields(cast, company))
    db.session.commit()
    with pytest.raises(LifecycleError, match="cannot be both"):
        apply(operations.update_change, change, cast["requester"],
              fields=replace(ChangeFields.of(change), operational_approver_id=cast["technical"].id))
    legacy = make_change(created_by=cast["requester"], **both)  # written before the rule existed
    with pytest.raises(LifecycleError, match="cannot be both"):
        apply(operations.submit, legacy, cast["requester"])
    assert legacy.state == "draft"


def test_requester_on_the_vcab_cannot_vote_on_their_own_change(db, org, company, cast, make_user):
    """Without the small-team setting the requester never decides, not even as a vCAB member."""
    cast["requester"].vcab_member = True
    db.session.commit()
    change = operations.create_change(org.id, cast["requester"], _fields(cast, company))
    db.session.commit()
    apply(operations.submit, change, cast["requester"])
    assert policy.decision_kinds(change, cast["requester"]) == []
    with pytest.raises(LifecycleError, match="You requested this change"):
        apply(operations.approve, change, cast["requester"], kind="vcab")
    assert approvals.approval_status(change).vcab_members == [cast["vcab"]]


def test_submit_needs_a_vcab_member_whose_vote_counts(db, org, company, cast):
    """A vCAB of only the change's approvers cannot approve it, so submit says so."""
    cast["vcab"].vcab_member = False
    cast["technical"].vcab_member = True
    db.session.commit()
    change = operations.create_change(org.id, cast["requester"], _fields(cast, company))
    db.session.commit()
    with pytest.raises(LifecycleError, match="no active vCAB members whose vote can count"):
        apply(operations.submit, change, cast["requester"])


# --- small team -------------------------------------------------------------------------------


@pytest.fixture
def self_approved(db, org, company, cast):
    """On a small team: a change whose requester is its technical approver and has approved it."""
    _small_team(db, org)
    change = operations.create_change(
        org.id, cast["requester"],
        _fields(cast, company, technical_approver_id=cast["requester"].id, requires_vcab=False))
    db.session.commit()
    apply(operations.submit, change, cast["requester"])
    assert policy.decision_kinds(change, cast["requester"]) == ["technical"]
    apply(operations.approve, change, cast["requester"], kind="technical")
    return change


def test_small_team_lets_the_requester_approve_and_marks_it(db, cast, self_approved):
    """With the setting on, the requester may approve their own change; the approval and the
    timeline say "self-approved", other approvals do not."""
    change = self_approved
    apply(operations.approve, change, cast["operational"], kind="operational")
    assert change.state == "approved"
    marks = {a.kind: a.self_approved for a in db.session.scalars(db.select(Approval))}
    assert marks == {"technical": True, "operational": False}
    messages = db.session.scalars(
        db.select(TimelineEntry.message).filter_by(change_id=change.id, kind="approved")
        .order_by(TimelineEntry.id)).all()
    assert messages == ["Technical approval (self-approved)", "Operational approval"]


def test_small_team_requesters_rejection_is_not_marked_self_approved(db, cast, self_approved):
    """Only an approval can be a self-approval: the requester rejecting their own change (as
    technical approver, in the next round) is recorded as a plain rejection."""
    change = self_approved
    apply(operations.reject, change, cast["operational"], kind="operational", comment="Wrong window")
    apply(operations.submit, change, cast["requester"])
    apply(operations.reject, change, cast["requester"], kind="technical", comment="Found a problem")
    decisions = db.session.scalars(db.select(Approval).order_by(Approval.id)).all()
    assert [(a.round, a.kind, a.decision, a.self_approved) for a in decisions] == [
        (1, "technical", "approved", True), (1, "operational", "rejected", False),
        (2, "technical", "rejected", False)]


def test_small_team_lets_the_requesters_vcab_vote_count(db, org, company, cast):
    """The setting relaxes the requester rule only: their vCAB vote counts, an approver's still does not."""
    _small_team(db, org)
    cast["requester"].vcab_member = True
    cast["technical"].vcab_member = True
    db.session.commit()
    change = operations.create_change(org.id, cast["requester"], _fields(cast, company))
    db.session.commit()
    apply(operations.submit, change, cast["requester"])
    status = approvals.approval_status(change)
    assert {m.id for m in status.vcab_members} == {cast["requester"].id, cast["vcab"].id}
    apply(operations.approve, change, cast["requester"], kind="vcab")
    apply(operations.approve, change, cast["technical"], kind="vcab")
    status = approvals.approval_status(change)
    assert status.vcab_yes == 1 and status.vcab_needed == 2


def test_detail_page_marks_a_self_approval(client, login, cast, self_approved):
    """The approvals card shows "Self-approved" beside a self-approval."""
    change = self_approved
    login(cast["requester"])
    page = client.get(f"/changes/{change.id}").get_data(as_text=True)
    assert "Self-approved" in page
    timeline = client.get(f"/changes/{change.id}?tab=timeline").get_data(as_text=True)
    assert "Technical approval (self-approved)" in timeline


# --- the setting's page -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["msp", "engineer", "viewer"])
def test_only_admins_open_the_organisation_settings(client, post, login, db, org, make_user, role):
    """Only an admin sees or changes the small-team setting: 403 for MSP users and everyone else."""
    login(make_user(role))
    assert client.get("/settings/organisation").status_code == 403
    assert post("/settings/organisation", {"allow_self_approval": "y"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).allow_self_approval is False


def test_admin_turns_the_small_team_setting_on_and_off(client, post, login, db, org, admin):
    """The setting is off by default; an admin turns it on and off again."""
    login(admin)
    page = client.get("/settings/organisation").get_data(as_text=True)
    assert "Small team: allow requesters to approve their own changes" in page
    assert 'name="allow_self_approval"' in page and "checked" not in page
    assert post("/settings/organisation", {"allow_self_approval": "y"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).allow_self_approval is True
    assert post("/settings/organisation", {}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).allow_self_approval is False


def test_settings_page_of_one_organisation_never_touches_another(client, post, login, db, make_org,
                                                                 make_user):
    """An admin's toggle changes their own organisation only."""
    other = make_org()
    login(make_user("admin"))
    post("/settings/organisation", {"allow_self_approval": "y"})
    db.session.expire_all()
    assert db.session.get(Organisation, other.id).allow_self_approval is False


def test_edit_page_tells_a_non_requester_who_may_edit(client, login, db, cast, change_in):
    """An engineer who did not request the draft is sent back to it with the reason."""
    change = change_in("draft")
    login(cast["engineer"])
    response = client.get(f"/changes/{change.id}/edit", follow_redirects=True)
    assert response.request.path == f"/changes/{change.id}"
    page = response.get_data(as_text=True)
    assert "Only the requester, an admin or an MSP user can edit this change." in page
    assert f'href="/changes/{change.id}/edit"' not in page
