"""The ConnectWise writes of each change type's path, as the simulator over a socket records them
(PRODUCT §2.7, §3.7): a standard change's submit is Fully Approved with a note naming its
template and version; an emergency approval's note says it was an ECAB member's emergency
approval; the post-implementation review is an internal note. The forms preview them."""
import pytest

from cbcw.changes import operations
from cbcw.changes.unit_of_work import apply
from tests.automation.conftest import TICKET, WINDOW_END, WINDOW_START, deliver_all, writes
from tests.helpers.change_types import approved_template, standard_fields

API = "/v4_6_release/apis/3.0"
NOTES = f"{API}/service/tickets/{TICKET}/notes"
FULLY_APPROVED_STATUS = [{"op": "replace", "path": "status", "value": {"id": 103}}]  # "Scheduled" on board 1
INTERNAL = {"internalAnalysisFlag": True, "detailDescriptionFlag": False, "resolutionFlag": False,
            "processNotifications": False}


def _notes(sent):
    notes = [w for w in sent if w["method"] == "POST" and w["path"] == NOTES]
    assert all({k: w["json"][k] for k in INTERNAL} == INTERNAL for w in notes)
    return [w["json"]["text"] for w in notes]


@pytest.fixture
def ecab(db, cast):
    """The first vCAB member (a ConnectWise member) is also an emergency approver."""
    cast.vcab[0].ecab_member = True
    db.session.commit()
    return cast.vcab[0]


@pytest.fixture
def from_scratch(cw_sim):
    """Deliver what linking wrote and start the journal clean."""
    def clean():
        deliver_all()
        cw_sim.reset()
    return clean


def _status_id(sent) -> list:
    return [w["json"] for w in sent if w["method"] == "PATCH" and w["path"] == f"{API}/service/tickets/{TICKET}"]


def test_standard_submit_is_fully_approved_with_the_template_and_version(db, org, company, linked, cast, cw_sim,
                                                                         make_user, from_scratch):
    author, approver = make_user("msp", display_name="Mia Msp"), make_user("admin", display_name="Ada Admin")
    _, version = approved_template(org.id, author, approver)
    change = linked(**standard_fields(version, company_id=company.id, title="Restore test"))
    from_scratch()
    apply(operations.submit, change, cast.creator)
    deliver_all()
    sent = writes(cw_sim)
    assert _status_id(sent) == [FULLY_APPROVED_STATUS]
    [note] = _notes(sent)
    assert note.startswith(f'{change.reference} "Restore test": approved as a standard change (no approval round)')
    assert "Template: Backup restore test, version 1" in note and "By Erin Engineer" in note


def test_normal_approval_notes_are_unchanged(db, linked, cast, cw_sim, drive, from_scratch):
    change = linked()
    from_scratch()
    drive.approve(change)
    deliver_all()
    notes = _notes(writes(cw_sim))
    assert ["approved (technical)" in notes[0], "approved (operational)" in notes[1], len(notes)] == [True, True, 2]


def test_emergency_approval_says_it_was_an_ecab_members(db, linked, cast, cw_sim, ecab, from_scratch):
    change = linked(change_type="emergency")
    from_scratch()
    apply(operations.submit, change, cast.creator)
    apply(operations.approve, change, ecab, kind="ecab", comment="Outage ongoing")
    deliver_all()
    sent = writes(cw_sim)
    assert _status_id(sent) == [FULLY_APPROVED_STATUS]
    [note] = _notes(sent)
    assert f'{change.reference} "Patch the file server": emergency approval by an ECAB member' in note
    assert "Approver: Vcab 1 (ECAB member)" in note and "Comment: Outage ongoing" in note


def test_the_review_is_posted_as_an_internal_note(db, linked, cast, cw_sim, ecab, from_scratch):
    change = linked(change_type="emergency")
    apply(operations.submit, change, cast.creator)
    apply(operations.approve, change, ecab, kind="ecab")
    apply(operations.schedule, change, cast.creator, window_start=WINDOW_START, window_end=WINDOW_END,
          implementer_id=cast.creator.id)
    apply(operations.start_implementation, change, cast.creator)
    apply(operations.complete, change, cast.creator, completion_notes="Done", test_results="OK")
    from_scratch()
    apply(operations.record_review, change, cast.creator, what_was_done="Restarted the controller",
          why_urgent="File server down", outcome="Back in 10 minutes", follow_ups="Replace the battery")
    deliver_all()
    sent = writes(cw_sim)
    [note] = _notes(sent)
    assert len(sent) == 1 and "Post-implementation review" in note
    for line in ("What was done: Restarted the controller", "Why it could not wait: File server down",
                 "Outcome: Back in 10 minutes", "Follow-up actions: Replace the battery"):
        assert line in note


def test_the_forms_preview_the_type_writes(db, org, company, linked, client, login, post, cast, cw_sim, ecab,
                                           make_user, from_scratch):
    author, approver = make_user("msp"), make_user("admin")
    _, version = approved_template(org.id, author, approver)
    standard = linked(**standard_fields(version, company_id=company.id))
    emergency = linked(ticket=5010, change_type="emergency")
    from_scratch()
    apply(operations.submit, emergency, cast.creator)
    login(cast.creator)
    page = client.get(f"/changes/{standard.id}").get_data(as_text=True)
    assert "ConnectWise ticket #5001 will receive: status → Scheduled, 1 internal note." in page
    post("/logout")
    login(ecab)
    page = client.get(f"/changes/{emergency.id}?action=decide").get_data(as_text=True)
    assert "Approve as ECAB member" in page
    assert "If you approve: ConnectWise ticket #5010 will receive: status → Scheduled, 1 internal note." in page
    assert writes(cw_sim) == []  # a preview writes nothing
