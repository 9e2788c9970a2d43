"""How a 404 on a write is read (PRODUCT §3.8, issue 18 item 1): cloud ConnectWise answers bad or
expired keys with 404, so a 404 proves the ticket gone only when ConnectWise says `NotFound` and
the keys still work; otherwise the writes wait and go out by themselves. (A ticket really gone:
tests/automation/test_delivery.py.)"""
from cbcw.changes import operations
from cbcw.changes.unit_of_work import apply
from cbcw.connectwise.automation.delivery import CheckTheConnection
from tests.automation.conftest import deliver_all, outbox, writes
from tests.automation.test_delivery import _make_due

WRITES = ["POST", "PATCH", "DELETE"]


def _approved(linked, cast):
    change = linked()
    apply(operations.submit, change, cast.creator)
    apply(operations.approve, change, cast.technical, kind="technical")
    apply(operations.approve, change, cast.operational, kind="operational")
    return change


def test_a_404_to_every_write_fails_nothing_and_the_writes_go_out_once_connectwise_answers(
        db, linked, cast, cw_sim):
    """With ConnectWise answering 404 to every write, no write fails for good: each is held as
    "check the connection"; once ConnectWise answers normally, they all go out, in order, once."""
    change = _approved(linked, cast)
    cw_sim.faults(error_rate=1.0, error_status=404, methods=WRITES)
    for _ in range(3):  # tried again and again: never a permanent failure
        report = deliver_all()
        assert report.failed == 0 and report.sent == 0 and report.held > 0
        _make_due(db)
    rows = outbox(db, change)
    assert {r.state for r in rows} == {"pending"}
    assert rows[0].last_error == CheckTheConnection.default_message
    cw_sim.faults()
    report = deliver_all()
    assert report.failed == 0 and {r.state for r in outbox(db, change)} <= {"sent", "skipped"}
    notes = [w["json"]["text"] for w in writes(cw_sim) if w["method"] == "POST" and w["path"].endswith("/notes")]
    assert len(notes) == len(set(notes)) and len(notes) >= 3


def test_expired_keys_answered_with_404_hold_the_writes_until_the_keys_work_again(db, linked, cast, cw_org, cw_sim):
    """As cloud ConnectWise does for wrong keys: 404 with a NotFound body, also from /system/info.
    The writes wait; with the keys put right they are delivered without anyone pressing Retry."""
    change = linked()
    cw_sim.faults(bad_credentials_status=404)
    cw_org.private_key = "rotated-away"
    db.session.commit()
    report = deliver_all()
    assert report.failed == 0 and report.held == 1  # the ticket's first write holds the rest back
    assert any(w["path"].endswith("/system/info") and w["status"] == 404 for w in cw_sim.journal())
    assert {r.state for r in outbox(db, change)} == {"pending"}
    cw_org.private_key = "demoprivatekey"
    db.session.commit()
    _make_due(db)
    assert deliver_all().failed == 0
    assert {r.state for r in outbox(db, change)} <= {"sent", "skipped"}

