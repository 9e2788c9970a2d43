"""How syncs start: requested from the page, nightly, and `flask sync-configs`."""
from sqlalchemy import select

from cbcw.connectwise.sync import jobs, runs
from cbcw.connectwise.sync.models import SyncRun
from cbcw.connectwise.integration import NIGHTLY_SYNC_JOB_ID, REQUESTED_SYNCS_JOB_ID
from cbcw.scheduler.jobs import scheduled_jobs
from cbcw.scheduler.runner import build_scheduler, run_job


def test_requested_sync_is_picked_up_and_run_once(db, org, cw_sim, mapped, admin):
    """A queued request runs on the scheduler's next pass and is not run twice."""
    queued = runs.request_run(org.id, "manual", user_id=admin.id)
    assert jobs.run_requested_syncs() == 1
    assert jobs.run_requested_syncs() == 0
    run = db.session.get(SyncRun, queued.id)
    assert run.status == "succeeded" and run.created > 0 and run.requested_by_id == admin.id


def test_nightly_sync_runs_every_enabled_organisation(db, org, cw_sim, mapped, make_org):
    """The nightly job syncs each organisation with the integration enabled, marked as scheduled."""
    make_org()  # no ConnectWise settings: not synced
    jobs.nightly_sync()
    run = db.session.scalar(select(SyncRun))
    assert db.session.query(SyncRun).count() == 1
    assert run.organisation_id == org.id and run.trigger == "scheduled" and run.status == "succeeded"


def test_nightly_sync_skips_an_organisation_already_syncing(db, org, cw_sim, mapped):
    """An organisation with a sync in progress is left alone by the nightly job."""
    runs.request_run(org.id, "manual")
    jobs.nightly_sync()
    assert [r.status for r in db.session.scalars(select(SyncRun))] == ["queued"]


def test_cli_syncs_and_prints_the_counts(app, db, org, cw_sim, mapped):
    """`flask sync-configs --org ID --full` runs a full sync and prints its counts."""
    result = app.test_cli_runner().invoke(args=["sync-configs", "--org", str(org.id), "--full"])
    assert result.exit_code == 0, result.output
    run = db.session.scalar(select(SyncRun))
    assert f"full sync done: {run.created} created" in result.output and run.trigger == "cli"


def test_cli_refuses_an_organisation_without_settings(app, db, org):
    """An organisation without ConnectWise settings is reported and the command exits non-zero."""
    result = app.test_cli_runner().invoke(args=["sync-configs", "--org", "999999"])
    assert result.exit_code == 1 and "no ConnectWise settings" in result.output


def test_cli_refuses_an_out_of_range_org_id(app):
    """An organisation id beyond 64 bits is a usage error, not a crash."""
    result = app.test_cli_runner().invoke(args=["sync-configs", "--org", str(2**70)])
    assert result.exit_code == 2 and "--org" in result.output


def test_scheduler_registers_the_sync_jobs_once(app, monkeypatch):
    """The nightly sync (cron at CW_SYNC_HOUR) and the request pick-up are registered once each and call the sync."""
    app.config["CW_SYNC_HOUR"] = 3
    scheduler = build_scheduler(app)
    registered = [job for job in scheduler.get_jobs() if job.id in (NIGHTLY_SYNC_JOB_ID, REQUESTED_SYNCS_JOB_ID)]
    assert sorted(job.id for job in registered) == sorted([NIGHTLY_SYNC_JOB_ID, REQUESTED_SYNCS_JOB_ID])
    nightly = next(job for job in registered if job.id == NIGHTLY_SYNC_JOB_ID)
    assert str(nightly.trigger.fields[5]) == "3" and nightly.max_instances == 1 and nightly.coalesce
    calls = []
    monkeypatch.setattr(jobs, "execute", lambda run_id: calls.append(run_id))
    job = next(j for j in scheduled_jobs(app.config) if j.id == NIGHTLY_SYNC_JOB_ID)
    assert run_job(app, job) is True  # no organisation enabled: the job runs and syncs nobody
    assert calls == []
