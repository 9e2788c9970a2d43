"""The scheduler's delivery worker (PRODUCT §3.8), over real sockets and real commits: it starts
within a second of the commit (NOTIFY on PostgreSQL, a one-second poll on SQLite), sends several
tickets at once and each ticket in order, and a worker killed mid-write is taken over without
sending the write twice."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from cbcw.connectwise.automation import delivery
from cbcw.connectwise.automation.models import OutboxWrite
from cbcw.extensions import db as _db
from tests.automation.conftest import committed_outbox
from tests.fixtures.delivery_worker import delivery_worker

TICKETS = (5001, 5002, 5004, 5005)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def running_worker(shared_app):
    """Start workers on the shared database (as the scheduler does); stopped after the test."""
    with ExitStack() as stack:
        yield lambda threads=4: stack.enter_context(delivery_worker(shared_app, threads))


def _rows(shared_app) -> list[OutboxWrite]:
    with shared_app.app_context():
        rows = _db.session.scalars(_db.select(OutboxWrite).order_by(OutboxWrite.id)).all()
        _db.session.expunge_all()
        _db.session.remove()
    return rows


def test_the_worker_starts_within_a_second_and_sends_tickets_in_parallel_each_in_order(
        shared_app, cw_sim, running_worker):
    """Idle, then woken by a commit: the first write is done within a second (plus its own
    requests), several tickets are in flight at once, and each ticket's writes go in id order."""
    worker, finished = running_worker(threads=4)
    cw_sim.faults(latency_ms=50)
    pending = committed_outbox(shared_app, cw_sim, TICKETS)
    committed = time.monotonic()
    assert finished.wait(pending)
    assert finished.times[0] - committed < 1.5  # at most a one-second wait, then a few 50 ms requests
    assert worker.most_in_flight > 1
    rows = _rows(shared_app)
    assert {r.state for r in rows} <= {"sent", "skipped"} and all(r.attempts == 1 for r in rows)
    for ticket in TICKETS:
        mine = [r for r in rows if r.ticket_id == ticket]
        assert sorted(mine, key=lambda r: r.finished_at) == mine


def test_a_claim_stands_while_renewed_and_lapses_when_its_owner_stops(shared_app, cw_sim):
    """A deliverer's renewed lease keeps others off its write; once it stops renewing (killed),
    another claims it and is told to look for it on the ticket before sending it again."""
    committed_outbox(shared_app, cw_sim, (5001,), cancel=False)
    with shared_app.app_context():
        [(write_id, check_first)] = delivery.claim("dead-worker", limit=1)
        assert check_first is False
        assert delivery.renew_leases("dead-worker") == 1
        assert delivery.claim("taker", limit=5) == []  # every other write of the ticket waits behind it
        _db.session.execute(_db.update(OutboxWrite).where(OutboxWrite.id == write_id)
                            .values(lease_until=_db.func.current_timestamp()))  # no renewal came
        _db.session.commit()
        assert delivery.claim("taker", limit=5) == [(write_id, True)]
        _db.session.remove()


def _scheduler_process(shared_app, lease_seconds: int, log_path: Path) -> subprocess.Popen:
    """`flask scheduler` in a process of its own on the shared database."""
    env = {**os.environ, "CBCW_ENV": "testing", "TEST_DATABASE_URL": shared_app.config["SQLALCHEMY_DATABASE_URI"],
           "CW_DELIVERY_LEASE_SECONDS": str(lease_seconds), "PYTHONPATH": str(ROOT)}
    with log_path.open("wb") as log:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "scheduler"], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)


def _note_reached_connectwise(cw_sim, reference: str, timeout: float = 60) -> bool:
    """Wait until the simulator holds a note ending in `reference` (it stores a write before its answer)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        notes = cw_sim.raw("GET", "/service/tickets/5001/notes", params={"pageSize": 1000}).json()
        if any(reference in (n.get("text") or "") for n in notes):
            return True
    return False


def test_a_worker_killed_mid_write_is_taken_over_without_a_second_note(shared_app, cw_sim, running_worker, tmp_path):
    """A scheduler process is SIGKILLed while ConnectWise holds back its answer to a note it has
    stored: another worker takes the ticket over once the lease lapses, finds the note, and does
    not post it again; the ticket's later writes follow."""
    lease = 3
    pending = committed_outbox(shared_app, cw_sim, (5001,), cancel=False)
    note = next(r for r in _rows(shared_app) if r.kind == "note")
    cw_sim.faults(hang_after_commit=True, paths="/notes", methods=["POST"])
    process = _scheduler_process(shared_app, lease, tmp_path / "scheduler.log")
    try:
        assert _note_reached_connectwise(cw_sim, note.reference), (tmp_path / "scheduler.log").read_text()
        os.kill(process.pid, signal.SIGKILL)
        killed = time.monotonic()
        process.wait(10)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(10)
    cw_sim.faults()
    _, finished = running_worker(threads=2)
    done_before = sum(r.state != "pending" for r in _rows(shared_app))
    assert finished.wait(pending - done_before)
    taken_over = finished.times[finished.ids.index(note.id)] - killed
    assert taken_over < lease + 3
    rows = _rows(shared_app)
    assert {r.state for r in rows} <= {"sent", "skipped"}
    mine = next(r for r in rows if r.id == note.id)
    assert mine.attempts == 2 and "an earlier attempt had reached ConnectWise" in mine.result["summary"]
    notes = cw_sim.raw("GET", "/service/tickets/5001/notes", params={"pageSize": 1000}).json()
    assert sum(note.reference in (n.get("text") or "") for n in notes) == 1
