"""Lifecycle automation against the simulator in its own process:

1. ConnectWise requests per event for the demo-sized change (creator, two approvers, three vCAB
   members), against the minimum the API allows (one request per write, the ticket's schedule
   entries read once per event that adds resources, the description note read once, and the
   board, its statuses and the members looked up once and cached, not per write);
2. draining 1,000 pending notes at 20 ms latency (writes/s), with the pace off, then at the
   default 10 requests/s.

What a user waits for (nothing, since issue 17) is `benchmarks/lifecycle.py`'s.
"""
from __future__ import annotations

import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

from app import create_app
from benchmarks.paging import free_port, start_simulator
from cbcw.accounts.models import User
from cbcw.changes import operations
from cbcw.changes.fields import ChangeFields, LinkedTicket
from cbcw.changes.unit_of_work import apply
from cbcw.config import TestConfig
from cbcw.connectwise.automation import status_cache
from cbcw.connectwise.automation.delivery import deliver
from cbcw.connectwise.automation.models import OutboxWrite
from cbcw.connectwise.linked import TICKET_SYSTEM
from cbcw.connectwise.settings.mappings import get_settings
from cw_simulator.refs import API_ROOT
from cbcw.extensions import db
from cbcw.organisations.models import Company, Organisation

CLIENT_ID = "3f1c2a9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
PASSWORD = "benchmark-password"
DRAIN_WRITES = 1000
DRAIN_TICKETS = 50
# Minimum requests per event, as the API allows (see the module docstring); the first event also
# pays the one-time lookups (ticket board, board statuses, member matching): + 3.
MINIMUM = {
    "ticket linked": 1 + 1 + 1 + 6 * 2 + 3,  # status, note, read entries, 6 × (entry + note), lookups
    "technical approval": 1, "operational approval": 1, "vCAB approval 1": 1,
    "vCAB approval 2 (fully approved)": 1 + 1,  # note, status
    "scheduled": 1 + 1 + 3 + 2,  # status, read entries, 3 window PATCHes, read + PATCH description
    "implementation started": 1, "completed": 1 + 1,
}


def main() -> None:
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    simulator = start_simulator(port, scale=200)
    with tempfile.TemporaryDirectory() as directory:
        try:
            app = _app(f"sqlite:///{Path(directory) / 'bench.sqlite'}", root + API_ROOT)
            with app.app_context():
                db.create_all()
                people = _organisation(root + API_ROOT)
                _requests_per_event(root, people)
                _drain(app, root, people)
        finally:
            simulator.terminate()
            simulator.wait(10)


def _app(database_url: str, base_url: str):
    class BenchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        CW_CONNECT_TIMEOUT, CW_READ_TIMEOUT = 5.0, 20.0
        CW_CLIENT_ID = CLIENT_ID
        WTF_CSRF_ENABLED = False

    return create_app(BenchConfig)


def _organisation(base_url: str) -> dict:
    org = Organisation(name="Bench MSP")
    db.session.add(org)
    db.session.flush()
    company = Company(organisation_id=org.id, name="Acme")
    people = {}
    for key, email, vcab in (("creator", "engineer@demo.test", False), ("technical", "tech.approver@demo.test", False),
                             ("operational", "ops.approver@demo.test", False), ("vcab1", "vcab1@demo.test", True),
                             ("vcab2", "vcab2@demo.test", True), ("vcab3", "vcab3@demo.test", True)):
        people[key] = User(organisation_id=org.id, email=email, display_name=key.title(), role="engineer",
                           vcab_member=vcab)
        people[key].set_password(PASSWORD)
    db.session.add_all([company, *people.values()])
    settings = get_settings(org.id)
    settings.enabled, settings.base_url, settings.cw_company_id = True, base_url, "demo"
    settings.public_key, settings.private_key = "demopublickey", "demoprivatekey"
    settings.auto_update_status = True
    settings.status_change_created, settings.status_fully_approved = "Change Linked", "Scheduled"
    settings.status_change_scheduled, settings.status_change_completed = "In Progress", "Resolved"
    db.session.commit()
    people["org"], people["company"] = org, company
    return people


