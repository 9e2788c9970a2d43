"""Delivery guarantees (PRODUCT §3.8): order per ticket, retries without duplicates, Retry-After,
permanent failures that do not block, requests that never wait on ConnectWise, and two deliverers at once."""
import time

import requests

from cbcw.changes import operations
from cbcw.changes.unit_of_work import apply
from cbcw.changes.models import TimelineEntry
from cbcw.connectwise.automation.delivery import deliver
from cbcw.connectwise.automation.models import OutboxWrite
from cbcw.connectwise.settings.mappings import get_settings
from cbcw.extensions import db as _db
from tests.automation.conftest import (TICKET, WINDOW_END, WINDOW_START, committed_outbox, deliver_all, outbox,
                                       writes)
from tests.helpers.at_once import at_once

API = "/v4_6_release/apis/3.0"


def _make_due(db):
    db.session.execute(db.update(OutboxWrite).where(OutboxWrite.state == "pending")
                       .values(next_attempt_at=db.func.current_timestamp()))
    db.session.commit()


def _posted_references(cw_sim, path_part="/notes") -> list[str]:
    """The reference ending each note (or schedule entry) POSTed to the simulator, in order."""
    found = []
    for write in writes(cw_sim):
        body = write["json"] if isinstance(write["json"], dict) else {}
        text = (body.get("text") or body.get("name") or "").rstrip()
        if write["method"] == "POST" and path_part in write["path"] and text.endswith("]") and "[cb-" in text:
            found.append(text[text.rindex("[cb-") + 1:-1])
    return found


def test_connectwise_down_during_a_transition_then_deliver_sends_each_write_once_in_order(
        app, db, linked, cast, login, post, cw_sim, cw_org, unused_port):
    """The approval succeeds while ConnectWise is unreachable; after recovery `flask deliver`
    sends every pending write exactly once, in the order they were recorded."""
    change = linked()
    real_url, cw_org.base_url = cw_org.base_url, f"http://127.0.0.1:{unused_port}/v4_6_release/apis/3.0"
    db.session.commit()
    apply(operations.submit, change, cast.creator)
    login(cast.technical)
    started = time.monotonic()
    response = post(f"/changes/{change.id}/approve", {"decision-kind": "technical", "decision-comment": "ok"})
    assert response.status_code == 302 and time.monotonic() - started < 5
    assert db.session.get(type(change), change.id).state == "pending_approval"
    assert {r.state for r in outbox(db, change)} == {"pending"}
    assert all("unreachable" in (r.last_error or "") for r in outbox(db, change) if r.attempts)

    get_settings(cw_org.organisation_id).base_url = real_url
    db.session.commit()
    _make_due(db)
    result = app.test_cli_runner().invoke(args=["deliver", "--max-seconds", "20"])
    assert result.exit_code == 0 and "0 failed" in result.output, result.output
    rows = outbox(db, change)
    assert {r.state for r in rows} <= {"sent", "skipped"}
    references = _posted_references(cw_sim)
    assert len(references) == len(set(references))  # nothing twice
    expected = [r.reference for r in rows if r.kind in ("note", "resource", "unmatched") and r.state == "sent"]
    assert [ref for ref in references if ref in expected] == [ref for ref in expected if ref in references]
    assert set(expected) <= set(references)


def test_a_note_whose_answer_never_came_is_found_not_posted_again(db, linked, cw_sim):
    """ConnectWise stores the note, then the answer hangs past the timeout; the retry finds the
    note by its reference and does not post a second one."""
    change = linked(ticket=5004)
    deliver_all()
    apply(operations.cancel, change, change.created_by, reason="Client postponed")
    cw_sim.faults(hang_after_commit=True, paths="/notes", methods=["POST"])
    report = deliver(budget=30)
    assert report.held == 1
    note = next(r for r in outbox(db, change) if r.event == "change-cancelled" and r.kind == "note")
    assert note.state == "pending" and note.maybe_sent and "did not answer" in note.last_error
    cw_sim.faults()
    _make_due(db)
    deliver_all()
    db.session.refresh(note)
    assert note.state == "sent" and not note.maybe_sent
    on_ticket = cw_sim.raw("GET", "/service/tickets/5004/notes", params={"pageSize": 1000}).json()
    assert sum(note.reference in n["text"] for n in on_ticket) == 1
    assert _posted_references(cw_sim).count(note.reference) == 1


