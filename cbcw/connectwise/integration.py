"""The ConnectWise integration as the core sees it: the one place that lists what it adds to the
app (`cbcw.integrations.spec.Integration`). Config `INTEGRATIONS` names `CONNECTWISE` by default;
nothing outside `cbcw/connectwise/` imports this package."""
from __future__ import annotations

from datetime import timedelta

from cbcw.connectwise.automation import preview, reactions, worker
from cbcw.connectwise.automation.cli import deliver_command
from cbcw.connectwise.automation.routes import bp as activity_bp
from cbcw.connectwise.callbacks import registration as callback_registration, routes as callback_routes
from cbcw.connectwise.callbacks.processing import process_due as process_callbacks
from cbcw.connectwise.callbacks.receiver import bp as callbacks_bp
from cbcw.connectwise.drift import dashboard as drift_dashboard, routes as drift_routes
from cbcw.connectwise.drift.jobs import drift_check_command, nightly_drift_check
from cbcw.connectwise.settings.cli import rotate_keys_command
from cbcw.connectwise.settings.routes import bp as settings_bp
from cbcw.connectwise.sync import device_links
from cbcw.connectwise.sync.jobs import nightly_sync, run_requested_syncs, sync_configs_command
from cbcw.connectwise.sync.routes import bp as sync_bp
from cbcw.connectwise.tickets.busy import SCHEDULE
from cbcw.connectwise.tickets.picker import TICKETS
from cbcw.connectwise.tickets.routes import bp as tickets_bp
from cbcw.integrations.spec import Integration, SettingsLink
from cbcw.scheduler.jobs import ScheduledJob, Worker
from cw_simulator.cli import cw_sim_command

REQUESTED_SYNCS_JOB_ID = "cw-requested-syncs"
NIGHTLY_SYNC_JOB_ID = "cw-nightly-sync"
NIGHTLY_DRIFT_JOB_ID = "cw-nightly-drift"
DELIVER_WORKER_ID = "cw-deliver"
CALLBACKS_JOB_ID = "cw-callbacks"


def scheduled_jobs(config) -> list[ScheduledJob | Worker]:
    """The syncs and the drift check, at the hours the configuration sets, and the delivery worker."""
    return [
        # "Sync Configurations Now" queues a run; this picks it up within seconds.
        ScheduledJob(REQUESTED_SYNCS_JOB_ID, run_requested_syncs, "interval", {"seconds": 3},
                     lease=timedelta(seconds=2)),
        ScheduledJob(NIGHTLY_SYNC_JOB_ID, nightly_sync, "cron", {"hour": config["CW_SYNC_HOUR"], "minute": 0},
                     lease=timedelta(hours=12)),
        # An hour after the sync, whose member matches it uses (PRODUCT §3.9).
        ScheduledJob(NIGHTLY_DRIFT_JOB_ID, nightly_drift_check, "cron",
                     {"hour": (config["CW_SYNC_HOUR"] + 1) % 24, "minute": 0}, lease=timedelta(hours=12)),
        # The outbox (PRODUCT §3.8): every scheduler process runs one; the rows' own leases keep them apart.
        Worker(DELIVER_WORKER_ID, worker.run),
        # Verified ConnectWise callbacks (PRODUCT §3.11), acted on within a second of arriving. The
        # lease ends before the next second; two runs at once claim different rows (SKIP LOCKED).
        ScheduledJob(CALLBACKS_JOB_ID, process_callbacks, "interval", {"seconds": 1},
                     lease=timedelta(milliseconds=900)),
    ]


CONNECTWISE = Integration(
    name="connectwise",
    models=("cbcw.connectwise.settings.models", "cbcw.connectwise.sync.models",
            "cbcw.connectwise.automation.models", "cbcw.connectwise.drift.models",
            "cbcw.connectwise.callbacks.models", "cbcw.connectwise.ticket_marks"),
    blueprints=(settings_bp, sync_bp, tickets_bp, activity_bp, drift_routes.bp, callbacks_bp, callback_routes.bp,
                drift_dashboard.bp),
    # `flask cw-sim` serves the simulator (its own package, importing nothing of the product).
    commands=(rotate_keys_command, sync_configs_command, deliver_command, drift_check_command, cw_sim_command),
    jobs=scheduled_jobs,
    # Plan each change event's writes into the outbox (the worker delivers them);
    # "Open in ConnectWise" on synced devices; callbacks registered when the settings or mappings
    # are saved, and their settings section.
    receivers=(reactions.init_app, device_links.init_app, callback_registration.init_app, callback_routes.init_app),
    panels=(preview.activity_panel, drift_routes.drift_panel, callback_routes.alerts_panel),
    previews=(preview.transition_preview,),
    settings_links=(SettingsLink("ConnectWise", "connectwise.settings_page", blueprints=("connectwise", "cw_sync")),
                    SettingsLink("Activity", "cw_activity.organisation_activity"),
                    SettingsLink("Drift check", "cw_drift.drift_page")),
    ticket_system=TICKETS,
    people_schedule=SCHEDULE,
    # Failed writes and drift findings on the dashboard at `/`, for admins and MSP users.
    dashboard_panels=(drift_dashboard.dashboard_panel,),
)
