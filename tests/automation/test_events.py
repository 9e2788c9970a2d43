"""Each change event's exact ConnectWise writes, as the simulator's journal records them (PRODUCT §3.7)."""
import pytest

from cbcw.changes import operations
from cbcw.changes.fields import ChangeFields, LinkedTicket
from cbcw.changes.unit_of_work import apply
from cbcw.connectwise.automation import activity
from cbcw.connectwise.automation.models import OutboxWrite
from cbcw.connectwise.linked import TICKET_SYSTEM
from tests.automation.conftest import (HELP_DESK_TICKET, MEMBER_IDS, TICKET, WINDOW_END, WINDOW_START,
                                       deliver_all, outbox, writes)

API = "/v4_6_release/apis/3.0"
OTHER_TICKET = 5010  # same company and board as TICKET, open
NOTES = f"{API}/service/tickets/{TICKET}/notes"
INTERNAL = {"internalAnalysisFlag": True, "detailDescriptionFlag": False, "resolutionFlag": False,
            "processNotifications": False}


def _is_internal_note(write, ticket=TICKET):
    return (write["method"] == "POST" and write["path"] == f"{API}/service/tickets/{ticket}/notes"
            and {k: write["json"][k] for k in INTERNAL} == INTERNAL)


def _status_patch(write, status_id, ticket=TICKET):
    return (write["method"], write["path"], write["json"]) == (
        "PATCH", f"{API}/service/tickets/{ticket}", [{"op": "replace", "path": "status", "value": {"id": status_id}}])


def _linked_and_delivered(linked, cw_sim, **fields):
    change = linked(**fields)
    deliver_all()
    cw_sim.reset()  # start each later event's journal clean, with the ticket as seeded
    return change


def test_linking_sets_status_posts_note_and_adds_each_member_as_a_resource(db, linked, cw_sim, cast):
    """Ticket linked: status → Change Linked (id on the ticket's board), an internal silent note with
    number, title, who, fields and link, and per member an undated type-S entry plus a note."""
    change = linked()
    deliver_all()
    sent = writes(cw_sim)
    assert _status_patch(sent[0], 102)
    note = sent[1]
    assert _is_internal_note(note)
    text = note["json"]["text"]
    assert text.startswith(f'{change.reference} "Patch the file server": linked to this ticket')
    for expected in ("By Erin Engineer", "Company: Acme Manufacturing", "Risk: medium",
                     "Description: Monthly patching", f"http://127.0.0.1:5000/changes/{change.id}"):
        assert expected in text
    entries = [w for w in sent if w["path"] == f"{API}/schedule/entries"]
    assert [e["json"]["member"] for e in entries] == [
        {"id": MEMBER_IDS["eengineer"]}, {"id": MEMBER_IDS["ttech"]}, {"id": MEMBER_IDS["oops"]}]
    for entry in entries:
        assert entry["json"]["type"] == {"identifier": "S"} and entry["json"]["objectId"] == TICKET
        assert "dateStart" not in entry["json"] and entry["status"] == 201
    resource_notes = [w for w in sent[2:] if w["path"] == NOTES]
    assert len(resource_notes) == 3 and all(_is_internal_note(n) for n in resource_notes)
    assert "Theo Tanaka (ConnectWise member ttech) added as a ticket resource (technical approver)" \
        in resource_notes[1]["json"]["text"]
    assert len(sent) == 2 + 3 + 3  # no "not in ConnectWise" note: everyone is a member
    assert {r.state for r in outbox(db, change)} == {"sent", "skipped"}


def test_vcab_members_are_resources_of_a_vcab_change(db, linked, cw_sim):
    """With vCAB required, the active vCAB members are added too."""
    linked(requires_vcab=True)
    deliver_all()
    members = [w["json"]["member"]["id"] for w in writes(cw_sim) if w["path"] == f"{API}/schedule/entries"]
    assert members == [MEMBER_IDS[m] for m in ("eengineer", "ttech", "oops", "vcab1", "vcab2", "vcab3")]


