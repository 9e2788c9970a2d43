"""The scheduler process: explicit jobs, one run per schedule across processes, a heartbeat."""
import threading
from datetime import timedelta
from unittest import mock

from apscheduler.schedulers.blocking import BlockingScheduler

from cbcw.extensions import db
from cbcw.scheduler import leases
from cbcw.scheduler.jobs import ScheduledJob, Worker, scheduled_jobs
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


def test_a_worker_that_fails_is_started_again_until_stopped(app, monkeypatch):
    """A worker's exception is logged and the worker runs again; it ends once `stop` is set."""
    from cbcw.scheduler import runner

    monkeypatch.setattr(runner, "RESTART_AFTER_SECONDS", 0)
    stop, runs = threading.Event(), []

    def flaky(stop_event):
        runs.append(1)
        if len(runs) == 1:
            raise ConnectionError("database went away")
        stop_event.set()

    runner.keep_running(app, Worker("flaky", flaky), stop)
    assert len(runs) == 2 and stop.is_set()


def test_workers_are_not_scheduled_jobs_and_every_process_starts_its_own(app, monkeypatch):
    """A declared worker runs in a thread of each scheduler process, outside APScheduler's jobs."""
    from cbcw.scheduler import runner

    started = threading.Event()
    worker = Worker("listener", lambda stop: (started.set(), stop.wait(10)))
    monkeypatch.setattr(runner, "workers", lambda config: [worker])
    stop = threading.Event()
    threads = runner.start_workers(app, stop)
    try:
        assert started.wait(10) and [t.name for t in threads] == ["listener"]
        assert "listener" not in {job.id for job in build_scheduler(app).get_jobs()}
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