def _new_change(people: dict, ticket: int):
    change = operations.create_change(people["org"].id, people["creator"], ChangeFields(**{
        "title": "Replace the core switch", "company_id": people["company"].id, "requires_vcab": True,
        "implementation_plan": "Stage firmware, fail over, swap, verify LACP.", 
        "technical_approver_id": people["technical"].id, "operational_approver_id": people["operational"].id,
        "implementer_id": people["creator"].id}), ticket=LinkedTicket(ticket, system=TICKET_SYSTEM))
    db.session.commit()
    return change


def _requests_per_event(root: str, people: dict) -> None:
    start = datetime.now(timezone.utc) + timedelta(days=3)
    steps = [
        ("ticket linked", lambda change: None),
        ("technical approval", lambda c: (apply(operations.submit, c, people["creator"]),
                                          apply(operations.approve, c, people["technical"], kind="technical"))),
        ("operational approval", lambda c: apply(operations.approve, c, people["operational"], kind="operational")),
        ("vCAB approval 1", lambda c: apply(operations.approve, c, people["vcab1"], kind="vcab")),
        ("vCAB approval 2 (fully approved)", lambda c: apply(operations.approve, c, people["vcab2"], kind="vcab")),
        ("scheduled", lambda c: apply(operations.schedule, c, people["creator"], window_start=start,
                                                window_end=start + timedelta(hours=2),
                                                implementer_id=people["creator"].id)),
        ("implementation started", lambda c: apply(operations.start_implementation, c, people["creator"])),
        ("completed", lambda c: apply(operations.complete, c, people["creator"],
                                                completion_notes="Done", test_results="LACP up")),
    ]
    status_cache.clear()
    requests.delete(f"{root}/_sim/journal", timeout=5)
    change = _new_change(people, 5001)
    print(f"{'event':36} {'requests':>8} {'writes':>6} {'minimum':>7}")
    total = total_min = 0
    for label, act in steps:
        act(change)
        deliver(budget=60)
        journal = requests.get(f"{root}/_sim/journal", timeout=5).json()
        made, written = len(journal), sum(e["method"] != "GET" for e in journal)
        total, total_min = total + made, total_min + MINIMUM[label]
        print(f"{label:36} {made:8} {written:6} {MINIMUM[label]:7}")
        requests.delete(f"{root}/_sim/journal", timeout=5)
    print(f"{'whole lifecycle':36} {total:8} {'':6} {total_min:7}")


def _drain(app, root: str, people: dict) -> None:
    change = _new_change(people, 5002)
    deliver(budget=60)
    requests.post(f"{root}/_sim/faults", json={"latency_ms": 20}, timeout=5).raise_for_status()
    for rate, count in ((0.0, DRAIN_WRITES), (10.0, 100)):
        app.config["CW_REQUESTS_PER_SECOND"] = rate
        tickets = [5001 + n for n in range(DRAIN_TICKETS)]
        db.session.add_all([OutboxWrite(organisation_id=people["org"].id, change_id=change.id,
                                        ticket_id=tickets[n % len(tickets)], event="benchmark", kind="note",
                                        payload={"text": f"Benchmark note {n} [bench-{rate}-{n}]"},
                                        reference=f"bench-{rate}-{n}") for n in range(count)])
        db.session.commit()
        started = time.perf_counter()
        report = deliver(budget=600)
        elapsed = time.perf_counter() - started
        pace = f"pace {rate:g} req/s" if rate else "pace off"
        print(f"drain {count} pending notes at 20 ms latency, {pace}: {report.sent} sent in {elapsed:.1f} s "
              f"= {report.sent / elapsed:.1f} writes/s")
    requests.delete(f"{root}/_sim/faults", timeout=5)
