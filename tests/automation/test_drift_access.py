"""Drift check page and actions: roles, tenancy, HTMX answers, a hostile or unreachable
ConnectWise, the nightly job and `flask drift-check`."""
import pytest

from cbcw.connectwise.automation.models import OutboxWrite
from cbcw.connectwise.drift.check import check_organisation, findings_of
from cbcw.connectwise.drift.models import DriftFinding, DriftRun
from cbcw.connectwise.integration import NIGHTLY_DRIFT_JOB_ID
from cbcw.scheduler.jobs import scheduled_jobs
from tests.automation.conftest import TICKET, deliver_all
from tests.fixtures.loopback_http import json_server
from tests.helpers.clock import FROZEN_NOW
from tests.helpers.statements import count_statements

DRIFT = "/settings/integrations/drift"


def _drifted(db, org, change, problems=None):
    finding = DriftFinding(organisation_id=org.id, change_id=change.id, ticket_id=TICKET,
                           problems=problems or [{"kind": "status", "actual": "New", "expected": "In Progress"}])
    db.session.add_all([finding, DriftRun(organisation_id=org.id, changes_checked=1, findings_at=FROZEN_NOW)])
    db.session.commit()
    return finding


@pytest.mark.parametrize("role", ["engineer", "viewer"])
def test_only_admin_and_msp_see_the_page_or_act(client, login, post, make_user, make_change, role):
    """Engineers and viewers get 403 on the page, Check now and Re-apply."""
    login(make_user(role))
    change = make_change()
    assert client.get(DRIFT).status_code == 403
    assert post(f"{DRIFT}/check").status_code == 403
    assert post(f"{DRIFT}/{change.id}/reapply").status_code == 403


def test_reapply_of_another_organisations_change_is_404(db, login, post, admin, make_org, make_user, make_change):
    """A change id of another organisation (even with a finding there) is a 404, as is an id beyond 64 bits."""
    other = make_org()
    change = make_change(organisation=other, created_by=make_user("admin", organisation=other))
    _drifted(db, other, change)
    login(admin)
    assert post(f"{DRIFT}/{change.id}/reapply").status_code == 404
    assert post(f"{DRIFT}/{2**70}/reapply").status_code == 404
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxWrite)) == 0


def test_page_before_any_check_and_msp_can_open_it(client, login, make_user):
    """An MSP user sees the page; with no run yet it says so instead of an empty list."""
    login(make_user("msp"))
    page = client.get(DRIFT).get_data(as_text=True)
    assert "No drift check has run yet" in page and "Check now" in page


def test_reapply_with_htmx_answers_the_section_and_queues_the_writes(
        db, org, admin, login, client, csrf_token, linked, drive, cw_sim, cw_org):
    """An HTMX Re-apply returns the drift section with its message; the finding shows as
    re-applied, and a second press queues nothing more."""
    change = linked()
    drive.approve(change)
    drive.schedule(change)
    deliver_all()
    _drifted(db, org, change)
    login(admin)
    response = client.post(f"{DRIFT}/{change.id}/reapply", headers={"HX-Request": "true"},
                           data={"csrf_token": csrf_token()})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="drift"' in body and "HX-Request" in response.headers["Vary"]
    assert "1 write(s) re-applied to ticket #5001" in body and "Re-applied" in body
    assert "<html" not in body
    rows = db.session.scalars(db.select(OutboxWrite).filter_by(event="drift-reapply")).all()
    assert [(r.kind, r.payload["status"]) for r in rows] == [("status", "In Progress")]
    again = client.post(f"{DRIFT}/{change.id}/reapply", headers={"HX-Request": "true"},
                        data={"csrf_token": csrf_token()}).get_data(as_text=True)
    assert "was already re-applied" in again
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxWrite).filter_by(event="drift-reapply")) == 1


def test_reapply_refuses_a_gone_ticket_and_a_change_closed_since(db, org, admin, login, post, client, make_change,
                                                                  cw_org):
    """Nothing is queued for a deleted ticket, nor for a change completed since the check; the page says why."""
    gone = make_change(linked_ticket_id=TICKET, state="scheduled")
    closed = make_change(linked_ticket_id=TICKET + 1, state="completed")
    db.session.add(DriftFinding(organisation_id=org.id, change_id=gone.id, ticket_id=TICKET,
                                problems=[{"kind": "ticket_gone"}]))
    db.session.add(DriftFinding(organisation_id=org.id, change_id=closed.id, ticket_id=TICKET + 1,
                                problems=[{"kind": "status", "actual": "New", "expected": "In Progress"}]))
    db.session.commit()
    login(admin)
    page = post(f"{DRIFT}/{gone.id}/reapply", follow_redirects=True).get_data(as_text=True)
    assert f"Ticket #{TICKET} no longer exists: link {gone.reference} to another ticket." in page
    page = post(f"{DRIFT}/{closed.id}/reapply", follow_redirects=True).get_data(as_text=True)
    assert f"{closed.reference} has changed since the check" in page
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxWrite)) == 0


@pytest.mark.parametrize("body", [b"<html><body>Maintenance</body></html>", b'{"tickets": []}', b"[null]",
                                  b'[{"id": "5001"}]'])
