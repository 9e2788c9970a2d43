"""Lifecycle signals: each transition sends its event once, refusals send nothing (§3.7)."""
import ast
from pathlib import Path

import pytest

from cbcw.changes import operations
from cbcw.changes.errors import LifecycleError
from cbcw.changes.fields import LinkedTicket
from cbcw.changes.unit_of_work import apply

from .conftest import WINDOW_END, WINDOW_START, edited



def _only(signal_log, name):
    """The single event sent, checked to be `name` with change_id and actor_id."""
    assert signal_log.names() == [name]
    (sender_kwargs,) = signal_log.of(name)
    return signal_log.events[0][1], sender_kwargs


def test_create_sends_change_created(db, org, engineer, change_fields, signal_log):
    """Creating a change sends change_created with the change as sender."""
    change = operations.create_change(org.id, engineer, change_fields())
    sender, kwargs = _only(signal_log, "change-created")
    assert sender is change and kwargs == {"change_id": change.id, "actor_id": engineer.id}


def test_create_with_ticket_also_sends_ticket_linked(org, engineer, change_fields, signal_log):
    """A ticket given at creation sends ticket_linked after change_created."""
    change = operations.create_change(org.id, engineer, change_fields(), ticket=LinkedTicket(123, system="psa"))
    assert signal_log.names() == ["change-created", "ticket-linked"]
    assert signal_log.of("ticket-linked") == [
        {"change_id": change.id, "actor_id": engineer.id, "ticket_id": 123, "ticket_system": "psa",
         "previous_ticket_id": None, "previous_ticket_system": None}
    ]


def test_changing_the_ticket_sends_ticket_linked(new_change, engineer, signal_log):
    """Linking another ticket sends ticket_linked with the previous id and system; relinking the
    same ticket of the same system and unlinking do not."""
    change = new_change(ticket=LinkedTicket(123, system="psa"))
    signal_log.clear()
    apply(operations.link_ticket, change, engineer, ticket=LinkedTicket(456, system="psa"))
    assert signal_log.of("ticket-linked") == [
        {"change_id": change.id, "actor_id": engineer.id, "ticket_id": 456, "ticket_system": "psa",
         "previous_ticket_id": 123, "previous_ticket_system": "psa"}
    ]
    signal_log.clear()
    apply(operations.update_change, change, engineer, fields=edited(change, title="Only the title"))
    apply(operations.link_ticket, change, engineer, ticket=LinkedTicket(456, summary="Seen again", system="psa"))
    apply(operations.link_ticket, change, engineer, ticket=None)
    assert change.linked_ticket_id is None and change.linked_ticket_system is None
    assert signal_log.events == []


def test_the_same_number_in_another_system_is_another_ticket(new_change, engineer, signal_log):
    """Ticket #123 of another PSA is a new link: it is recorded with its system and announced."""
    change = new_change(ticket=LinkedTicket(123, system="psa"))
    signal_log.clear()
    apply(operations.link_ticket, change, engineer, ticket=LinkedTicket(123, system="other-psa"))
    assert (change.linked_ticket_id, change.linked_ticket_system) == (123, "other-psa")
    assert signal_log.of("ticket-linked") == [
        {"change_id": change.id, "actor_id": engineer.id, "ticket_id": 123, "ticket_system": "other-psa",
         "previous_ticket_id": 123, "previous_ticket_system": "psa"}
    ]


def test_submit_sends_nothing(new_change, engineer, signal_log):
    """Submitting has no integration event."""
    change = new_change()
    signal_log.clear()
    apply(operations.submit, change, engineer)
    assert signal_log.events == []


def test_approvals_send_approval_recorded_then_fully_approved_once(pending_change, people, signal_log):
    """Each approval sends approval_recorded; the completing one also sends change_fully_approved."""
    change = pending_change()
    signal_log.clear()
    apply(operations.approve, change, people.technical, kind="technical", comment="ok")
    apply(operations.approve, change, people.operational, kind="operational")
    assert signal_log.names() == ["approval-recorded", "approval-recorded", "change-fully-approved"]
    first, second = signal_log.of("approval-recorded")
    assert first == {"change_id": change.id, "actor_id": people.technical.id,
                     "approval_id": change.approvals[0].id, "kind": "technical", "comment": "ok"}
    assert second["kind"] == "operational" and second["comment"] == ""
    assert signal_log.of("change-fully-approved") == [
        {"change_id": change.id, "actor_id": people.operational.id}
    ]


def test_reject_sends_change_rejected(pending_change, people, signal_log):
    """A rejection sends change_rejected with the approval row, kind and comment."""
    change = pending_change()
    signal_log.clear()
    apply(operations.reject, change, people.technical, kind="technical", comment="No")
    sender, kwargs = _only(signal_log, "change-rejected")
    assert kwargs == {"change_id": change.id, "actor_id": people.technical.id,
                      "approval_id": change.approvals[0].id, "kind": "technical", "comment": "No"}


