"""The list of scheduled jobs and workers: the core's heartbeat, the jobs core packages above the
scheduler hand down at start (`add_core_jobs`: mail and reminders), and the jobs and workers the
integrations declare."""
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable

from cbcw.integrations import registry


@dataclass(frozen=True)
class ScheduledJob:
    """One job: `run` is called inside an app context; `lease` is how long a run keeps others out."""

    id: str
    run: Callable[[], Any]
    trigger: str  # an APScheduler trigger name: "interval" or "cron"
    trigger_args: dict = field(default_factory=dict)
    lease: timedelta = timedelta(seconds=20)


@dataclass(frozen=True)
class Worker:
    """A loop that every scheduler process runs in a thread of its own for as long as it runs.

    No lease: several may run (processes, hosts) and share their work through the database.
    `run(stop)` is called inside an app context and returns once `stop` is set; if it raises or
    returns early it is started again.
    """

    id: str
    run: Callable[[threading.Event], Any]


CORE_JOBS = "CBCW_CORE_JOBS"


def add_core_jobs(app, jobs: Callable[[Any], list[ScheduledJob]]) -> None:
    """Called by a core package the scheduler cannot import (it sits above): its jobs, built
    from the config like an integration's, are run too."""
    providers = app.config.setdefault(CORE_JOBS, [])
    if jobs not in providers:
        providers.append(jobs)


def heartbeat() -> None:
    """Nothing to do: the runner's finish time of this job is the scheduler's heartbeat (`/healthz`)."""


def _declared(config) -> list:
    from cbcw.scheduler.leases import HEARTBEAT_JOB_ID

    return [
        ScheduledJob(HEARTBEAT_JOB_ID, heartbeat, "interval", {"seconds": 30}, lease=timedelta(seconds=20)),
        *(job for provide in config.get(CORE_JOBS, ()) for job in provide(config)),
        *registry.jobs(config),
    ]


def scheduled_jobs(config) -> list[ScheduledJob]:
    """Every job the scheduler process runs, built from the app's configuration: the heartbeat, the
    core packages' jobs (`add_core_jobs`), then the jobs each integration of `INTEGRATIONS` declares."""
    return [job for job in _declared(config) if isinstance(job, ScheduledJob)]


def workers(config) -> list[Worker]:
    """The long-running workers the integrations declare (e.g. outbox delivery)."""
    return [job for job in _declared(config) if isinstance(job, Worker)]
