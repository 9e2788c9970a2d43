"""Drift check against the simulator over a socket (PRODUCT §3.9): a delivered change matches;
a status changed, an entry deleted and a window moved in ConnectWise are found; Re-apply sends
exactly the missing writes, and the next check finds nothing."""
from datetime import timedelta

from cbcw.connectwise.drift.check import check_organisation, findings_of
from cbcw.connectwise.drift.models import DriftRun
from cbcw.connectwise.drift.reapply import reapply
from tests.automation.conftest import MEMBER_IDS, TICKET, WINDOW_END, WINDOW_START, deliver_all, writes


def _entries(cw_sim, ticket=TICKET) -> list[dict]:
    return cw_sim.raw("GET", "/schedule/entries", params={
        "conditions": f'type/identifier="S" and objectId={ticket}', "pageSize": 1000}).json()


def _status_id(cw_sim, name, board=1) -> int:
    return next(s["id"] for s in cw_sim.raw("GET", f"/service/boards/{board}/statuses").json() if s["name"] == name)


def _scheduled_and_delivered(linked, drive):
    change = linked()
    drive.approve(change)
    drive.schedule(change)
    report = deliver_all()
    assert report.failed == 0 and report.held == 0, report.errors
    return change


def test_a_delivered_change_has_no_drift_and_the_check_batches_its_reads(db, org, linked, drive, cw_sim, cw_org):
    """Right after delivery the ticket matches: no findings, and the check costs two listings
    (tickets, schedule entries) whatever the number of changes."""
    changes = [_scheduled_and_delivered(linked, drive) for _ in range(2)]
    mark = len(cw_sim.journal())
    run = check_organisation(org.id)
    assert run.error is None and run.changes_checked == 2 and findings_of(org.id) == []
    reads = cw_sim.journal()[mark:]
    assert [(e["method"], e["path"].rsplit("/3.0", 1)[-1]) for e in reads] == [
        ("GET", "/service/tickets"), ("GET", "/schedule/entries")]
    assert len(changes) == 2


