"""Build the APScheduler scheduler and run each job inside an app context, under its lease; run
the workers in threads of their own."""
import logging
import os
import socket
import threading

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from cbcw.extensions import db
from cbcw.scheduler import leases
from cbcw.scheduler.jobs import ScheduledJob, Worker, scheduled_jobs, workers

log = logging.getLogger(__name__)
HOLDER = f"{socket.gethostname()}:{os.getpid()}"
RESTART_AFTER_SECONDS = 1.0


def run_job(app: Flask, job: ScheduledJob) -> bool:
    """Run `job` once if no other scheduler holds its lease; True when it ran."""
    with app.app_context():
        try:
            if not leases.try_acquire(job.id, HOLDER, job.lease):
                log.info("job %s skipped: another scheduler holds its lease", job.id)
                return False
            error = ""
            try:
                job.run()
            except Exception as exc:  # noqa: BLE001 - a failing job must not stop the scheduler
                db.session.rollback()
                log.exception("job %s failed", job.id)
                error = f"{type(exc).__name__}: {exc}"
            leases.record_finish(job.id, error)
            return True
        finally:
            db.session.remove()


def build_scheduler(app: Flask) -> BlockingScheduler:
    """A blocking scheduler with one APScheduler job per entry of `scheduled_jobs` (explicit ids)."""
    scheduler = BlockingScheduler(timezone="UTC")
    for job in scheduled_jobs(app.config):
        scheduler.add_job(run_job, job.trigger, args=(app, job), id=job.id, name=job.id,
                          max_instances=1, coalesce=True, misfire_grace_time=60,
                          replace_existing=True, **job.trigger_args)
    return scheduler


def start_workers(app: Flask, stop: threading.Event) -> list[threading.Thread]:
    """Start each declared worker in a daemon thread; they run until `stop` is set."""
    threads = [threading.Thread(target=keep_running, args=(app, worker, stop), name=worker.id, daemon=True)
               for worker in workers(app.config)]
    for thread in threads:
        thread.start()
    return threads


def keep_running(app: Flask, worker: Worker, stop: threading.Event) -> None:
    """Run `worker` until `stop`; a worker that fails is logged and started again a second later."""
    while not stop.is_set():
        with app.app_context():
            try:
                worker.run(stop)
            except Exception:  # noqa: BLE001 - a failing worker must not end the scheduler process
                log.exception("worker %s failed; starting it again", worker.id)
            finally:
                db.session.remove()
        stop.wait(RESTART_AFTER_SECONDS)
