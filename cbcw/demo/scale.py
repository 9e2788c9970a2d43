"""`seed-demo --scale N`: N extra changes with their devices, for load and query-count tests.

The rows are written in bulk (a few multi-row INSERTs per 2,000 changes), not through the lifecycle: 10,000
changes driven one transition at a time would take minutes, and what these changes are for is
volume, not their signals. They still read like real history: each change is spread over its
organisation's companies and users, sits in one of the §2.2 states, has the approvals, times
and timeline entries that state implies (created before submitted before approved …), and
references two devices of its company through `@hostname` in its description.
"""
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from cbcw.accounts.models import User
from cbcw.changes.models import Approval, Change, ChangeDevice, TimelineEntry
from cbcw.db import utcnow
from cbcw.devices.models import Device, DeviceType
from cbcw.extensions import db
from cbcw.organisations.models import Company, Organisation

# How often each state occurs: most changes are history, a few are in flight.
STATE_WEIGHTS = {
    "draft": 8, "pending_approval": 10, "approved": 5, "scheduled": 10, "in_progress": 2,
    "completed": 50, "failed": 5, "cancelled": 10,
}
DEVICES_PER_CHANGE = 2
TITLES = ("Patch {host}", "Replace disk in {host}", "Firmware upgrade on {host}",
          "Move {host} to the new VLAN", "Renew certificate on {host}", "Resize volume on {host}")
# Chunked so a large N never builds one enormous statement (nor an IN list past SQLite's limits).
CHUNK = 2_000


@dataclass
class _History:
    """One generated change: its row, and what happened to it, in order."""

    change: dict[str, Any]
    hostnames: list[str]
    approvals: list[dict[str, Any]] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)


def seed_scale(organisation_id: int, count: int, seed: int = 0) -> int:
    """Add `count` changes (with devices, approvals and timelines) to the organisation.

    Needs at least one company and one non-viewer user; the caller commits. Returns how many
    changes were written.
    """
    if count <= 0:
        return 0
    companies = list(db.session.scalars(
        select(Company).where(Company.organisation_id == organisation_id, Company.active.is_(True))
        .order_by(Company.id)))
    people = list(db.session.scalars(
        select(User).where(User.organisation_id == organisation_id, User.active.is_(True),
                           User.role != "viewer").order_by(User.id)))
    if not companies or not people:
        raise ValueError("the organisation needs an active company and a non-viewer user first")
    device_type = _device_type(organisation_id)
    first_number = _reserve_numbers(organisation_id, count) - count + 1
    rng = random.Random(seed)
    states, weights = zip(*STATE_WEIGHTS.items())
    now = utcnow()
    done = 0
    while done < count:
        size = min(CHUNK, count - done)
        histories = [
            _history(organisation_id, first_number + done + i, companies[(done + i) % len(companies)],
                     people, done + i, rng.choices(states, weights)[0], rng, now)
            for i in range(size)
        ]
        _write(organisation_id, histories, device_type)
        done += size
    return count


def _device_type(organisation_id: int) -> DeviceType:
    device_type = db.session.scalar(
        select(DeviceType).where(DeviceType.organisation_id == organisation_id).order_by(DeviceType.id))
    if device_type is None:
        device_type = DeviceType(organisation_id=organisation_id, name="Server")
        db.session.add(device_type)
        db.session.flush()
    return device_type


def _reserve_numbers(organisation_id: int, count: int) -> int:
    """Take `count` change numbers at once; returns the last one."""
    return db.session.execute(
        update(Organisation).where(Organisation.id == organisation_id)
        .values(change_counter=Organisation.change_counter + count)
        .returning(Organisation.change_counter)
    ).scalar_one()


