"""Re-apply: plan the writes a drifted ticket is missing into the outbox, for one change. They
are delivered like any other write (by the scheduler's delivery worker) and show on the
Integration activity page; the executors make them idempotent (a member already on the ticket is
not added twice; an existing entry gets the window moved, not a second entry).

A finding is re-applied once however many press at the same moment: it is claimed by one
conditional UPDATE (`reapplied_at` still empty) whose row count only one transaction wins, on
SQLite as on PostgreSQL (no row lock needed, which SQLite does not have)."""
from __future__ import annotations

from sqlalchemy import update

from cbcw.connectwise.automation import planning
from cbcw.connectwise.automation.models import OutboxWrite
from cbcw.connectwise.automation.reactions import store_planned
from cbcw.connectwise.settings.mappings import active_settings
from cbcw.connectwise.drift.check import member_ids
from cbcw.connectwise.drift.expected import expected_state
from cbcw.connectwise.drift.models import DriftFinding
from cbcw.db import utcnow
from cbcw.extensions import db

EVENT = "drift-reapply"
ALREADY = "{} was already re-applied; press Check now to see whether the ticket matches."


class Refused(Exception):
    """Nothing can be re-applied for this finding; str() says why, in plain words."""


def reapply(finding: DriftFinding) -> list[OutboxWrite]:
    """Add the missing writes to the session (the caller commits): the expected status when the
    status differed, a resource write for each member missing or with the wrong window. What is
    expected is worked out again now, so a change edited since the check gets today's values."""
    change = finding.change
    if finding.pending or not finding.problems:
        raise Refused(f"{change.reference} has no mismatch to re-apply.")
    if finding.reapplied_at is not None:
        raise Refused(ALREADY.format(change.reference))
    if any(problem.get("kind") == "ticket_gone" for problem in finding.problems):
        raise Refused(f"Ticket #{finding.ticket_id} no longer exists: link {change.reference} to another ticket.")
    settings = active_settings(change.organisation_id)
    if settings is None:
        raise Refused("The ConnectWise integration is switched off or not fully configured.")
    expected = expected_state(change, settings, member_ids(change.organisation_id))
    if expected is None or expected.ticket_id != finding.ticket_id:
        raise Refused(f"{change.reference} has changed since the check (its state or ticket): press Check now.")
    kinds = {problem.get("kind") for problem in finding.problems}
    users = {problem.get("user_id") for problem in finding.problems if problem.get("kind") in ("missing", "window")}
    wanted = [resource for resource in expected.resources if resource.user.id in users]
    planned = planning.repair(
        change, settings, expected.status_event if "status" in kinds and expected.status else None,
        [(r.user, role) for r in wanted if r.window is None for role in r.roles],
        [(r.user, role) for r in wanted if r.window is not None for role in r.roles])
    if not planned:
        raise Refused(f"What {change.reference} expects has changed since the check: press Check now.")
    if not _claim(finding):
        raise Refused(ALREADY.format(change.reference))
    return store_planned(change, finding.ticket_id, EVENT, planned)


def _claim(finding: DriftFinding) -> bool:
    """Mark the finding re-applied unless someone else just did; True for the one who did."""
    taken = db.session.execute(
        update(DriftFinding).where(DriftFinding.id == finding.id, DriftFinding.reapplied_at.is_(None))
        .values(reapplied_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    db.session.expire(finding, ["reapplied_at"])
    return taken == 1
