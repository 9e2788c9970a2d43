"""Change lifecycle: creation, editing and every state transition (PRODUCT §2.2)."""
from datetime import datetime, timedelta, timezone

import pytest

from cbcw.changes import operations, policy
from cbcw.changes.errors import LifecycleError
from cbcw.changes.fields import ChangeFields, LinkedTicket
from cbcw.changes.models import Change, TimelineEntry
from cbcw.changes.unit_of_work import apply
from cbcw.organisations.models import Organisation
from tests.helpers.clock import FROZEN_NOW

from .conftest import WINDOW_END, WINDOW_START, edited



def _reload(db, change):
    db.session.expire_all()
    return db.session.get(Change, change.id)


# --- create -----------------------------------------------------------------------------------


def test_create_gives_a_draft_with_the_next_organisation_number(db, org, new_change, entries):
    """Creating a change numbers it per organisation and starts it as a draft with a timeline entry."""
    first, second = new_change(), new_change()
    assert (first.number, second.number) == (1, 2)
    assert second.reference == "CHG-000002"
    assert first.state == "draft" and first.approval_round == 1 and first.version == 1
    assert db.session.get(Organisation, org.id).change_counter == 2
    assert entries(first) == ["created"]


def test_numbers_are_per_organisation(db, org, make_org, make_user, engineer, new_change):
    """Each organisation counts its own changes from 1."""
    new_change()
    other = make_org()
    other_engineer = make_user("engineer", organisation=other)
    change = operations.create_change(other.id, other_engineer, ChangeFields(title="Elsewhere"))
    db.session.commit()
    assert change.number == 1


def test_create_stores_the_given_fields(db, new_change, company, people):
    """Every field of the form lands on the change."""
    change = new_change(reason="Security", impact="Short outage", requires_vcab=True,
                        window_start=WINDOW_START, window_end=WINDOW_END,
                        ticket=LinkedTicket(4711, summary="Patch", board="Service", status="New"))
    change = _reload(db, change)
    assert change.company_id == company.id and change.risk == "medium"
    assert change.technical_approver_id == people.technical.id
    assert change.requires_vcab is True and change.linked_ticket_id == 4711
    assert (change.linked_ticket_summary, change.linked_ticket_board) == ("Patch", "Service")
    assert change.linked_ticket_status == "New"
    assert change.window_start == WINDOW_START and change.window_end == WINDOW_END


@pytest.mark.parametrize(
    "field, message",
    [
        ("company_id", "one of your organisation's companies"),
        ("technical_approver_id", "technical approver must be a user of your organisation"),
        ("operational_approver_id", "operational approver must be a user of your organisation"),
        ("implementer_id", "implementer must be a user of your organisation"),
    ],
)
def test_create_refuses_another_organisations_company_or_people(
    db, org, engineer, change_fields, make_org, make_user, make_company, field, message
):
    """Company, approvers and implementer must belong to the change's organisation."""
    other = make_org()
    foreign = (make_company(organisation=other) if field == "company_id"
               else make_user("engineer", organisation=other))
    with pytest.raises(LifecycleError, match=message):
        operations.create_change(org.id, engineer, change_fields(**{field: foreign.id}))
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Change.id))) == 0
    assert db.session.get(Organisation, org.id).change_counter == 0


def test_create_refuses_inactive_or_viewer_approvers(org, engineer, change_fields, make_user):
    """An approver must be an active user who can act."""
    with pytest.raises(LifecycleError, match="not an active user"):
        operations.create_change(org.id, engineer, change_fields(
            technical_approver_id=make_user(active=False).id))
    with pytest.raises(LifecycleError, match="is a viewer"):
        operations.create_change(org.id, engineer, change_fields(
            operational_approver_id=make_user("viewer").id))


def test_create_refuses_bad_values(org, engineer, change_fields):
    """Unknown risk, naive datetimes, a window ending before it starts and one longer than 31 days are refused."""
    with pytest.raises(LifecycleError, match="Risk must be"):
        operations.create_change(org.id, engineer, change_fields(risk="extreme"))
    with pytest.raises(LifecycleError, match="with a timezone"):
        operations.create_change(org.id, engineer, change_fields(window_start=datetime(2030, 1, 1)))
    with pytest.raises(LifecycleError, match="end after it starts"):
        operations.create_change(org.id, engineer, change_fields(
            window_start=WINDOW_END, window_end=WINDOW_START))
    with pytest.raises(LifecycleError, match="at most 31 days"):
        operations.create_change(org.id, engineer, change_fields(
            window_start=WINDOW_START, window_end=WINDOW_START + timedelta(days=31, minutes=1)))