def _history(organisation_id: int, number: int, company: Company, people: list[User], index: int,
             state: str, rng: random.Random, now: datetime) -> _History:
    """The row and the events of one change that ended up in `state`."""
    def person(offset: int) -> User:
        return people[(index + offset) % len(people)]

    requester, technical, operational, implementer = person(0), person(1), person(2), person(3)
    hostnames = [f"load-{number:06d}-{k}" for k in range(1, DEVICES_PER_CHANGE + 1)]
    created = now - timedelta(days=rng.randint(2, 180), minutes=rng.randint(0, 600))
    if state in ("scheduled", "approved", "pending_approval", "draft"):
        created = now - timedelta(days=rng.randint(1, 14), minutes=rng.randint(0, 600))
    change = {
        "organisation_id": organisation_id, "number": number, "company_id": company.id,
        "title": rng.choice(TITLES).format(host=hostnames[0]),
        "description": "Work on " + " and ".join(f"@{h}" for h in hostnames) + ".",
        "reason": "Routine maintenance", "impact": "Short outage in the window",
        "implementation_plan": "Follow the runbook.", "rollback_plan": "Restore the snapshot.",
        "test_plan": "Check the service responds.", "risk": rng.choice(("low", "medium", "high")),
        "technical_approver_id": technical.id, "operational_approver_id": operational.id,
        "implementer_id": implementer.id, "requires_vcab": False, "state": state,
        "approval_round": 1, "unresolved_mentions": [], "created_by_id": requester.id,
        "created_at": created, "version": 1,
        "completion_notes": "", "test_results": "", "failure_reason": "", "rollback_notes": "",
        "cancel_reason": "", "window_start": None, "window_end": None, "actual_start_at": None,
        "actual_end_at": None, "updated_at": created,
    }  # every row has every key: one executemany per table
    history = _History(change, hostnames)

    def event(when: datetime, actor: User | None, entry_kind: str, message: str, /, **details: Any) -> datetime:
        history.entries.append({
            "organisation_id": organisation_id, "actor_id": actor.id if actor else None, "kind": entry_kind,
            "message": message, "details": details, "created_at": when,
        })
        return when

    at = event(created, requester, "created", f"Created CHG-{number:06d}", number=number)
    for hostname in hostnames:
        event(at, requester, "device_linked", f"Linked device {hostname}", hostname=hostname, mention=hostname)
    if state == "cancelled":
        at = event(at + timedelta(hours=rng.randint(1, 48)), requester, "cancelled",
                   "Cancelled: no longer needed", reason="No longer needed", previous_state="draft")
        change["cancel_reason"] = "No longer needed"
    if state != "draft" and state != "cancelled":
        at = event(at + timedelta(hours=rng.randint(1, 24)), requester, "submitted",
                   "Submitted for approval", round=1)
    if state not in ("draft", "cancelled", "pending_approval"):
        for kind, approver, title in (("technical", technical, "Technical approval"),
                                      ("operational", operational, "Operational approval")):
            at = event(at + timedelta(hours=rng.randint(1, 12)), approver, "approved", title,
                       kind=kind, comment="", round=1)
            history.approvals.append({"organisation_id": organisation_id, "round": 1, "kind": kind,
                                      "approver_id": approver.id, "decision": "approved",
                                      "comment": "", "decided_at": at})
        at = event(at, None, "fully_approved", "Fully approved", round=1)
    if state in ("scheduled", "in_progress", "completed", "failed"):
        if state == "scheduled":
            start = now + timedelta(days=rng.randint(1, 30))
        elif state == "in_progress":
            start = now - timedelta(minutes=rng.randint(5, 90))
        else:
            start = at + timedelta(days=rng.randint(1, 7))
        start = start.replace(minute=0, second=0, microsecond=0)
        end = start + timedelta(hours=rng.randint(1, 4))
        change.update(window_start=start, window_end=end)
        at = event(at + timedelta(hours=1), requester, "scheduled",
                   f"Scheduled, implementer {implementer.display_name}",
                   window_start=start.isoformat(), window_end=end.isoformat(), implementer_id=implementer.id)
        if state != "scheduled":
            change["actual_start_at"] = at = event(start, implementer, "started", "Implementation started",
                                                   started_at=start.isoformat(), implementer_id=implementer.id)
        if state == "completed":
            notes = {"completion_notes": "Done as planned.", "test_results": "Service checks passed."}
            change.update(notes, actual_end_at=end)
            at = event(end, implementer, "completed", "Completed", **notes)
        elif state == "failed":
            notes = {"failure_reason": "The update did not install.", "rollback_notes": "Snapshot restored."}
            change.update(notes, actual_end_at=end)
            at = event(end, implementer, "failed", "Failed - rollback required", **notes)
    change["updated_at"] = at
    return history


def _write(organisation_id: int, histories: list[_History], device_type: DeviceType) -> None:
    """Insert one chunk: changes, their devices and links, approvals and timeline entries.

    Plain multi-row INSERTs (executemany) and one SELECT each for the new ids: INSERT … RETURNING
    in parameter order costs time quadratic in the chunk on SQLite.
    """
    db.session.execute(insert(Change.__table__), [h.change for h in histories])
    numbers = [h.change["number"] for h in histories]
    change_ids = dict(db.session.execute(
        select(Change.number, Change.id).where(Change.organisation_id == organisation_id,
                                               Change.number.between(min(numbers), max(numbers)))).all())
    db.session.execute(insert(Device.__table__), [
        {"organisation_id": organisation_id, "company_id": h.change["company_id"],
         "device_type_id": device_type.id, "hostname": hostname, "attributes": {}, "active": True,
         "created_at": h.change["created_at"], "updated_at": h.change["created_at"]}
        for h in histories for hostname in h.hostnames
    ])
    hostnames = [hostname for h in histories for hostname in h.hostnames]
    device_ids = dict(db.session.execute(
        select(Device.hostname, Device.id).where(Device.organisation_id == organisation_id,
                                                 Device.hostname.in_(hostnames))).all())
    links, approvals, entries = [], [], []
    for h in histories:
        change_id = change_ids[h.change["number"]]
        links += [{"organisation_id": organisation_id, "change_id": change_id, "device_id": device_ids[hostname],
                   "mention": hostname, "created_at": h.change["created_at"]} for hostname in h.hostnames]
        approvals += [{**a, "change_id": change_id} for a in h.approvals]
        entries += [{**e, "change_id": change_id} for e in h.entries]
    for model, rows in ((ChangeDevice, links), (Approval, approvals), (TimelineEntry, entries)):
        if rows:
            db.session.execute(insert(model.__table__), rows)
