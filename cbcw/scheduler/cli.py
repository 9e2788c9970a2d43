import signal

import click
from flask import current_app

from cbcw.scheduler.runner import build_scheduler


@click.command("scheduler")
def scheduler_command():
    """Run the scheduled jobs (outbox delivery, nightly sync, heartbeat) until stopped."""
    scheduler = build_scheduler(current_app._get_current_object())
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    jobs = ", ".join(job.id for job in scheduler.get_jobs())
    click.echo(f"Scheduler running: {jobs}. Stop with Ctrl-C.")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