def test_a_note_answered_with_a_server_error_is_looked_for_before_posting_again(db, linked, cw_sim):
    """ConnectWise answers the note's POST with a 500 yet has stored it (an error after the write):
    the retry finds the note by its reference and does not post a second one."""
    change = linked(ticket=5004)
    deliver_all()
    apply(operations.cancel, change, change.created_by, reason="Client postponed")
    cw_sim.faults(error_count=1, error_status=500, paths="/notes", methods=["POST"])
    assert deliver(budget=30).held == 1
    note = next(r for r in outbox(db, change) if r.event == "change-cancelled" and r.kind == "note")
    assert note.state == "pending" and "500" in note.last_error
    # The simulator answers its 500 before storing; store the note as ConnectWise had.
    cw_sim.raw("POST", "/service/tickets/5004/notes",
               json={"text": note.payload["text"], "internalAnalysisFlag": True}).raise_for_status()
    _make_due(db)
    deliver_all()
    on_ticket = cw_sim.raw("GET", "/service/tickets/5004/notes", params={"pageSize": 1000}).json()
    assert sum(note.reference in n["text"] for n in on_ticket) == 1
    db.session.refresh(note)
    assert note.state == "sent" and "an earlier attempt had reached ConnectWise" in note.result["summary"]


def test_a_resource_whose_answer_never_came_is_not_added_twice(db, linked, cw_sim):
    """The same for a schedule entry: the retry finds the entry by the reference in its name."""
    cw_sim.faults(hang_after_commit=True, paths="/schedule/entries", methods=["POST"])
    change = linked()
    assert deliver(budget=30).held == 1  # the first entry's answer never came
    cw_sim.faults()
    _make_due(db)
    deliver_all()
    entries = cw_sim.raw("GET", "/schedule/entries", params={"pageSize": 1000}).json()
    assert sorted(e["member"]["id"] for e in entries) == [153, 154, 155]
    posted = _posted_references(cw_sim, "/schedule/entries")
    assert len(posted) == len(set(posted)) == 3
    notes = _posted_references(cw_sim)
    assert len(notes) == len(set(notes)) == 1 + 3
    assert {r.state for r in outbox(db, change)} <= {"sent", "skipped"}


def test_rate_limited_write_waits_for_retry_after_then_succeeds(db, linked, cw_sim):
    """A 429 with Retry-After: 1 holds the write about a second, then it is sent."""
    change = linked()
    deliver_all()
    apply(operations.cancel, change, change.created_by, reason="Budget freeze")
    requests.delete(f"{cw_sim.root_url}/_sim/journal", timeout=5)
    cw_sim.faults(rate_limit={"count": 1, "retry_after": 1}, methods=["PATCH"])
    started = time.monotonic()
    report = deliver(budget=15, wait=True)
    assert time.monotonic() - started >= 1.0
    assert report.held == 1 and report.sent == 3  # status, note, the change's schedule entries closed
    statuses = [w["status"] for w in cw_sim.journal() if w["method"] == "PATCH"]
    assert statuses[:2] == [429, 200] and set(statuses[2:]) <= {200}


def test_a_transient_failure_holds_that_tickets_later_writes_only(db, linked, cw_sim):
    """A 503 on ticket 5001's status change keeps its later writes back; ticket 5004's go out."""
    cw_sim.faults(error_count=5, error_status=503, paths=f"/service/tickets/{TICKET}", methods=["PATCH"])
    first, second = linked(), linked(ticket=5004)
    deliver_all()
    assert {r.state for r in outbox(db, first)} == {"pending"}
    assert outbox(db, first)[0].attempts == 1 and "503" in outbox(db, first)[0].last_error
    assert [r.attempts for r in outbox(db, first)[1:]] == [0] * (len(outbox(db, first)) - 1)
    assert {r.state for r in outbox(db, second)} <= {"sent", "skipped"}
    assert not any(w["path"].startswith(f"{API}/service/tickets/{TICKET}/") for w in writes(cw_sim))


def test_a_deleted_ticket_fails_its_writes_visibly(db, linked, cast, cw_sim):
    """When the ticket was deleted in ConnectWise (its NotFound, while /system/info still answers:
    the keys work), its writes fail with a plain reason, on the timeline too."""
    change = linked()
    deliver_all()
    assert cw_sim.raw("DELETE", f"/service/tickets/{TICKET}").status_code == 204
    apply(operations.submit, change, cast.creator)
    apply(operations.approve, change, cast.technical, kind="technical")
    apply(operations.approve, change, cast.operational, kind="operational")
    report = deliver_all()
    assert (report.sent, report.failed) == (0, 3)  # two approval notes and the Fully Approved status
    assert sum(w["path"].endswith("/system/info") for w in cw_sim.journal()) == 1  # the keys checked once
    reason = f"ConnectWise no longer has ticket #{TICKET} (it was deleted or merged), so this cannot be delivered."
    assert [(w.kind, w.state, w.last_error) for w in outbox(db, change)[-3:]] == [
        ("note", "failed", reason), ("note", "failed", reason), ("status", "failed", reason)]
    failures = db.session.scalars(db.select(TimelineEntry.message).filter_by(
        change_id=change.id, kind="integration_failed").order_by(TimelineEntry.id)).all()
    assert failures[0] == f"ConnectWise: internal note not delivered: {reason}"


