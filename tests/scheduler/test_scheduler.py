"""The scheduler process: explicit jobs, one run per schedule across processes, a heartbeat."""
import threading
from datetime import timedelta
from unittest import mock

from apscheduler.schedulers.blocking import BlockingScheduler

from cbcw.extensions import db
from cbcw.scheduler import leases
from cbcw.scheduler.jobs import ScheduledJob, scheduled_jobs
from cbcw.scheduler.models import JobLease
from cbcw.scheduler.runner import build_scheduler, run_job


def counting_job(job_id="count", **kwargs):
    calls = []
    return ScheduledJob(job_id, lambda: calls.append(1), "interval", {"seconds": 30}, **kwargs), calls


def test_every_job_is_registered_once_with_an_explicit_id_and_single_instance(app):
    """Each job of `scheduled_jobs` becomes one APScheduler job with its id, max_instances=1 and coalesce."""
    scheduler = build_scheduler(app)
    registered = {job.id: job for job in scheduler.get_jobs()}
    assert set(registered) == {job.id for job in scheduled_jobs(app.config)}
    assert "heartbeat" in registered
    for job in registered.values():
        assert job.max_instances == 1 and job.coalesce is True


def test_a_second_scheduler_skips_a_run_while_the_lease_is_held(app):
    """Two schedulers firing the same job in one period run it once."""
    job, calls = counting_job()
    assert run_job(app, job) is True
    assert run_job(app, job) is False
    assert calls == [1]


def test_the_job_runs_again_once_its_lease_has_expired(app):
    """The lease only covers one period: the next period's run goes ahead."""
    job, calls = counting_job(lease=timedelta(0))
    assert run_job(app, job) and run_job(app, job)
    assert calls == [1, 1]


def test_a_failing_job_is_recorded_and_does_not_stop_the_next_run(app):
    """An exception in a job is logged on its lease row; the scheduler carries on."""
    def explode():
        raise ValueError("ConnectWise said no")

    job = ScheduledJob("explodes", explode, "interval", {"seconds": 30}, lease=timedelta(0))
    assert run_job(app, job) is True
    assert db.session.get(JobLease, "explodes").last_error == "ValueError: ConnectWise said no"
    assert run_job(app, job) is True


def test_only_one_of_many_processes_racing_for_a_lease_wins(shared_app):
    """The lease is taken by one atomic UPDATE: eight racers, one winner (file SQLite or PostgreSQL)."""
    racers, barrier, wins = 8, threading.Barrier(8), []

    def race(n):
        with shared_app.app_context():
            leases._ensure_row("nightly")
            barrier.wait()
            if leases.try_acquire("nightly", f"host-{n}", timedelta(minutes=5)):
                wins.append(n)
            db.session.remove()

    threads = [threading.Thread(target=race, args=(n,)) for n in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(wins) == 1
    with shared_app.app_context():
        assert db.session.get(JobLease, "nightly").holder == f"host-{wins[0]}"


def test_healthz_reports_the_scheduler_heartbeat_age(app, client):
    """`/healthz` says null before any scheduler ran, then the heartbeat's age in seconds."""
    assert client.get("/healthz").json == {"status": "ok", "scheduler_heartbeat_age": None}
    heartbeat = next(job for job in scheduled_jobs(app.config) if job.id == "heartbeat")
    run_job(app, heartbeat)
    assert client.get("/healthz").json["scheduler_heartbeat_age"] in (0, 1)


def test_flask_scheduler_lists_its_jobs_and_stops_on_ctrl_c(app):
    """`flask scheduler` starts a blocking scheduler with the registered jobs and exits cleanly."""
    with mock.patch.object(BlockingScheduler, "start", side_effect=KeyboardInterrupt):
        result = app.test_cli_runner().invoke(args=["scheduler"])
    assert result.exit_code == 0, result.output
    assert "Scheduler running: heartbeat" in result.output