def test_create_refuses_unknown_fields(org, engineer, change_fields):
    """Fields outside the editable set (e.g. state) are a programming error."""
    with pytest.raises(TypeError, match="state"):
        operations.create_change(org.id, engineer, change_fields(state="approved"))


def test_viewer_cannot_create(org, viewer, change_fields):
    """Viewers cannot create changes."""
    with pytest.raises(LifecycleError, match="does not allow"):
        operations.create_change(org.id, viewer, change_fields())


def test_windows_are_stored_in_utc(db, new_change):
    """A window given in another timezone is stored as the same instant in UTC."""
    paris = timezone(timedelta(hours=2))
    change = new_change(window_start=datetime(2030, 5, 2, 0, 0, tzinfo=paris))
    assert _reload(db, change).window_start == WINDOW_START


# --- update -----------------------------------------------------------------------------------


def test_update_names_the_changed_fields_on_the_timeline(db, new_change, engineer):
    """Editing a draft writes one "updated" entry listing what changed."""
    change = new_change()
    apply(operations.update_change, change, engineer,
                    fields=edited(change, title="Patch both servers", risk="medium", impact="None"))
    entry = db.session.scalars(db.select(TimelineEntry).filter_by(change_id=change.id, kind="updated")).one()
    assert entry.details["fields"] == ["title", "impact"]
    assert entry.message == "Updated title, impact"
    assert change.title == "Patch both servers" and change.version == 2


def test_update_that_changes_nothing_writes_nothing(db, new_change, engineer, entries):
    """Saving an unchanged form adds no timeline entry and keeps the version."""
    change = new_change()
    apply(operations.update_change, change, engineer, fields=edited(change, title=change.title))
    assert entries(change) == ["created"] and change.version == 1


def test_update_is_only_allowed_in_draft(db, pending_change, engineer, entries):
    """A submitted change can no longer be edited."""
    change = pending_change()
    with pytest.raises(LifecycleError, match="only edit a change that is draft"):
        apply(operations.update_change, change, engineer, fields=edited(change, title="New"))
    assert _reload(db, change).title == "Patch the file server"


def test_update_keeps_an_unchanged_approver_who_was_deactivated(db, new_change, engineer, people):
    """Only newly chosen people are validated, so editing other fields still works."""
    change = new_change()
    people.technical.active = False
    db.session.commit()
    apply(operations.update_change, change, engineer,
                    fields=edited(change, title="Still editable", technical_approver_id=people.technical.id))
    assert change.title == "Still editable"


# --- submit -----------------------------------------------------------------------------------


def test_submit_moves_draft_to_pending_approval(new_change, engineer, entries):
    """Submitting a complete draft asks for approval."""
    change = new_change()
    apply(operations.submit, change, engineer)
    assert change.state == "pending_approval"
    assert entries(change) == ["created", "submitted"]


def test_submit_lists_what_is_missing(db, new_change, engineer, entries):
    """A draft without title, company or approvers is refused with the missing items named."""
    change = new_change(title="", company_id=None, technical_approver_id=None,
                        operational_approver_id=None)
    with pytest.raises(LifecycleError) as refused:
        apply(operations.submit, change, engineer)
    assert str(refused.value) == (
        "Before submitting, give the change a title, a company, a technical approver "
        "and an operational approver."
    )
    assert _reload(db, change).state == "draft" and entries(change) == ["created"]


def test_submit_needs_active_approvers(db, new_change, engineer, people):
    """An approver deactivated since the draft was written blocks the submit."""
    change = new_change()
    people.operational.active = False
    db.session.commit()
    with pytest.raises(LifecycleError, match="operational approver .* is not an active user"):
        apply(operations.submit, change, engineer)


def test_submit_with_vcab_needs_an_active_vcab_member(db, new_change, engineer, make_user):
    """A vCAB change cannot be submitted while the organisation has no active vCAB member."""
    make_user(vcab_member=True, active=False)
    make_user("viewer", vcab_member=True)
    change = new_change(requires_vcab=True)
    with pytest.raises(LifecycleError, match="no active vCAB members"):
        apply(operations.submit, change, engineer)
    make_user(vcab_member=True)
    apply(operations.submit, change, engineer)
    assert change.state == "pending_approval"


# --- schedule, start, complete, fail, cancel ------------------------------------------------


