"""The soak's outbox-against-journal comparison finds lost, duplicated and unexplained writes."""
from benchmarks.load.compare import compare

API = "/v4_6_release/apis/3.0"


def row(id, kind, reference, state="sent", ticket=5001, last_error=None):
    return {"id": id, "kind": kind, "reference": reference, "state": state, "ticket_id": ticket,
            "last_error": last_error}


def note(reference, status=201, ticket=5001):
    return {"method": "POST", "path": f"{API}/service/tickets/{ticket}/notes", "status": status,
            "json": {"text": f"CHG-000001 \"T\": approved\n[{reference}]", "internalAnalysisFlag": True}}


def status_patch(ticket=5001, status=200):
    return {"method": "PATCH", "path": f"{API}/service/tickets/{ticket}", "status": status,
            "json": [{"op": "replace", "path": "status", "value": {"id": 203}}]}


def entry(reference, method="POST", status=201):
    path = f"{API}/schedule/entries" + ("" if method == "POST" else "/7")
    body = {"name": f"CHG-000001 implementation window [{reference}]"} if method == "POST" else \
        [{"op": "replace", "path": "name", "value": f"CHG-000001 implementation window [{reference}]"}]
    return {"method": method, "path": path, "status": status, "json": body}


def test_each_sent_write_made_once_after_refused_attempts_compares_clean():
    """503s before an accepted write, a resource's entry and note, a status PATCH: nothing lost or doubled."""
    rows = [row(1, "note", "cb-0000000a"), row(2, "resource", "cb-0000000b"), row(3, "status", "cb-0000000c")]
    journal = [note("cb-0000000a", status=503), note("cb-0000000a"), entry("cb-0000000b"), note("cb-0000000b"),
               status_patch(status=429), status_patch(),
               {"method": "GET", "path": f"{API}/service/tickets/5001/notes", "status": 200, "json": None}]
    result = compare(rows, journal)
    assert result.ok and (result.accepted_writes, result.refused_writes) == (4, 2)


def test_missing_doubled_and_unknown_writes_are_reported():
    """A sent note never accepted is lost, one accepted twice is duplicated, an unknown reference unexplained."""
    rows = [row(1, "note", "cb-0000000a"), row(2, "note", "cb-0000000b"), row(3, "status", "cb-0000000c")]
    journal = [note("cb-0000000b"), note("cb-0000000b"), note("cb-000000ff")]
    result = compare(rows, journal)
    assert not result.ok
    assert [item.split(" ")[0] for item in result.lost] == ["#1", "ticket_patch"]
    assert result.duplicated and result.duplicated[0].startswith("#2")
    assert result.unexplained == ["cb-000000ff"]


def test_repeated_status_patch_is_an_idempotent_repeat_and_pending_rows_are_unfinished():
    """A status PATCH accepted twice for one row changes nothing (counted apart); a pending row fails the run."""
    rows = [row(1, "status", "cb-0000000a"), row(2, "note", "cb-0000000b", state="pending")]
    result = compare(rows, [status_patch(), status_patch()])
    assert result.idempotent_repeats == 1 and not result.lost and not result.duplicated
    assert len(result.not_finished) == 1 and not result.ok


def test_an_expected_permanent_refusal_is_not_unfinished():
    """A failed row the data is meant to refuse is counted apart; any other failed row is unfinished."""
    rows = [row(1, "status", "cb-0000000a", state="failed", last_error="missing status"),
            row(2, "status", "cb-0000000b", state="failed", last_error="something else", ticket=5002)]
    result = compare(rows, [], expected_refusal=lambda r: r["last_error"] == "missing status")
    assert result.expected_refusals == 1 and len(result.not_finished) == 1


def test_closed_and_removed_schedule_entries_are_checked_by_the_requests_their_row_recorded():
    """An unschedule row carries no reference: each entry PATCH or DELETE it recorded must be accepted."""
    closed = {**row(1, "unschedule", "cb-0000000d"),
              "requests": [{"method": "PATCH", "path": "/schedule/entries/7", "body": []},
                           {"method": "DELETE", "path": "/schedule/entries/8", "body": None}]}
    accepted = [{"method": "PATCH", "path": f"{API}/schedule/entries/7", "status": 200, "json": []},
                {"method": "DELETE", "path": f"{API}/schedule/entries/8", "status": 204, "json": None}]
    assert compare([closed], accepted).ok
    refused = [accepted[0], {**accepted[1], "status": 503}]
    result = compare([closed], refused)
    assert result.lost == ["#1 unschedule [cb-0000000d] ticket 5001: DELETE /schedule/entries/8 never accepted"]