def test_a_server_answering_garbage_is_recorded_not_a_500(db, org, admin, login, post, make_change, cw_org, body):
    """HTML, an object, nulls or ids of the wrong type instead of tickets: Check now answers, the
    run records a plain error, and no finding is invented."""
    make_change(linked_ticket_id=TICKET, state="approved")
    with json_server(body) as (base_url, _seen):
        cw_org.base_url = base_url
        db.session.commit()
        login(admin)
        response = post(f"{DRIFT}/check", follow_redirects=True)
    assert response.status_code == 200
    run = db.session.scalar(db.select(DriftRun).filter_by(organisation_id=org.id))
    assert "could not understand" in run.error
    assert run.findings_at is None and findings_of(org.id) == []
    assert "failed:" in response.get_data(as_text=True)


def test_html_error_pages_from_connectwise_are_recorded(db, org, make_change, cw_sim, cw_org):
    """A 503 answered with an HTML page (as a proxy would) becomes the run's error."""
    make_change(linked_ticket_id=TICKET, state="approved")
    cw_sim.faults(error_rate=1.0, error_status=503, error_body="html")
    run = check_organisation(org.id)
    assert run.error and "<" not in run.error


def test_a_change_linked_to_another_psa_is_not_checked(db, org, make_change, cw_sim, cw_org):
    """A change whose ticket belongs to another PSA is not compared with the ConnectWise ticket of
    the same number: the run checks only ConnectWise's changes and asks ConnectWise for none."""
    make_change(linked_ticket_id=TICKET, linked_ticket_system="otherpsa", state="approved")
    run = check_organisation(org.id)
    assert (run.error, run.changes_checked, findings_of(org.id)) == (None, 0, [])
    assert not any(f"/service/tickets" in entry["path"] for entry in cw_sim.journal())


def test_integration_off_is_recorded_without_asking_connectwise(db, org, make_change, cw_sim, cw_org):
    """With the integration switched off the run says so and nothing is sent."""
    make_change(linked_ticket_id=TICKET, state="approved")
    cw_org.enabled = False
    db.session.commit()
    mark = len(cw_sim.journal())
    assert "switched off" in check_organisation(org.id).error
    assert cw_sim.journal()[mark:] == []


def test_nightly_job_is_registered_after_the_sync_and_the_cli_checks(app, db, org, make_change, cw_sim, cw_org):
    """The scheduler runs the check an hour after the nightly sync; `flask drift-check --org`
    prints the result and exits 0; an organisation without settings exits 1."""
    job = next(j for j in scheduled_jobs(app.config) if j.id == NIGHTLY_DRIFT_JOB_ID)
    assert job.trigger == "cron" and job.trigger_args["hour"] == (app.config["CW_SYNC_HOUR"] + 1) % 24
    make_change(linked_ticket_id=TICKET, state="approved")
    result = app.test_cli_runner().invoke(args=["drift-check", "--org", str(org.id)])
    assert result.exit_code == 0, result.output
    assert "1 open linked change(s) checked, 1 with a ticket that does not match" in result.output
    result = app.test_cli_runner().invoke(args=["drift-check", "--org", "999999"])
    assert result.exit_code == 1 and "no ConnectWise settings" in result.output
    job.run()
    assert db.session.scalar(db.select(DriftRun).filter_by(organisation_id=org.id)).error is None


def test_the_change_page_shows_the_drift_panel_to_any_member(db, org, client, login, make_user, make_change, cw_org):
    """A viewer sees the drift lines of the change (without the Re-apply link); a change without
    findings has no panel."""
    change, clean = make_change(linked_ticket_id=TICKET, state="approved"), make_change()
    _drifted(db, org, change)
    login(make_user("viewer"))
    assert f"/changes/{change.id}/drift" in client.get(f"/changes/{change.id}").get_data(as_text=True)
    assert f"/changes/{clean.id}/drift" not in client.get(f"/changes/{clean.id}").get_data(as_text=True)
    fragment = client.get(f"/changes/{change.id}/drift", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Status is “New”, expected “In Progress”." in fragment and "Re-apply" not in fragment
    page = client.get(f"/changes/{change.id}/drift").get_data(as_text=True)
    assert "<html" in page and "ConnectWise drift" in page and "Status is “New”" in page


def test_the_drift_page_runs_the_same_statements_for_one_finding_or_many(db, org, admin, login, client, make_change,
                                                                         cw_org):
    """The page's statement count does not grow with the number of drifted changes (no N+1)."""
    login(admin)

    def page_statements(extra):
        for _ in range(extra):
            change = make_change(linked_ticket_id=TICKET, state="approved")
            db.session.add(DriftFinding(organisation_id=org.id, change_id=change.id, ticket_id=TICKET,
                                        problems=[{"kind": "status", "actual": "New", "expected": "In Progress"}]))
        db.session.commit()
        db.session.expire_all()
        with count_statements(db.engine) as statements:
            assert client.get(DRIFT).status_code == 200
        return statements

    _drifted(db, org, make_change(linked_ticket_id=TICKET, state="approved"))
    one = page_statements(0)
    many = page_statements(6)
    assert len(one) == len(many), many