def test_schedule_an_approved_change(approved_change, engineer, people, entries):
    """Scheduling records the window and implementer and moves to scheduled."""
    change = approved_change()
    apply(operations.schedule, change, engineer, window_start=WINDOW_START,
                    window_end=WINDOW_END, implementer_id=people.implementer.id)
    assert change.state == "scheduled"
    assert (change.window_start, change.window_end) == (WINDOW_START, WINDOW_END)
    assert entries(change)[-1] == "scheduled"


@pytest.mark.parametrize(
    "start, end, message",
    [
        (None, WINDOW_END, "start and end"),
        (WINDOW_END, WINDOW_START, "end after it starts"),
        (WINDOW_START, WINDOW_START, "end after it starts"),
        (datetime(2030, 5, 1, 22), WINDOW_END, "with a timezone"),
    ],
)
def test_schedule_refuses_a_bad_window(db, approved_change, engineer, people, start, end, message):
    """A window needs both ends, aware datetimes and end after start."""
    change = approved_change()
    with pytest.raises(LifecycleError, match=message):
        apply(operations.schedule, change, engineer, window_start=start, window_end=end,
                        implementer_id=people.implementer.id)
    assert _reload(db, change).state == "approved"


def test_schedule_refuses_an_implementer_who_cannot_act(approved_change, engineer, make_user,
                                                        make_org):
    """The implementer must be an active, non-viewer user of the organisation."""
    change = approved_change()
    for implementer, message in (
        (None, "Choose who implements"),
        (make_user("viewer").id, "is a viewer"),
        (make_user(active=False).id, "not an active user"),
        (make_user(organisation=make_org()).id, "user of your organisation"),
    ):
        with pytest.raises(LifecycleError, match=message):
            apply(operations.schedule, change, engineer, window_start=WINDOW_START,
                            window_end=WINDOW_END, implementer_id=implementer)


def test_schedule_refused_before_approval(pending_change, engineer, people):
    """A change still awaiting approval cannot be scheduled."""
    change = pending_change()
    with pytest.raises(LifecycleError, match="only schedule a change that is approved, failed or scheduled; this one is pending approval"):
        apply(operations.schedule, change, engineer, window_start=WINDOW_START,
                        window_end=WINDOW_END, implementer_id=people.implementer.id)


def test_reschedule_updates_the_window(db, scheduled_change, engineer, admin, entries):
    """Rescheduling while scheduled updates the window and records what it was."""
    change = scheduled_change()
    later = WINDOW_START + timedelta(days=1)
    apply(operations.schedule, change, engineer, window_start=later,
                    window_end=later + timedelta(hours=1), implementer_id=admin.id)
    assert change.state == "scheduled" and change.window_start == later
    assert change.implementer_id == admin.id
    entry = db.session.scalars(db.select(TimelineEntry).filter_by(change_id=change.id, kind="rescheduled")).one()
    assert entry.details["previous_window_start"] == WINDOW_START.isoformat()


def test_reschedule_to_the_same_window_is_a_no_op(scheduled_change, engineer, people, entries):
    """Submitting the same schedule twice writes nothing the second time."""
    change = scheduled_change()
    version = change.version
    apply(operations.schedule, change, engineer, window_start=WINDOW_START,
                    window_end=WINDOW_END, implementer_id=people.implementer.id)
    assert change.version == version and entries(change).count("rescheduled") == 0


def test_start_records_start_time_and_implementer(scheduled_change, people, entries, monkeypatch):
    """Starting moves to in progress, records the actual start (the moment of starting) and who implements."""
    change = scheduled_change()
    monkeypatch.setattr(operations, "utcnow", lambda: FROZEN_NOW)
    apply(operations.start_implementation, change, people.implementer)
    assert change.state == "in_progress"
    assert change.actual_start_at == FROZEN_NOW
    assert change.implementer_id == people.implementer.id
    assert entries(change)[-1] == "started"


def test_an_admin_may_start_and_becomes_the_implementer(scheduled_change, admin):
    """Admin/MSP may start someone else's change; the starter is recorded as implementer."""
    change = scheduled_change()
    apply(operations.start_implementation, change, admin)
    assert change.state == "in_progress" and change.implementer_id == admin.id


def test_only_the_implementer_or_a_manager_may_start(db, scheduled_change, make_user):
    """An engineer who is neither implementer nor requester cannot start the implementation."""
    change = scheduled_change()
    with pytest.raises(LifecycleError, match="Only the implementer, the requester, an admin or an MSP user"):
        apply(operations.start_implementation, change, make_user("engineer"))
    assert _reload(db, change).state == "scheduled"