def test_a_user_without_a_member_is_listed_in_one_not_in_connectwise_note(db, linked, cw_sim, cast):
    """A user who is no ConnectWise member gets no schedule entry and is named in one note."""
    linked(operational_approver_id=cast.outsider.id)
    deliver_all()
    sent = writes(cw_sim)
    assert [w["json"]["member"]["id"] for w in sent if w["path"] == f"{API}/schedule/entries"] == [
        MEMBER_IDS["eengineer"], MEMBER_IDS["ttech"]]
    unmatched = [w for w in sent if w["path"] == NOTES and "not in ConnectWise" in w["json"]["text"]]
    assert len(unmatched) == 1 and _is_internal_note(unmatched[0])
    assert "- Nora Nobody (operational approver)" in unmatched[0]["json"]["text"]


def test_a_member_already_on_the_ticket_is_not_added_twice(db, linked, cw_sim, cw_client):
    """A member who already has a schedule entry on the ticket gets no second one and no note."""
    cw_client.create_schedule_entry(TICKET, MEMBER_IDS["ttech"])
    linked()
    deliver_all()
    members = [w["json"]["member"]["id"] for w in writes(cw_sim) if w["path"] == f"{API}/schedule/entries"]
    assert members.count(MEMBER_IDS["ttech"]) == 1  # the one this test made itself
    assert not any("Theo Tanaka" in (w["json"] or {}).get("text", "") for w in writes(cw_sim) if w["path"] == NOTES)


def test_approvals_post_notes_and_full_approval_sets_its_status(db, linked, drive, cw_sim):
    """Each approval is an internal note with name, role and comment; the last sets Fully Approved."""
    change = _linked_and_delivered(linked, cw_sim)
    drive.approve(change)
    deliver_all()
    sent = writes(cw_sim)
    assert len(sent) == 3
    assert _is_internal_note(sent[0]) and "approved (technical)" in sent[0]["json"]["text"]
    assert "Approver: Theo Tanaka (technical approver)" in sent[0]["json"]["text"]
    assert "Comment: Looks sound" in sent[0]["json"]["text"]
    assert _is_internal_note(sent[1]) and "Approver: Olivia Ortiz (operational approver)" in sent[1]["json"]["text"]
    assert _status_patch(sent[2], 103)  # "Scheduled" on board 1


def _headline(change, text):
    """The note's first line without the change's reference and title."""
    first = text.splitlines()[0]
    prefix = f'{change.reference} "{change.title}": '
    assert first.startswith(prefix)
    return first[len(prefix):]


@pytest.mark.parametrize("kind, approver, label, role", [
    ("technical", "technical", "technical", "technical approver"),
    ("vcab", "vcab", "vCAB", "vCAB member"),
])
def test_rejection_posts_the_approver_and_reason(db, linked, cw_sim, cast, kind, approver, label, role):
    """A rejection is an internal note naming the approver, their role and the reason; no status change."""
    change = _linked_and_delivered(linked, cw_sim, requires_vcab=True)
    person = cast.technical if approver == "technical" else cast.vcab[0]
    apply(operations.submit, change, cast.creator)
    apply(operations.reject, change, person, kind=kind, comment="No rollback tested")
    deliver_all()
    (note,) = writes(cw_sim)
    assert _is_internal_note(note)
    text = note["json"]["text"]
    assert _headline(change, text) == f"rejected ({label}); back to draft"
    assert text.splitlines()[2:4] == [f"Approver: {person.display_name} ({role})", "Reason: No rollback tested"]


