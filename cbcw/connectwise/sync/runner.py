"""Execute one sync run: stream configurations page by page, one transaction per page.

Each page is applied and committed together with the run's progress, so a failure mid-way
leaves every device either fully updated or untouched, and the next run (incremental from the
last *successful* run, or full) picks up whatever the failed one did not finish. The client
requests the next page while this one is written, so the wall time stays near
pages × round trip. Deactivating devices whose configuration is gone happens only at the end
of a complete full run. No write is left uncommitted while ConnectWise is asked (on SQLite it
would hold the one write lock, and users' saves would wait for ConnectWise).
"""
from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select

from cbcw.connectwise.settings import members
from cbcw.connectwise.settings.connection import client_for
from cbcw.connectwise.api.errors import ConnectWiseError
from cbcw.connectwise.settings.mappings import get_settings
from cbcw.connectwise.settings.models import CompanyMapping, ConfigurationTypeMapping
from cbcw.connectwise.sync import runs
from cbcw.connectwise.sync.devices import Scope, Tally, apply_page, deactivate_missing
from cbcw.connectwise.sync.models import COUNTS, SyncRun
from cbcw.crypto import SecretUnreadable
from cbcw.db import utcnow
from cbcw.extensions import db

log = logging.getLogger("cbcw.connectwise.sync")


class NothingToSync(Exception):
    """The organisation maps no configuration type or no company."""


def execute(run_id: int) -> SyncRun:
    """Run a claimed (running) sync to the end; the run row records success or the error."""
    run = db.session.get(SyncRun, run_id)
    try:
        _sync(run)
    except (ConnectWiseError, SecretUnreadable, NothingToSync) as error:
        db.session.rollback()
        runs.finish(run, str(error))
    except Exception:
        db.session.rollback()
        log.exception("configuration sync %s failed", run_id)
        runs.finish(run, "Unexpected error: the sync stopped. The administrator can find details in the log.")
        raise
    else:
        runs.finish(run)
    log.info("configuration sync %s of organisation %s: %s", run.id, run.organisation_id, run.status)
    return run


def _sync(run: SyncRun) -> None:
    scope = load_scope(run.organisation_id)
    if not scope.device_types:
        raise NothingToSync("No configuration type is mapped to a device type: map at least one type first.")
    if not scope.companies:
        raise NothingToSync("No company is mapped to a ConnectWise company: map at least one company first.")
    runs.plan(run, {"types": sorted(scope.device_types), "companies": sorted(scope.companies)})
    db.session.commit()
    client = client_for(get_settings(run.organisation_id), interactive=False)
    tally = Tally()
    # ConnectWise is asked for the mapped companies' configurations only (PRODUCT §3.7).
    pages = client.iter_configuration_pages(sorted(scope.device_types), sorted(scope.companies), since=run.since,
                                            page_size=current_app.config["CW_SYNC_PAGE_SIZE"])
    for page in pages:
        apply_page(scope, page, tally, utcnow())
        run.pages_fetched += 1
        run.records_processed += len(page)
        _progress(run, tally)
        db.session.commit()
    # ConnectWise is asked before anything more is written, so no write lock waits on it.
    if run.full:
        _count_unmapped_types(client, run.organisation_id, scope, tally)
        _count_unmapped_companies(client, scope, tally)
    run.members_matched = members.refresh_matches(run.organisation_id, client)["matched"]
    if run.full:
        tally.counts["deactivated"] += deactivate_missing(scope, tally.seen, utcnow())
    _progress(run, tally)


def load_scope(organisation_id: int) -> Scope:
    type_mappings = db.session.scalars(select(ConfigurationTypeMapping).where(
        ConfigurationTypeMapping.organisation_id == organisation_id,
        ConfigurationTypeMapping.device_type_id.is_not(None)))
    company_mappings = db.session.scalars(select(CompanyMapping).where(CompanyMapping.organisation_id == organisation_id))
    return Scope(organisation_id, {m.cw_type_id: m.device_type_id for m in type_mappings},
                 {m.cw_company_id: m.company_id for m in company_mappings})


def _count_unmapped_types(client, organisation_id: int, scope: Scope, tally: Tally) -> None:
    """Configurations of types left unmapped are never fetched; one count says how many were skipped."""
    unmapped = db.session.scalars(select(ConfigurationTypeMapping).where(
        ConfigurationTypeMapping.organisation_id == organisation_id,
        ConfigurationTypeMapping.device_type_id.is_(None)).order_by(ConfigurationTypeMapping.cw_type_name)).all()
    if not unmapped:
        return
    count = client.count_configurations([m.cw_type_id for m in unmapped], None)
    if count:
        tally.skip("type not mapped: " + ", ".join(m.cw_type_name for m in unmapped), count)


def _count_unmapped_companies(client, scope: Scope, tally: Tally) -> None:
    """Configurations of unmapped companies are never fetched either; one count says how many."""
    count = client.count_configurations_elsewhere(sorted(scope.device_types), sorted(scope.companies))
    if count:
        tally.skip("company not mapped (other ConnectWise companies)", count)


def _progress(run: SyncRun, tally: Tally) -> None:
    for name in COUNTS:
        setattr(run, name, tally.counts[name])
    run.skip_reasons = dict(tally.skip_reasons)
    run.renamed = list(tally.renamed)
    run.heartbeat_at = utcnow()
