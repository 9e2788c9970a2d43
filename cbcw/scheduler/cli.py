"""Background jobs in their own process (`flask scheduler`), never in a web worker."""
import signal
import threading

import click
from flask import current_app

from cbcw.scheduler.runner import build_scheduler, start_workers


@click.command("scheduler")
def scheduler_command():
    """Run the scheduled jobs and workers (outbox delivery, nightly sync, heartbeat) until stopped."""
    app = current_app._get_current_object()
    scheduler = build_scheduler(app)
    stop = threading.Event()

    def shut_down(*_):
        stop.set()
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, shut_down)
    threads = start_workers(app, stop)
    names = ", ".join([job.id for job in scheduler.get_jobs()] + [thread.name for thread in threads])
    click.echo(f"Scheduler running: {names}. Stop with Ctrl-C.")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        stop.set()