def test_scheduling_sets_status_window_entries_and_the_plan_block(db, linked, drive, cw_sim):
    """Scheduled: status → Change Scheduled, each member's entry gets the window, the description
    gains the delimited plan block and keeps its original text."""
    change = _linked_and_delivered(linked, cw_sim)
    drive.approve(change)
    deliver_all()
    cw_sim.reset()
    drive.schedule(change)
    deliver_all()
    sent = writes(cw_sim)
    assert _status_patch(sent[0], 104)  # "In Progress" on board 1
    entries = [w for w in sent if "/schedule/entries" in w["path"]]
    assert [w["method"] for w in entries] == ["POST", "POST", "POST"]  # the simulator was reset: no resources yet
    assert {w["json"]["dateStart"] for w in entries} == {"2030-05-01T22:00:00Z"}
    assert {w["json"]["dateEnd"] for w in entries} == {"2030-05-02T00:00:00Z"}
    assert all(f"{change.reference} implementation window" in w["json"]["name"] for w in entries)
    description = cw_sim.raw("GET", f"/service/tickets/{TICKET}/notes",
                             params={"conditions": "detailDescriptionFlag=true"}).json()[0]["text"]
    assert description.startswith("Reported by the customer:")
    assert f"[ChangeBreeze plan {change.reference}]" in description and "2. Patch" in description
    assert description.rstrip().endswith("[/ChangeBreeze plan]")


def test_rescheduling_updates_the_window_entries_and_replaces_the_plan_block(db, linked, drive, cw_sim):
    """Rescheduled: the same entries are PATCHed (none added) and the plan block is replaced, not appended."""
    change = linked()
    drive.approve(change)
    drive.schedule(change)
    deliver_all()
    before = {e["id"] for e in cw_sim.raw("GET", "/schedule/entries", params={"pageSize": 1000}).json()}
    later = WINDOW_START.replace(day=8)
    drive.schedule(change, later, later + (WINDOW_END - WINDOW_START))
    journal_start = len(cw_sim.journal())
    deliver_all()
    sent = [w for w in cw_sim.journal()[journal_start:] if w["method"] != "GET"]
    entry_writes = [w for w in sent if "/schedule/entries" in w["path"]]
    assert entry_writes and all(w["method"] == "PATCH" for w in entry_writes)
    after = cw_sim.raw("GET", "/schedule/entries", params={"pageSize": 1000}).json()
    assert {e["id"] for e in after} == before
    assert {e["dateStart"] for e in after} == {"2030-05-08T22:00:00Z"}
    description = cw_sim.raw("GET", f"/service/tickets/{TICKET}/notes",
                             params={"conditions": "detailDescriptionFlag=true"}).json()[0]["text"]
    assert description.count("[ChangeBreeze plan") == 1 and "2030-05-08 22:00 UTC" in description


def test_implementation_completion_failure_and_cancellation_notes(db, linked, drive, cw_sim, cast):
    """Started, completed, failed and cancelled each post their note; completed and cancelled set status."""
    change = linked()
    drive.approve(change)
    drive.schedule(change)
    deliver_all()
    cw_sim.reset()
    apply(operations.start_implementation, change, cast.creator)
    apply(operations.fail, change, cast.creator, failure_reason="Disk full", rollback_notes="Snapshot restored")
    drive.schedule(change)
    apply(operations.start_implementation, change, cast.creator)
    apply(operations.complete, change, cast.creator, completion_notes="All patched", test_results="Login OK")
    deliver_all()
    notes = [w for w in writes(cw_sim) if w["path"] == NOTES]
    assert [_headline(change, n["json"]["text"]) for n in (notes[0], notes[1], notes[-1])] == [
        "Implementation Started", "Failed - Rollback Required", "Completed"]
    started = notes[0]["json"]["text"]
    assert "Implementation Started" in started and "Implementer: Erin Engineer" in started and "Started: " in started
    failed = notes[1]["json"]["text"]
    assert "Failed - Rollback Required" in failed and "Failure reason: Disk full" in failed
    assert "Rollback notes: Snapshot restored" in failed
    completed = notes[-1]["json"]["text"]
    assert "Completion notes: All patched" in completed and "Test results: Login OK" in completed
    sent = writes(cw_sim)
    completion = next(i for i, w in enumerate(sent) if w["path"] == NOTES and w["json"]["text"] == completed)
    assert _status_patch(sent[completion - 1], 105)  # "Resolved", just before the completion note

    other = linked()
    deliver_all()
    cw_sim.reset()
    apply(operations.cancel, other, cast.creator, reason="Client postponed")
    deliver_all()
    status, note = writes(cw_sim)
    assert _status_patch(status, 106) and "Reason: Client postponed" in note["json"]["text"]
    assert _headline(other, note["json"]["text"]) == "Cancelled"