def test_complete_needs_notes_and_test_results(db, in_progress_change, people, entries):
    """Completing requires both texts and then moves to completed."""
    change = in_progress_change()
    with pytest.raises(LifecycleError, match="Test results are required"):
        apply(operations.complete, change, people.implementer,
                        completion_notes="Done", test_results="  ")
    assert _reload(db, change).state == "in_progress"
    apply(operations.complete, change, people.implementer,
                    completion_notes="Done", test_results="All green")
    assert change.state == "completed" and change.actual_end_at is not None
    assert change.completion_notes == "Done" and entries(change)[-1] == "completed"


def test_fail_needs_reason_and_rollback_notes(db, in_progress_change, people):
    """Failing requires the reason and the rollback notes."""
    change = in_progress_change()
    with pytest.raises(LifecycleError, match="failure reason is required"):
        apply(operations.fail, change, people.implementer,
                        failure_reason="", rollback_notes="Restored")
    apply(operations.fail, change, people.implementer,
                    failure_reason="Disk full", rollback_notes="Restored snapshot")
    assert change.state == "failed" and change.failure_reason == "Disk full"


def test_a_failed_change_may_be_scheduled_again(in_progress_change, people, engineer):
    """After a failure the change can be scheduled again (not as a reschedule)."""
    change = in_progress_change()
    apply(operations.fail, change, people.implementer,
                    failure_reason="Disk full", rollback_notes="Restored")
    assert "schedule" in policy.allowed_actions(change, engineer)
    apply(operations.schedule, change, engineer, window_start=WINDOW_START,
                    window_end=WINDOW_END, implementer_id=people.implementer.id)
    assert change.state == "scheduled"


@pytest.mark.parametrize("state_fixture", ["new_change", "pending_change", "approved_change",
                                           "scheduled_change"])
def test_cancel_from_each_cancellable_state(request, engineer, entries, state_fixture):
    """Draft, pending, approved and scheduled changes can be cancelled with a reason."""
    change = request.getfixturevalue(state_fixture)()
    apply(operations.cancel, change, engineer, reason="No longer needed")
    assert change.state == "cancelled" and change.cancel_reason == "No longer needed"
    assert entries(change)[-1] == "cancelled"


def test_cancel_needs_a_reason_and_a_cancellable_state(db, new_change, in_progress_change, engineer):
    """A blank reason or an in-progress change is refused."""
    with pytest.raises(LifecycleError, match="reason for cancelling"):
        apply(operations.cancel, new_change(), engineer, reason=" ")
    change = in_progress_change()
    with pytest.raises(LifecycleError, match="only cancel a change that is draft, pending approval, approved or scheduled; this one is in progress"):
        apply(operations.cancel, change, engineer, reason="Stop")
    assert _reload(db, change).state == "in_progress"


@pytest.mark.parametrize(
    "operation, kwargs",
    [
        (operations.submit, {}),
        (operations.start_implementation, {}),
        (operations.complete, {"completion_notes": "x", "test_results": "y"}),
        (operations.fail, {"failure_reason": "x", "rollback_notes": "y"}),
    ],
)
def test_illegal_transitions_from_completed_change_nothing(
    db, in_progress_change, people, admin, entries, operation, kwargs
):
    """A completed change refuses further transitions and stays exactly as it was."""
    change = in_progress_change()
    apply(operations.complete, change, people.implementer,
                    completion_notes="Done", test_results="OK")
    version, history = change.version, entries(change)
    with pytest.raises(LifecycleError, match="this one is completed"):
        apply(operation, change, admin, **kwargs)
    change = _reload(db, change)
    assert change.state == "completed" and change.version == version
    assert entries(change) == history


# --- who may act ------------------------------------------------------------------------------


def test_viewer_can_do_nothing(db, new_change, pending_change, viewer, people):
    """Viewers get no actions and every operation refuses them."""
    change = pending_change()
    assert policy.allowed_actions(change, viewer) == frozenset()
    for operation, kwargs in (
        (operations.add_comment, {"text": "hi"}),
        (operations.cancel, {"reason": "x"}),
    ):
        with pytest.raises(LifecycleError, match="Viewers can look"):
            apply(operation, change, viewer, **kwargs)
    with pytest.raises(LifecycleError, match="Viewers can look"):
        draft = new_change()
        apply(operations.update_change, draft, viewer, fields=edited(draft, title="x"))