def test_schedule_and_reschedule_send_change_scheduled(approved_change, engineer, people, signal_log):
    """Scheduling sends change_scheduled; rescheduling sends it again with rescheduled=True."""
    change = approved_change()
    signal_log.clear()
    apply(operations.schedule, change, engineer, window_start=WINDOW_START,
                    window_end=WINDOW_END, implementer_id=people.implementer.id)
    apply(operations.schedule, change, engineer, window_start=WINDOW_START,
                    window_end=WINDOW_END, implementer_id=engineer.id)
    first, second = signal_log.of("change-scheduled")
    assert first == {"change_id": change.id, "actor_id": engineer.id, "window_start": WINDOW_START,
                     "window_end": WINDOW_END, "implementer_id": people.implementer.id,
                     "rescheduled": False}
    assert second["rescheduled"] is True and second["implementer_id"] == engineer.id
    assert len(signal_log.events) == 2


def test_start_sends_implementation_started(scheduled_change, people, signal_log):
    """Starting sends implementation_started with the start time and implementer."""
    change = scheduled_change()
    signal_log.clear()
    apply(operations.start_implementation, change, people.implementer)
    _, kwargs = _only(signal_log, "implementation-started")
    assert kwargs == {"change_id": change.id, "actor_id": people.implementer.id,
                      "started_at": change.actual_start_at, "implementer_id": people.implementer.id}


@pytest.mark.parametrize(
    "operation, texts, name",
    [
        (operations.complete, {"completion_notes": "Done", "test_results": "Green"}, "change-completed"),
        (operations.fail, {"failure_reason": "Broke", "rollback_notes": "Reverted"}, "change-failed"),
    ],
)
def test_finishing_sends_completed_or_failed(in_progress_change, people, signal_log, operation,
                                             texts, name):
    """Completing or failing sends its signal with both texts."""
    change = in_progress_change()
    signal_log.clear()
    apply(operation, change, people.implementer, **texts)
    _, kwargs = _only(signal_log, name)
    assert kwargs == {"change_id": change.id, "actor_id": people.implementer.id, **texts}


def test_cancel_sends_change_cancelled(approved_change, engineer, signal_log):
    """Cancelling sends change_cancelled with the reason and the state it left."""
    change = approved_change()
    signal_log.clear()
    apply(operations.cancel, change, engineer, reason="Obsolete")
    _, kwargs = _only(signal_log, "change-cancelled")
    assert kwargs == {"change_id": change.id, "actor_id": engineer.id, "reason": "Obsolete",
                      "previous_state": "approved"}


def test_comment_sends_nothing(new_change, engineer, signal_log):
    """Comments stay inside ChangeBreeze."""
    change = new_change()
    signal_log.clear()
    apply(operations.add_comment, change, engineer, text="Note")
    assert signal_log.events == []


@pytest.mark.parametrize(
    "fixture, operation, actor, kwargs",
    [
        ("new_change", operations.approve, "technical", {"kind": "technical"}),
        ("pending_change", operations.approve, "implementer", {"kind": "technical"}),
        ("pending_change", operations.reject, "technical", {"kind": "technical", "comment": ""}),
        ("pending_change", operations.schedule, "implementer",
         {"window_start": WINDOW_START, "window_end": WINDOW_END, "implementer_id": None}),
        ("approved_change", operations.start_implementation, "implementer", {}),
        ("scheduled_change", operations.complete, "implementer",
         {"completion_notes": "x", "test_results": "y"}),
        ("in_progress_change", operations.fail, "implementer",
         {"failure_reason": "", "rollback_notes": "y"}),
        ("in_progress_change", operations.cancel, "implementer", {"reason": "x"}),
        ("new_change", operations.link_ticket, "viewer", {"ticket": LinkedTicket(9)}),
    ],
)
def test_refused_actions_send_nothing(request, people, viewer, signal_log, fixture, operation,
                                      actor, kwargs):
    """A refused operation sends no signal at all."""
    change = request.getfixturevalue(fixture)()
    user = viewer if actor == "viewer" else getattr(people, actor)
    signal_log.clear()
    with pytest.raises(LifecycleError):
        apply(operation, change, user, **kwargs)
    assert signal_log.events == []


def test_the_change_domain_never_imports_the_integration():
    """No module of cbcw.changes imports cbcw.connectwise (the arrow points the other way)."""
    package = Path(operations.__file__).parent
    offenders = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{alias.name}" for alias in node.names]
            offenders += [f"{path.name}: {n}" for n in names if "connectwise" in n]
    assert offenders == []
