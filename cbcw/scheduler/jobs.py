"""The list of scheduled jobs: the core's heartbeat, the jobs core packages above the scheduler
hand down at start (`add_core_jobs`: mail and reminders), and the jobs the integrations declare."""
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


CORE_JOBS = "CBCW_CORE_JOBS"


def add_core_jobs(app, jobs: Callable[[Any], list[ScheduledJob]]) -> None:
    """Called by a core package the scheduler cannot import (it sits above): its jobs, built
    from the config like an integration's, are run too."""
    providers = app.config.setdefault(CORE_JOBS, [])
    if jobs not in providers:
        providers.append(jobs)


def heartbeat() -> None:
    """Nothing to do: the runner's finish time of this job is the scheduler's heartbeat (`/healthz`)."""


def scheduled_jobs(config) -> list[ScheduledJob]:
    """Every job the scheduler process runs, built from the app's configuration: the heartbeat,
    then the jobs each integration of `INTEGRATIONS` declares."""
    from cbcw.scheduler.leases import HEARTBEAT_JOB_ID

    return [
        ScheduledJob(HEARTBEAT_JOB_ID, heartbeat, "interval", {"seconds": 30}, lease=timedelta(seconds=20)),
        *(job for provide in config.get(CORE_JOBS, ()) for job in provide(config)),
        *registry.jobs(config),
    ]