def test_cancelling_a_scheduled_change_removes_its_window_from_the_schedule(db, linked, drive, cw_sim, cast,
                                                                           cw_client):
    """Cancelled after scheduling: status and note, then each implementation-window entry is deleted, so
    the engineers' ConnectWise calendars no longer show the work; the undated resources of other
    changes stay. Sent again, the write finds nothing left and deletes nothing twice."""
    change = linked()
    drive.approve(change)
    drive.schedule(change)
    deliver_all()
    windows = [e["id"] for e in cw_client.list_ticket_schedule_entries(TICKET) if e.get("dateStart")]
    assert len(windows) == 3  # implementer (also the creator), technical and operational approvers
    cw_sim.clear_journal()
    apply(operations.cancel, change, cast.creator, reason="Client postponed")
    deliver_all()
    sent = writes(cw_sim)
    assert _status_patch(sent[0], 106) and "Reason: Client postponed" in sent[1]["json"]["text"]
    assert sorted(int(w["path"].rsplit("/", 1)[1]) for w in sent[2:] if w["method"] == "DELETE") == sorted(windows)
    assert not [e for e in cw_client.list_ticket_schedule_entries(TICKET) if e.get("dateStart")]
    unschedule = next(r for r in outbox(db, change) if r.kind == "unschedule")
    assert unschedule.state == "sent"
    cw_sim.clear_journal()
    unschedule.state = "pending"
    db.session.commit()
    deliver_all()
    assert [w for w in writes(cw_sim) if w["method"] == "DELETE"] == []
    db.session.refresh(unschedule)
    assert unschedule.state == "skipped"


def test_status_id_comes_from_the_tickets_own_board(db, linked, cw_sim):
    """The same status name has another id on another board: ticket 5004 is on Change Management (board 2)."""
    linked(ticket=5004)
    deliver_all()
    assert _status_patch(writes(cw_sim)[0], 202, ticket=5004)


def test_no_status_change_without_auto_update_or_without_a_name(db, linked, drive, cw_sim, cw_org):
    """Auto-Update off: no status write at all; a blank name skips that event's status only."""
    cw_org.auto_update_status = False
    db.session.commit()
    linked()
    cw_org.auto_update_status = True
    cw_org.status_fully_approved = ""
    db.session.commit()
    change = linked()
    drive.approve(change)
    statuses = db.session.scalars(db.select(OutboxWrite).filter_by(kind="status")).all()
    assert [(r.change_id, r.payload["status"]) for r in statuses] == [(change.id, "Change Linked")]


def test_a_status_missing_on_the_board_fails_visibly_and_the_note_still_goes(
        db, linked, cw_sim, created_status_missing_on_help_desk):
    """Help Desk has no "Awaiting CAB": that write fails with the board named; the note is sent."""
    change = linked(ticket=HELP_DESK_TICKET)
    deliver_all()
    rows = {r.kind: r for r in outbox(db, change)}
    assert rows["status"].state == "failed"
    assert f"“{created_status_missing_on_help_desk}”" in rows["status"].last_error and "“Help Desk”" in rows["status"].last_error
    assert rows["note"].state == "sent"
    assert not any(w["method"] == "PATCH" for w in writes(cw_sim))
    assert any(w["path"] == f"{API}/service/tickets/{HELP_DESK_TICKET}/notes" for w in writes(cw_sim))


