"""The list of scheduled jobs: each feature adds its entry to `scheduled_jobs`."""
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable


@dataclass(frozen=True)
class ScheduledJob:
    """One job: `run` is called inside an app context; `lease` is how long a run keeps others out."""

    id: str
    run: Callable[[], Any]
    trigger: str  # an APScheduler trigger name: "interval" or "cron"
    trigger_args: dict = field(default_factory=dict)
    lease: timedelta = timedelta(seconds=20)


REQUESTED_SYNCS_JOB_ID = "cw-requested-syncs"
NIGHTLY_SYNC_JOB_ID = "cw-nightly-sync"
NIGHTLY_DRIFT_JOB_ID = "cw-nightly-drift"


def heartbeat() -> None:
    """Nothing to do: the runner's finish time of this job is the scheduler's heartbeat (`/healthz`)."""


def scheduled_jobs(config) -> list[ScheduledJob]:
    """Every job the scheduler process runs, built from the app's configuration."""
    from cbcw.connectwise.automation.delivery import deliver_due
    from cbcw.connectwise.drift.jobs import nightly_drift_check
    from cbcw.connectwise.sync.jobs import nightly_sync, run_requested_syncs
    from cbcw.scheduler.leases import HEARTBEAT_JOB_ID

    return [
        ScheduledJob(HEARTBEAT_JOB_ID, heartbeat, "interval", {"seconds": 30}, lease=timedelta(seconds=20)),
        # "Sync Configurations Now" queues a run; this picks it up within seconds.
        ScheduledJob(REQUESTED_SYNCS_JOB_ID, run_requested_syncs, "interval", {"seconds": 3},
                     lease=timedelta(seconds=2)),
        ScheduledJob(NIGHTLY_SYNC_JOB_ID, nightly_sync, "cron", {"hour": config["CW_SYNC_HOUR"], "minute": 0},
                     lease=timedelta(hours=12)),
        # An hour after the sync, whose member matches it uses (PRODUCT §3.9).
        ScheduledJob(NIGHTLY_DRIFT_JOB_ID, nightly_drift_check, "cron",
                     {"hour": (config["CW_SYNC_HOUR"] + 1) % 24, "minute": 0}, lease=timedelta(hours=12)),
        # Outbox retries (PRODUCT §3.8); the outbox's own row leases keep concurrent deliverers apart.
        ScheduledJob("cw-deliver", deliver_due, "interval", {"seconds": 30}, lease=timedelta(seconds=20)),
    ]
