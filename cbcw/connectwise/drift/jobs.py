"""The nightly drift check (scheduler job `cw-nightly-drift`) and `flask drift-check`."""
from __future__ import annotations

import logging

import click
from sqlalchemy import select

from cbcw.connectwise.drift.check import check_organisation, findings_of
from cbcw.connectwise.drift.models import DriftRun
from cbcw.connectwise.settings.mappings import enabled_organisations
from cbcw.connectwise.settings.models import ConnectWiseSettings
from cbcw.extensions import db
from cbcw.main.numbers import DATABASE_INT_MAX

log = logging.getLogger(__name__)


def nightly_drift_check() -> None:
    """Check every organisation with the integration enabled; one organisation's failure is
    recorded on its run and never stops the others."""
    for organisation_id in enabled_organisations():
        try:
            run = check_organisation(organisation_id)
        except Exception:  # noqa: BLE001 - the next organisation still gets its check
            db.session.rollback()
            log.exception("drift check of organisation %s failed", organisation_id)
            continue
        log.info("drift check of organisation %s: %s", organisation_id, describe(run))


def describe(run: DriftRun) -> str:
    """One line for people: how many changes were checked and how many drifted, or the error."""
    if run.error:
        return f"check failed: {run.error}"
    drifted = sum(1 for finding in findings_of(run.organisation_id) if not finding.pending)
    return f"{run.changes_checked} open linked change(s) checked, {drifted} with a ticket that does not match."


@click.command("drift-check")
@click.option("--org", "organisation_id", type=click.IntRange(1, DATABASE_INT_MAX),
              help="Only this organisation (default: every organisation with the integration enabled).")
def drift_check_command(organisation_id: int | None) -> None:
    """Compare open changes' ConnectWise tickets with what their events should have produced."""
    failed = False
    for org_id in [organisation_id] if organisation_id else enabled_organisations():
        if db.session.scalar(select(ConnectWiseSettings.id).where(ConnectWiseSettings.organisation_id == org_id)) is None:
            click.echo(f"Organisation {org_id}: no ConnectWise settings.", err=True)
            failed = True
            continue
        run = check_organisation(org_id)
        click.echo(f"Organisation {org_id}: {describe(run)}", err=bool(run.error))
        failed = failed or bool(run.error)
    if failed:
        raise SystemExit(1)