def test_linking_another_ticket_later_writes_to_the_new_ticket(db, linked, cw_sim, cast):
    """Re-linking a change to another ticket after creation gives the new ticket its status, note and
    resources; the old ticket gets one note saying where the change went."""
    change = _linked_and_delivered(linked, cw_sim)
    apply(operations.link_ticket, change, cast.creator, ticket=LinkedTicket(OTHER_TICKET, system=TICKET_SYSTEM))
    deliver_all()
    sent = writes(cw_sim)
    new_ticket = [w for w in sent if f"/tickets/{OTHER_TICKET}" in w["path"]]
    assert _status_patch(new_ticket[0], 102, ticket=OTHER_TICKET)
    assert _is_internal_note(new_ticket[1], ticket=OTHER_TICKET)
    assert "linked to this ticket" in new_ticket[1]["json"]["text"]
    assert [e["json"]["objectId"] for e in sent if e["path"] == f"{API}/schedule/entries"] == [OTHER_TICKET] * 3
    old_ticket = [w for w in sent if f"/tickets/{TICKET}" in w["path"]]
    assert len(old_ticket) == 1 and _is_internal_note(old_ticket[0])  # only the note saying where it went
    assert f"moved to ticket #{OTHER_TICKET}" in old_ticket[0]["json"]["text"]
    assert {r.state for r in outbox(db, change) if r.ticket_id == OTHER_TICKET} == {"sent", "skipped"}


def test_no_writes_without_a_linked_ticket_or_with_the_integration_off(db, linked, org, company, cast, cw_org):
    """A change without a ticket, or an organisation with ConnectWise off, stores nothing."""
    linked(ticket=None)
    cw_org.enabled = False
    db.session.commit()
    linked()
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxWrite)) == 0


def test_only_connectwise_tickets_get_connectwise_writes(db, org, company, cast, cw_org, cw_sim, drive):
    """A change linked to another PSA's ticket plans no ConnectWise write, even though ConnectWise has
    a ticket of that number; once moved to a ConnectWise ticket, that ticket gets the writes and the
    other PSA's number gets no "moved" note in ConnectWise."""
    change = operations.create_change(org.id, cast.creator, ChangeFields(
        title="Patch", company_id=company.id, technical_approver_id=cast.technical.id,
        operational_approver_id=cast.operational.id), ticket=LinkedTicket(TICKET, system="otherpsa"))
    db.session.commit()
    drive.approve(change)
    assert outbox(db, change) == []
    apply(operations.link_ticket, change, cast.creator, ticket=LinkedTicket(OTHER_TICKET, system=TICKET_SYSTEM))
    deliver_all()
    sent = writes(cw_sim)
    tickets = {int(w["path"].split("/service/tickets/")[1].split("/")[0]) for w in sent if "/service/tickets/" in w["path"]}
    entries = {w["json"]["objectId"] for w in sent if w["path"].endswith("/schedule/entries")}
    assert tickets == entries == {OTHER_TICKET}


def _description(cw_sim, ticket=TICKET):
    notes = cw_sim.raw("GET", f"/service/tickets/{ticket}/notes", params={"conditions": "detailDescriptionFlag=true"}).json()
    return notes[0]["text"] if notes else None


def test_plan_block_holds_the_window_and_plan_only(db, linked, drive, cw_sim):
    """The description is customer-facing (PRODUCT §3.7): no link into ChangeBreeze, no rollback or
    test plan; the plan's CRLF line breaks arrive as plain newlines."""
    change = linked(implementation_plan="1. Snapshot\r\n2. Patch  \r\n3. Reboot", rollback_plan="Restore the snapshot",
                    test_plan="Log in as a user")
    drive.approve(change)
    drive.schedule(change)
    deliver_all()
    block = _description(cw_sim).split(f"[ChangeBreeze plan {change.reference}]")[1]
    assert "1. Snapshot\n2. Patch\n3. Reboot\n[/ChangeBreeze plan]" in block
    assert "Window: 2030-05-01 22:00 UTC to 2030-05-02 00:00 UTC" in block
    assert "http" not in block and "/changes/" not in block
    assert "Restore the snapshot" not in block and "Log in as a user" not in block


