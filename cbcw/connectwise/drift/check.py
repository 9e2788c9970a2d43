"""Run the drift check for one organisation: every open change with a linked ticket, against the
ConnectWise tickets and schedule entries read in a few batched listings (not one request per
change), and store what it found as the organisation's last run."""
from __future__ import annotations

import logging
from collections import defaultdict

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from cbcw.accounts.models import User
from cbcw.changes.approvals import active_vcab_members
from cbcw.changes.models import Change
from cbcw.connectwise.api import errors
from cbcw.connectwise.automation.models import OutboxWrite
from cbcw.connectwise.settings.mappings import active_settings
from cbcw.connectwise.settings.connection import client_for
from cbcw.connectwise.drift.compare import compare
from cbcw.connectwise.drift.expected import OPEN_STATES, expected_state
from cbcw.connectwise.drift.models import DriftFinding, DriftRun
from cbcw.connectwise.linked import linked_to_connectwise
from cbcw.connectwise.settings.models import MemberMatch
from cbcw.crypto import SecretUnreadable
from cbcw.db import utcnow
from cbcw.extensions import db

log = logging.getLogger(__name__)
INTEGRATION_OFF = "The ConnectWise integration is switched off or not fully configured, so nothing was checked."


def check_organisation(organisation_id: int, interactive: bool = False) -> DriftRun:
    """Check every open linked change of the organisation and record the run (committed).

    A change with writes still pending for its ticket is listed as "writes pending" rather than
    compared: its ticket is on its way to the expected state. A ConnectWise failure is recorded
    as the run's error; the findings of the last successful run are kept.
    """
    started = utcnow()
    settings = active_settings(organisation_id)
    if settings is None:
        return _record(organisation_id, started, error=INTEGRATION_OFF)
    changes = db.session.scalars(select(Change).where(
        Change.organisation_id == organisation_id, Change.state.in_(OPEN_STATES),
        linked_to_connectwise()).order_by(Change.id)).all()
    users = {user.id: user for user in db.session.scalars(select(User).where(User.organisation_id == organisation_id))}
    vcab = active_vcab_members(organisation_id)
    members = member_ids(organisation_id)
    outstanding = _outstanding_writes(organisation_id)
    expectations = {change.id: expected_state(change, settings, members, users.get, vcab) for change in changes}
    to_compare = [c for c in changes if not outstanding.get((c.id, c.linked_ticket_id), {}).get("pending")]
    try:
        tickets, entries = _read_tickets(client_for(settings, interactive=interactive),
                                         {c.linked_ticket_id for c in to_compare})
    except (errors.ConnectWiseError, SecretUnreadable) as error:
        return _record(organisation_id, started, error=_failure(error))
    findings = []
    for change in changes:
        writes = outstanding.get((change.id, change.linked_ticket_id), {})
        finding = DriftFinding(organisation_id=organisation_id, change_id=change.id, ticket_id=change.linked_ticket_id,
                               failed_writes=writes.get("failed", 0), found_at=started)
        if writes.get("pending"):
            finding.pending = True
        else:
            finding.problems = compare(expectations[change.id], tickets.get(change.linked_ticket_id),
                                       entries.get(change.linked_ticket_id, []))
        if finding.pending or finding.problems:
            findings.append(finding)
    return _record(organisation_id, started, findings=findings, checked=len(changes))


def member_ids(organisation_id: int) -> dict[int, int]:
    """user id → ConnectWise member id for the organisation's matched users (PRODUCT §3.10)."""
    return dict(db.session.execute(select(MemberMatch.user_id, MemberMatch.cw_member_id).where(
        MemberMatch.organisation_id == organisation_id, MemberMatch.cw_member_id.is_not(None))).all())


def _outstanding_writes(organisation_id: int) -> dict[tuple[int, int], dict[str, int]]:
    """{(change, ticket): {"pending": n, "failed": n}} for the organisation's undelivered writes."""
    rows = db.session.execute(
        select(OutboxWrite.change_id, OutboxWrite.ticket_id, OutboxWrite.state, func.count())
        .where(OutboxWrite.organisation_id == organisation_id, OutboxWrite.state.in_(("pending", "failed")))
        .group_by(OutboxWrite.change_id, OutboxWrite.ticket_id, OutboxWrite.state)).all()
    found: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    for change_id, ticket_id, state, count in rows:
        found[(change_id, ticket_id)][state] = count
    return found


def _read_tickets(client, ticket_ids: set[int]) -> tuple[dict[int, dict], dict[int, list[dict]]]:
    """The tickets that still exist, by id, and the schedule entries of each."""
    if not ticket_ids:
        return {}, {}
    tickets = {ticket["id"]: ticket for ticket in client.list_tickets(ticket_ids)}
    entries: dict[int, list[dict]] = defaultdict(list)
    if tickets:
        for entry in client.list_schedule_entries_of_tickets(tickets):
            entries[entry["objectId"]].append(entry)
    return tickets, entries


def _failure(error: Exception) -> str:
    if isinstance(error, errors.BudgetSpent):
        return ("ConnectWise did not answer the check's requests within the time a page may wait; "
                "the nightly check will run it again.")
    return str(error)


def _record(organisation_id: int, started, *, error: str | None = None, findings: list[DriftFinding] | None = None,
            checked: int = 0) -> DriftRun:
    """Store the run; with `findings`, they replace the organisation's previous ones. The run row
    is locked first, so two checks at once (the nightly job and "Check now") write one after the other."""
    run = _run_row(organisation_id)
    run.started_at, run.finished_at, run.error = started, utcnow(), error
    if findings is not None:
        db.session.execute(delete(DriftFinding).where(DriftFinding.organisation_id == organisation_id))
        db.session.add_all(findings)
        run.findings_at, run.changes_checked = started, checked
    else:
        log.warning("drift check of organisation %s failed: %s", organisation_id, error)
    db.session.commit()
    return run


def _run_row(organisation_id: int) -> DriftRun:
    lock = select(DriftRun).where(DriftRun.organisation_id == organisation_id).with_for_update()
    run = db.session.scalar(lock)
    if run is None:
        try:
            with db.session.begin_nested():
                db.session.add(DriftRun(organisation_id=organisation_id))
        except IntegrityError:
            pass  # another check created it first; the locked read below waits for it
        run = db.session.scalar(lock.execution_options(populate_existing=True))
    return run


def latest_run(organisation_id: int) -> DriftRun | None:
    return db.session.scalar(select(DriftRun).where(DriftRun.organisation_id == organisation_id))


def findings_of(organisation_id: int) -> list[DriftFinding]:
    """The last run's findings with their changes: mismatches first, then writes pending."""
    return list(db.session.scalars(select(DriftFinding).options(selectinload(DriftFinding.change))
                                   .where(DriftFinding.organisation_id == organisation_id)
                                   .order_by(DriftFinding.pending, DriftFinding.change_id)))
