"""How syncs start: the scheduler's jobs (requests from the settings page, the nightly run) and
`flask sync-configs`. Every path goes through `runs.request_run`, so one organisation never
has two syncs at once."""
from __future__ import annotations

import logging

import click
from sqlalchemy import select

from cbcw.connectwise.settings.mappings import enabled_organisations
from cbcw.connectwise.settings.models import ConnectWiseSettings
from cbcw.connectwise.sync import runs
from cbcw.connectwise.sync.runner import execute
from cbcw.extensions import db
from cbcw.main.numbers import DATABASE_INT_MAX

log = logging.getLogger("cbcw.connectwise.sync")


def run_requested_syncs() -> int:
    """Run every sync requested from the settings page (queued); returns how many ran here."""
    ran = 0
    for run_id in runs.queued_run_ids():
        if runs.claim(run_id):
            execute(run_id)
            ran += 1
    return ran


def nightly_sync() -> None:
    """The scheduled sync of every enabled organisation (incremental, weekly full)."""
    for organisation_id in enabled_organisations():
        try:
            run = runs.request_run(organisation_id, "scheduled", start_now=True)
        except runs.SyncBusy:
            log.info("nightly sync of organisation %s skipped: a sync is already running", organisation_id)
            continue
        execute(run.id)


@click.command("sync-configs")
@click.option("--org", "organisation_id", type=click.IntRange(1, DATABASE_INT_MAX),
              help="Only this organisation (default: every organisation with the integration enabled).")
@click.option("--full", is_flag=True, help="Fetch every configuration, not only those changed since the last run.")
def sync_configs_command(organisation_id: int | None, full: bool) -> None:
    """Sync ConnectWise configurations into devices now, in this process."""
    failed = False
    for org_id in [organisation_id] if organisation_id else enabled_organisations():
        if not _has_settings(org_id):
            click.echo(f"Organisation {org_id}: no ConnectWise settings.", err=True)
            failed = True
            continue
        try:
            run = runs.request_run(org_id, "cli", full=full, start_now=True)
        except runs.SyncBusy as busy:
            click.echo(f"Organisation {org_id}: {busy}", err=True)
            failed = True
            continue
        run = execute(run.id)
        click.echo(f"Organisation {org_id}: {describe(run)}", err=run.status != "succeeded")
        failed = failed or run.status != "succeeded"
    if failed:
        raise SystemExit(1)


def describe(run) -> str:
    """One line for people: the counts, or the error."""
    if run.status == "failed":
        return f"sync failed: {run.error}"
    kind = "full" if run.full else "incremental"
    return (f"{kind} sync done: {run.created} created, {run.updated} updated, {run.unchanged} unchanged, "
            f"{run.skipped} skipped, {run.deactivated} deactivated ({run.pages_fetched} pages).")


def _has_settings(organisation_id: int) -> bool:
    return db.session.scalar(select(ConnectWiseSettings.id)
                             .where(ConnectWiseSettings.organisation_id == organisation_id)) is not None