def test_a_ticket_without_description_gets_no_customer_facing_note(db, linked, drive, cw_sim):
    """No description note on the ticket: none is created; the plan goes out as an internal note."""
    [seeded] = cw_sim.raw("GET", f"/service/tickets/{TICKET}/notes").json()
    cw_sim.raw("PATCH", f"/service/tickets/{TICKET}/notes/{seeded['id']}",
               json=[{"op": "replace", "path": "detailDescriptionFlag", "value": False},
                     {"op": "replace", "path": "internalAnalysisFlag", "value": True}])
    change = linked()
    drive.approve(change)
    drive.schedule(change)
    deliver_all()
    assert _description(cw_sim) is None
    plans = [w for w in writes(cw_sim) if w["path"] == NOTES and "[ChangeBreeze plan" in w["json"]["text"]]
    assert len(plans) == 1 and _is_internal_note(plans[0])


def _entries_of(cw_client, ticket=TICKET):
    return cw_client.list_ticket_schedule_entries(ticket)


def _in_progress(linked, drive, cast):
    change = linked()
    drive.approve(change)
    drive.schedule(change)
    apply(operations.start_implementation, change, cast.creator)
    return change


def test_completing_closes_every_schedule_entry_of_the_change(db, linked, drive, cw_sim, cast, cw_client):
    """Completed: each of the change's entries (resources and window) is done, so no dispatch calendar
    keeps stale work (PRODUCT §3.7); sent again, nothing is patched twice."""
    change = _in_progress(linked, drive, cast)
    apply(operations.complete, change, cast.creator, completion_notes="Done", test_results="OK")
    deliver_all()
    entries = _entries_of(cw_client)
    assert len(entries) == 3 and all(e["doneFlag"] for e in entries)  # creator (implementer) and two approvers
    [closing] = [r for r in outbox(db, change) if r.kind == "unschedule"]
    assert closing.state == "sent"
    activity.retry([closing])
    db.session.commit()
    cw_sim.clear_journal()
    deliver_all()
    assert not [w for w in writes(cw_sim) if "/schedule/entries" in w["path"]]


def test_failing_closes_the_window_and_rescheduling_opens_it_again(db, linked, drive, cw_sim, cast, cw_client):
    """Failed: the window's entries are done (undated resources would stay open for the rollback); a
    new window reopens the same entries."""
    change = _in_progress(linked, drive, cast)
    apply(operations.fail, change, cast.creator, failure_reason="Disk full", rollback_notes="Restored")
    deliver_all()
    entries = _entries_of(cw_client)
    assert [e["doneFlag"] for e in entries if e.get("dateStart")] == [True, True, True]
    later = WINDOW_START.replace(day=9)
    drive.schedule(change, later, later + (WINDOW_END - WINDOW_START))
    deliver_all()
    assert {e["doneFlag"] for e in _entries_of(cw_client) if e.get("dateStart")} == {False}


def test_moving_a_change_removes_its_resources_from_the_old_ticket(db, linked, cw_sim, cast, cw_client):
    """Linked to another ticket: the old ticket loses the change's entries and gets a note; the new
    ticket gets the change's resources."""
    change = linked()
    deliver_all()
    assert _entries_of(cw_client, TICKET)
    apply(operations.link_ticket, change, cast.creator, ticket=LinkedTicket(OTHER_TICKET, system=TICKET_SYSTEM))
    deliver_all()
    assert _entries_of(cw_client, TICKET) == []
    assert _entries_of(cw_client, OTHER_TICKET)
    old_notes = cw_sim.raw("GET", f"/service/tickets/{TICKET}/notes").json()
    assert any("resources were removed from this ticket" in n["text"] for n in old_notes)


def test_the_organisation_may_add_the_test_and_rollback_plans_to_the_block(db, linked, drive, cw_sim, cw_org):
    """With the setting on, the block also holds the test and rollback plans (still no link)."""
    cw_org.plan_includes_test_and_rollback = True
    db.session.commit()
    change = linked(rollback_plan="Restore the snapshot\r\nthen reboot", test_plan="Log in as a user")
    drive.approve(change)
    drive.schedule(change)
    deliver_all()
    block = _description(cw_sim).split(f"[ChangeBreeze plan {change.reference}]")[1]
    assert "Test plan:\nLog in as a user" in block and "Rollback plan:\nRestore the snapshot\nthen reboot" in block
    assert "/changes/" not in block