def test_users_of_another_organisation_can_do_nothing(new_change, make_org, make_user):
    """A user of another organisation is refused even as an admin."""
    change = new_change()
    outsider = make_user("admin", organisation=make_org())
    assert policy.allowed_actions(change, outsider) == frozenset()
    with pytest.raises(LifecycleError, match="do not have access"):
        apply(operations.cancel, change, outsider, reason="x")


def test_inactive_user_can_do_nothing(new_change, make_user):
    """A deactivated account cannot act."""
    change = new_change()
    assert policy.allowed_actions(change, make_user("admin", active=False)) == frozenset()


@pytest.mark.parametrize(
    "state_fixture, expected",
    [
        ("new_change", {"edit", "submit", "cancel", "comment", "link_ticket"}),
        ("pending_change", {"cancel", "comment", "link_ticket"}),
        ("approved_change", {"schedule", "cancel", "comment", "link_ticket"}),
        ("scheduled_change", {"reschedule", "start", "cancel", "comment", "link_ticket"}),
        ("in_progress_change", {"complete", "fail", "comment", "link_ticket"}),
    ],
)
def test_allowed_actions_for_the_requester(request, engineer, state_fixture, expected):
    """The requester (an engineer, neither approver nor implementer) gets the actions of the state."""
    change = request.getfixturevalue(state_fixture)()
    assert policy.allowed_actions(change, engineer) == frozenset(expected)


def test_allowed_actions_for_implementer_and_approver(in_progress_change, pending_change, people):
    """The implementer may complete or fail; an approver may approve, reject or raise the risk
    (PRODUCT §2.8), and still comment."""
    assert policy.allowed_actions(in_progress_change(), people.implementer) == {"complete", "fail", "comment"}
    assert policy.allowed_actions(pending_change(), people.technical) == {"approve", "reject", "raise_risk", "comment"}


# --- comments and apply -----------------------------------------------------------------------


def test_comment_goes_on_the_timeline(db, in_progress_change, engineer):
    """A comment is a timeline entry with its author, in any state."""
    change = in_progress_change()
    apply(operations.add_comment, change, engineer, text="Looking good")
    entry = db.session.scalars(db.select(TimelineEntry).filter_by(change_id=change.id, kind="comment")).one()
    assert entry.message == "Looking good" and entry.actor_id == engineer.id
    with pytest.raises(LifecycleError, match="Write a comment"):
        apply(operations.add_comment, change, engineer, text="")


def test_transitions_bump_the_version_and_comments_do_not(new_change, engineer):
    """Each transition increments the optimistic version; a comment leaves the change row alone."""
    change = new_change()
    apply(operations.add_comment, change, engineer, text="one")
    assert change.version == 1
    apply(operations.submit, change, engineer)
    assert change.version == 2


def test_apply_rolls_back_a_refused_operation(db, new_change, engineer, entries):
    """A refusal inside apply leaves no half-written rows behind."""
    change = new_change()

    def half_then_refuse(change, actor):
        operations.add_comment(change, actor, text="written first")
        raise LifecycleError("refused after writing")

    with pytest.raises(LifecycleError, match="refused after writing"):
        apply(half_then_refuse, change, engineer)
    assert entries(_reload(db, change)) == ["created"]


def test_timeline_records_the_whole_life(in_progress_change, people, entries):
    """A change's timeline tells its story in order."""
    change = in_progress_change()
    apply(operations.complete, change, people.implementer,
                    completion_notes="Done", test_results="OK")
    assert entries(change) == ["created", "submitted", "approved", "approved", "fully_approved",
                               "scheduled", "started", "completed"]


def test_timeline_names_who_edited_linked_and_rejected(db, company, new_change, engineer, people, make_device):
    """Each entry shows the person who acted (not "System"), and a rejection keeps its kind,
    comment and round."""
    make_device("srv-01", company=company)
    change = new_change()
    apply(operations.update_change, change, engineer, fields=edited(change, description="Reboot @srv-01"))
    apply(operations.link_ticket, change, engineer, ticket=LinkedTicket(5001))
    apply(operations.submit, change, engineer)
    apply(operations.reject, change, people.technical, kind="technical", comment="Wrong window")
    entries = {e.kind: e for e in db.session.scalars(db.select(TimelineEntry).filter_by(change_id=change.id))}
    assert {kind: entries[kind].actor_id for kind in ("updated", "device_linked", "ticket_linked", "rejected")} == {
        "updated": engineer.id, "device_linked": engineer.id, "ticket_linked": engineer.id,
        "rejected": people.technical.id}
    assert entries["rejected"].details == {"kind": "technical", "comment": "Wrong window", "round": 1}