def test_drift_found_then_reapplied_sends_only_the_missing_writes(
        app, db, org, admin, login, post, client, linked, drive, cast, cw_sim, cw_org):
    """Status changed, an approver's entry deleted and the implementer's window moved in
    ConnectWise: the check names each; Re-apply sends one status PATCH, one new entry with its
    note and one window PATCH, nothing else; the next check finds the ticket back in line."""
    change = _scheduled_and_delivered(linked, drive)
    entries = _entries(cw_sim)
    operational = next(e for e in entries if e["member"]["id"] == MEMBER_IDS["oops"])
    implementer = next(e for e in entries if e["member"]["id"] == MEMBER_IDS["eengineer"] and e.get("dateStart"))
    cw_sim.raw("PATCH", f"/service/tickets/{TICKET}", json=[
        {"op": "replace", "path": "status", "value": {"id": _status_id(cw_sim, "New")}}]).raise_for_status()
    cw_sim.raw("DELETE", f"/schedule/entries/{operational['id']}").raise_for_status()
    moved = WINDOW_START + timedelta(days=1)
    cw_sim.raw("PATCH", f"/schedule/entries/{implementer['id']}", json=[
        {"op": "replace", "path": "dateStart", "value": moved.strftime("%Y-%m-%dT%H:%M:%SZ")},
        {"op": "replace", "path": "dateEnd", "value": (moved + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")},
    ]).raise_for_status()

    run = check_organisation(org.id)
    [finding] = findings_of(org.id)
    assert run.error is None and finding.change_id == change.id and not finding.pending
    assert {p["kind"]: p.get("name") for p in finding.problems} == {
        "status": None, "missing": cast.operational.display_name, "window": cast.creator.display_name}

    login(admin)
    page = client.get("/settings/integrations/drift").get_data(as_text=True)
    assert "Status is “New”, expected “In Progress”." in page
    # a window across midnight names both days
    assert f"{cast.operational.display_name} is not a resource (expected with the implementation window " \
           "01 May 2030 22:00–02 May 2030 00:00)." in page
    assert f"Window of {cast.creator.display_name} is 02 May 2030 22:00–03 May 2030 00:00, expected " \
           "01 May 2030 22:00–02 May 2030 00:00." in page
    assert f"/changes/{change.id}/drift" in client.get(f"/changes/{change.id}").get_data(as_text=True)

    mark = len(writes(cw_sim))
    response = post(f"/settings/integrations/drift/{change.id}/reapply")
    assert response.status_code == 302
    assert len(writes(cw_sim)) == mark  # queued, not sent while the admin waited
    deliver_all()
    sent = [(w["method"], w["path"].rsplit("/3.0", 1)[-1]) for w in writes(cw_sim)[mark:]]
    assert sorted(sent) == sorted([
        ("PATCH", f"/service/tickets/{TICKET}"),
        ("POST", "/schedule/entries"), ("POST", f"/service/tickets/{TICKET}/notes"),
        ("PATCH", f"/schedule/entries/{implementer['id']}")])
    new_entry = next(w["json"] for w in writes(cw_sim)[mark:] if w["method"] == "POST" and "entries" in w["path"])
    assert new_entry["member"] == {"id": MEMBER_IDS["oops"]}
    assert new_entry["dateStart"] == WINDOW_START.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert new_entry["dateEnd"] == WINDOW_END.strftime("%Y-%m-%dT%H:%M:%SZ")
    activity = client.get("/settings/integrations/activity").get_data(as_text=True)
    assert "Drift reapply" in activity

    run = check_organisation(org.id)
    assert run.error is None and findings_of(org.id) == []
    notes = [w["json"]["text"] for w in writes(cw_sim) if w["method"] == "POST" and w["path"].endswith("/notes")]
    assert len(notes) == len(set(notes))  # no note posted twice


def test_reapplying_a_missing_resource_before_scheduling_plans_an_undated_entry_only(
        db, org, linked, drive, cw_sim, cw_org):
    """Approved, not yet scheduled, an approver's entry deleted in ConnectWise (the status is right):
    Re-apply plans that one resource, without dates even though the change already names a window,
    and no status change and no "not in ConnectWise" note."""
    change = linked(window_start=WINDOW_START, window_end=WINDOW_END)
    drive.approve(change)
    deliver_all()
    operational = next(e for e in _entries(cw_sim) if e["member"]["id"] == MEMBER_IDS["oops"])
    cw_sim.raw("DELETE", f"/schedule/entries/{operational['id']}").raise_for_status()
    check_organisation(org.id)
    [finding] = findings_of(org.id)
    assert [p["kind"] for p in finding.problems] == ["missing"]
    planned = reapply(finding)
    assert [(w.kind, w.payload["user_name"], w.payload["window"]) for w in planned] == [
        ("resource", "Olivia Ortiz", None)]


def test_a_deleted_ticket_is_a_finding_without_reapply(db, org, admin, login, client, linked, drive, cw_sim, cw_org):
    """A ticket deleted in ConnectWise is listed as gone, with no Re-apply button."""
    change = _scheduled_and_delivered(linked, drive)
    cw_sim.raw("DELETE", f"/service/tickets/{TICKET}").raise_for_status()
    check_organisation(org.id)
    [finding] = findings_of(org.id)
    assert finding.problems == [{"kind": "ticket_gone"}]
    login(admin)
    page = client.get("/settings/integrations/drift").get_data(as_text=True)
    assert f"Ticket #{TICKET} no longer exists in ConnectWise" in page
    assert f"/settings/integrations/drift/{change.id}/reapply" not in page


def test_writes_still_pending_are_not_called_drift(db, org, linked, cw_sim, cw_org):
    """A change whose writes have not been delivered yet is "writes pending", not drift, and
    costs ConnectWise no request."""
    change = linked()
    mark = len(cw_sim.journal())
    run = check_organisation(org.id)
    [finding] = findings_of(org.id)
    assert run.error is None and finding.change_id == change.id and finding.pending and finding.problems == []
    assert cw_sim.journal()[mark:] == []


def test_connectwise_down_is_recorded_and_earlier_findings_stay(
        db, org, admin, login, client, post, linked, drive, cw_sim, cw_org, unused_port):
    """With ConnectWise unreachable, Check now answers (no 500), the run records the error, the
    page says so and still shows what the previous check found."""
    _scheduled_and_delivered(linked, drive)
    cw_sim.raw("PATCH", f"/service/tickets/{TICKET}", json=[
        {"op": "replace", "path": "status", "value": {"id": _status_id(cw_sim, "New")}}]).raise_for_status()
    check_organisation(org.id)
    cw_org.base_url = f"http://127.0.0.1:{unused_port}/v4_6_release/apis/3.0"
    db.session.commit()
    login(admin)
    response = post("/settings/integrations/drift/check", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    run = db.session.scalar(db.select(DriftRun).filter_by(organisation_id=org.id))
    assert run.error and "unreachable" in run.error.lower()
    assert "failed:" in page and "Status is “New”" in page


def test_hundreds_of_tickets_are_read_in_a_few_listings_within_the_url_limit(cw_sim, cw_client):
    """600 ticket ids go out in a handful of listings each under the simulator's 2,000-character
    limit (a longer URL is a 404 there, as on ConnectWise's IIS); existing tickets come back."""
    ids = [TICKET, *range(1_000_000, 1_000_600)]
    mark = len(cw_sim.journal())
    assert [t["id"] for t in cw_client.list_tickets(ids)] == [TICKET]
    assert len(cw_client.list_schedule_entries_of_tickets(ids)) >= 0
    listings = cw_sim.journal()[mark:]
    tickets = [e for e in listings if e["path"].endswith("/service/tickets")]
    entries = [e for e in listings if e["path"].endswith("/schedule/entries")]
    assert 2 <= len(tickets) <= 6 and 2 <= len(entries) <= 8, (len(tickets), len(entries))