def test_a_write_refused_as_invalid_fails_in_connectwises_words_and_holds_nothing_back(db, linked, cw_sim):
    """A 400 on the cancellation note: the note fails with ConnectWise's own message, and the
    ticket's later write (removing the window) is still carried out."""
    change = linked(window_start=WINDOW_START, window_end=WINDOW_END)
    deliver_all()
    apply(operations.cancel, change, change.created_by, reason="Client postponed")
    cw_sim.faults(error_count=1, error_status=400, paths="/notes", methods=["POST"])
    deliver_all()
    note = next(r for r in outbox(db, change) if r.event == "change-cancelled" and r.kind == "note")
    assert note.state == "failed"
    assert note.last_error == "ConnectWise refused it as invalid: Simulated failure (HTTP 400)."
    later = next(r for r in outbox(db, change) if r.event == "change-cancelled" and r.kind == "unschedule")
    assert later.id > note.id and later.state in ("sent", "skipped")


def test_delivered_writes_appear_on_the_timeline(db, linked):
    """Each sent write adds an integration entry to the change's timeline."""
    change = linked()
    deliver_all()
    messages = db.session.scalars(db.select(TimelineEntry.message).filter_by(
        change_id=change.id, kind="integration_sent")).all()
    assert "ConnectWise: internal note posted on ticket #5001" in messages
    assert "ConnectWise: ticket #5001 status set to Change Linked" in messages


def test_the_users_action_answers_without_talking_to_connectwise(db, linked, cast, login, post, cw_sim):
    """An approval answers once its transaction commits: ConnectWise hears nothing during the
    request, and the approval's note waits in the outbox for the worker."""
    change = linked()
    deliver_all()
    apply(operations.submit, change, cast.creator)
    deliver_all()
    login(cast.technical)
    mark = len(cw_sim.journal())
    response = post(f"/changes/{change.id}/approve", {"decision-kind": "technical"})
    assert response.status_code == 302 and len(cw_sim.journal()) == mark
    pending = [r for r in outbox(db, change) if r.state == "pending"]
    assert [(r.event, r.kind) for r in pending] == [("approval-recorded", "note")]
    deliver_all()
    assert [w["method"] for w in cw_sim.journal()[mark:] if w["method"] != "GET"] == ["POST"]


def test_two_deliverers_at_once_never_send_a_write_twice(shared_app, cw_sim):
    """Two deliverers race over the same pending writes (file SQLite or PostgreSQL): each write
    reaches ConnectWise once, and each ticket's writes keep their order."""
    pending = committed_outbox(shared_app, cw_sim, (5001, 5002, 5004, 5005, 5008, 5010))
    at_once(shared_app, lambda: deliver(budget=60), 2)
    references = _posted_references(cw_sim)
    assert len(references) == len(set(references))
    with shared_app.app_context():
        rows = _db.session.scalars(_db.select(OutboxWrite).order_by(OutboxWrite.id)).all()
        assert len(rows) == pending and {r.state for r in rows} <= {"sent", "skipped"}
        assert all(r.attempts == 1 for r in rows)
        for ticket in {r.ticket_id for r in rows}:
            mine = [r.reference for r in rows if r.ticket_id == ticket and r.reference in references]
            assert mine == [ref for ref in references if ref in mine]


def test_an_answer_of_the_wrong_shape_holds_the_write_with_a_clear_error(db, linked, cw_sim, monkeypatch):
    """Schedule entries that come back as strings, not records, leave the write pending with a plain error."""
    from cbcw.connectwise.api.client import ConnectWiseClient

    monkeypatch.setattr(ConnectWiseClient, "list_ticket_schedule_entries", lambda self, ticket_id: ["odd", 42])
    change = linked()
    deliver_all()
    resource = next(r for r in outbox(db, change) if r.kind == "resource")
    assert resource.state == "pending" and "could not understand" in resource.last_error


def test_a_write_the_role_refuses_names_the_missing_capability(db, linked, cw_sim):
    """The API member's role may not add schedule entries: those writes wait with the capability
    named (activity and timeline show it); the rest of the ticket's writes are not lost."""
    cw_sim.deny("POST /schedule/entries")
    change = linked()
    deliver_all()
    resource = next(r for r in outbox(db, change) if r.kind == "resource")
    assert resource.state == "pending"
    assert "may not add schedule entries for all members" in resource.last_error
    assert "Service Desk → Resource Scheduling: Add = All" in resource.last_error
