"""What a user waits for, and how long ConnectWise waits for us (issue 17, PRODUCT §3.8).

Against the simulator in its own process, at 0 ms and at 300 ms of latency, side by side:

1. the time a user waits for each lifecycle action on a change linked to a ticket, over HTTP to
   the app on a loopback server (create with the ticket the typeahead offered, submit, each
   approval, schedule, start, complete), p50 and p95 over `CHANGES` changes, with the delivery
   worker running meanwhile (`flask scheduler` in a process of its own, as in production);
2. a burst: `CHANGES` whole lifecycles committed at once, then the time from that commit to the
   last write ConnectWise accepted, next to its floor: requests × latency ÷ the parallelism the
   pace allows (at most `CW_DELIVERY_THREADS` in flight, and `CW_REQUESTS_PER_SECOND` × latency),
   and never below requests ÷ the pace.

The targets: each action at 300 ms within 10 % of 0 ms, and p95 under 0.3 s. The database is a
SQLite file unless BENCH_DATABASE_URL names an empty PostgreSQL database (the production shape:
the worker is woken by NOTIFY, and the web requests never wait for SQLite's one writer).
"""
from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
from werkzeug.serving import make_server

from benchmarks.outbox import CLIENT_ID, PASSWORD, _app, _organisation
from cbcw.accounts.models import User
from benchmarks.paging import free_port, start_simulator
from cbcw.changes import operations
from cbcw.changes.fields import ChangeFields, LinkedTicket
from cbcw.connectwise.automation import status_cache
from cbcw.connectwise.automation.models import OutboxWrite
from cbcw.connectwise.linked import TICKET_SYSTEM
from cbcw.connectwise.settings.models import CompanyMapping
from cbcw.extensions import db
from cbcw.organisations.models import Company
from cw_simulator.refs import API_ROOT
from cw_simulator.seed import build_seed

ROOT = Path(__file__).resolve().parents[1]
CHANGES = 10  # per latency, each on an open ticket of its own: completing a change resolves (closes) its ticket
LATENCIES_MS = (0, 300)
CW_COMPANIES = {101: "acme", 102: "contoso"}  # the simulator's; their tickets on boards 1 and 2 have every status
ACTIONS = ("create", "submit", "technical approval", "operational approval", "schedule", "start", "complete")
TARGET_P95 = 0.3
PACE = 10.0  # the production default of CW_REQUESTS_PER_SECOND (the test configuration turns it off)


def main() -> None:
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    simulator = start_simulator(port, scale=50)
    with tempfile.TemporaryDirectory() as directory:
        try:
            app = _app(os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{Path(directory) / 'lifecycle.sqlite'}",
                       root + API_ROOT)
            app.config["CW_REQUESTS_PER_SECOND"] = PACE
            with app.app_context():
                db.drop_all()
                db.create_all()
                people = _organisation(root + API_ROOT)
                second = Company(organisation_id=people["org"].id, name="Contoso")
                db.session.add(second)
                db.session.flush()
                companies = dict(zip(CW_COMPANIES, (people["company"].id, second.id)))
                db.session.add_all([CompanyMapping(organisation_id=people["org"].id, company_id=companies[cw_id],
                                                   cw_company_id=cw_id, cw_company_identifier=identifier,
                                                   cw_company_name=identifier.title())
                                    for cw_id, identifier in CW_COMPANIES.items()])
                db.session.commit()
                ids = {key: person.id for key, person in people.items()} | {"companies": companies}
            _run(app, root, ids)
            with app.app_context():
                db.drop_all()
        finally:
            simulator.terminate()
            simulator.wait(10)


def _run(app, root: str, ids: dict) -> None:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    web = f"http://127.0.0.1:{server.server_port}"
    bursts = {}
    try:
        requests.post(f"{root}/_sim/reset", timeout=30).raise_for_status()
        with _worker(app, root) as worker:
            waits = _user_waits(web, root, ids, worker)
        for latency in LATENCIES_MS:
            requests.post(f"{root}/_sim/reset", timeout=30).raise_for_status()  # the tickets open again
            _faults(root, latency_ms=latency)
            with app.app_context():
                status_cache.clear()
            with _worker(app, root) as worker:
                bursts[latency] = _burst(app, root, ids, worker)
            _faults(root)
    finally:
        server.shutdown()
        serving.join(5)
    _report(app, waits, bursts)


def _faults(root: str, **settings) -> None:
    requests.post(f"{root}/_sim/faults", json=settings, timeout=5).raise_for_status()


class _worker:
    """`flask scheduler` in a process of its own, as in production (its delivery worker does not
    share this process's interpreter with the web server); the bench polls the outbox."""

    def __init__(self, app, root: str):
        self.app, self.root = app, root

    def __enter__(self):
        self.log = tempfile.NamedTemporaryFile(prefix="bench-scheduler-", suffix=".log")
        env = {**os.environ, "CBCW_ENV": "development", "DATABASE_URL": self.app.config["SQLALCHEMY_DATABASE_URI"],
               "CW_CLIENT_ID": CLIENT_ID, "CW_REQUESTS_PER_SECOND": str(PACE), "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "scheduler"], cwd=ROOT,
                                        env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while b"Scheduler running" not in Path(self.log.name).read_bytes():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit("the scheduler did not start:\n" + Path(self.log.name).read_text())
            time.sleep(0.1)
        return self

    def wait_until_drained(self, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while _pending(self.app) and time.monotonic() < deadline:
            time.sleep(0.05)

    def last_finished(self) -> datetime:
        with self.app.app_context():
            last = db.session.scalar(db.select(db.func.max(OutboxWrite.finished_at)))
            db.session.remove()
        return last

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.log.close()


def _pending(app) -> int:
    with app.app_context():
        count = db.session.scalar(db.select(db.func.count()).select_from(OutboxWrite)
                                  .where(OutboxWrite.state == "pending"))
        db.session.remove()
    return count


def _tickets() -> list[tuple[int, int]]:
    """(ConnectWise company, ticket) of every open seeded ticket the bench may link."""
    tickets = build_seed()["collections"]["tickets"]
    tickets = tickets.values() if isinstance(tickets, dict) else tickets
    return sorted((t["company"]["id"], t["id"]) for t in tickets
                  if t["company"]["id"] in CW_COMPANIES and t["board"]["id"] in (1, 2) and not t["closedFlag"])


def _session(web: str, email: str) -> requests.Session:
    session = requests.Session()
    response = session.post(f"{web}/login", data={"email": email, "password": PASSWORD}, allow_redirects=False)
    assert response.status_code == 302, response.status_code
    return session


def _user_waits(web: str, root: str, ids: dict, worker: _worker) -> dict[int, dict[str, list[float]]]:
    """Each action's wait, over HTTP, for CHANGES changes per latency, the latencies taking turns
    change by change (so both see the same load on the machine), each on a ticket of its own."""
    emails = {"creator": "engineer@demo.test", "technical": "tech.approver@demo.test",
              "operational": "ops.approver@demo.test"}
    users = {key: _session(web, email) for key, email in emails.items()}
    waits = {latency: {action: [] for action in ACTIONS} for latency in LATENCIES_MS}
    tickets = _tickets()
    latency = LATENCIES_MS[0]
    start = datetime.now(timezone.utc) + timedelta(days=30)

    def timed(action: str, user: str, path: str, data: dict) -> requests.Response:
        began = time.perf_counter()
        response = users[user].post(web + path, data=data, allow_redirects=False)
        waits[latency][action].append(time.perf_counter() - began)
        assert response.status_code == 302, (action, response.status_code, response.text)
        return response

    for n in range(CHANGES * len(LATENCIES_MS)):
        latency = LATENCIES_MS[n % len(LATENCIES_MS)]
        _faults(root, latency_ms=latency)
        cw_company, ticket = tickets[n]
        company = ids["companies"][cw_company]
        users["creator"].get(f"{web}/connectwise/companies/{company}/tickets",
                             params={"linked_ticket_query": f"#{ticket}"}, headers={"HX-Request": "true"})
        created = timed("create", "creator", "/changes/new", {
            "title": f"Replace the core switch {n}", "company_id": company, "risk": "low",
            "implementation_plan": "Stage firmware, fail over, swap, verify LACP.",
            "technical_approver_id": ids["technical"], "operational_approver_id": ids["operational"],
            "implementer_id": ids["creator"], "linked_ticket_id": ticket})
        change = created.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
        window = start + timedelta(days=n)
        timed("submit", "creator", f"/changes/{change}/submit", {})
        timed("technical approval", "technical", f"/changes/{change}/approve", {"decision-kind": "technical"})
        timed("operational approval", "operational", f"/changes/{change}/approve", {"decision-kind": "operational"})
        timed("schedule", "creator", f"/changes/{change}/schedule", {
            "schedule-window_start": window.strftime("%Y-%m-%dT%H:%M"),
            "schedule-window_end": (window + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "schedule-implementer_id": ids["creator"], "schedule-confirm_conflicts": "y"})
        timed("start", "creator", f"/changes/{change}/start", {})
        timed("complete", "creator", f"/changes/{change}/complete", {
            "complete-completion_notes": "Swapped", "complete-test_results": "LACP up"})
    worker.wait_until_drained()
    _faults(root)
    return waits


def _burst(app, root: str, ids: dict, worker: _worker) -> dict:
    """CHANGES whole lifecycles in one transaction; from its commit to the last write accepted."""
    requests.delete(f"{root}/_sim/journal", timeout=5)
    tickets = _tickets()
    with app.app_context():
        people = {key: db.session.get(User, ids[key]) for key in ("creator", "technical", "operational")}
        start = datetime.now(timezone.utc) + timedelta(days=400)
        for n in range(CHANGES):
            cw_company, ticket = tickets[n]
            change = operations.create_change(ids["org"], people["creator"], ChangeFields(**{
                "title": f"Burst {n}", "company_id": ids["companies"][cw_company], "implementer_id": ids["creator"],
                "technical_approver_id": ids["technical"], "operational_approver_id": ids["operational"]}),
                ticket=LinkedTicket(ticket, system=TICKET_SYSTEM))
            db.session.flush()
            operations.submit(change, people["creator"])
            operations.approve(change, people["technical"], kind="technical")
            operations.approve(change, people["operational"], kind="operational")
            window = start + timedelta(days=n)
            operations.schedule(change, people["creator"], window_start=window, window_end=window + timedelta(hours=2),
                                implementer_id=ids["creator"])
            operations.start_implementation(change, people["creator"])
            operations.complete(change, people["creator"], completion_notes="Done", test_results="Fine")
            db.session.flush()
        writes = db.session.scalar(db.select(db.func.count()).select_from(OutboxWrite)
                                   .where(OutboxWrite.state == "pending"))  # unseen by the worker until the commit
        db.session.commit()
        committed = datetime.now(timezone.utc)
        db.session.remove()
    worker.wait_until_drained()
    journal = requests.get(f"{root}/_sim/journal", timeout=5).json()
    return {"writes": writes, "requests": len(journal), "seconds": (worker.last_finished() - committed).total_seconds()}


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def _report(app, waits: dict, bursts: dict) -> None:
    slow, fast = max(LATENCIES_MS), min(LATENCIES_MS)
    print(f"User waits per lifecycle action, linked ticket, {CHANGES} changes (seconds; delivery worker running; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):")
    print(f"{'action':22} " + " ".join(f"{f'p50 @{ms}ms':>10} {f'p95 @{ms}ms':>10}" for ms in LATENCIES_MS)
          + f" {'p50 ratio':>9}  {'≤ +10 %':>7}  p95 < {TARGET_P95:g} s")
    for action in ACTIONS:
        cells, p50 = [], {}
        for ms in LATENCIES_MS:
            p50[ms] = statistics.median(waits[ms][action])
            cells.append(f"{p50[ms]:10.3f} {_percentile(waits[ms][action], 0.95):10.3f}")
        ratio = p50[slow] / p50[fast] if p50[fast] else float("inf")
        quick = all(_percentile(waits[ms][action], 0.95) < TARGET_P95 for ms in LATENCIES_MS)
        print(f"{action:22} " + " ".join(cells) + f" {ratio:9.2f}  {'met' if ratio <= 1.10 else 'MISSED':>7}  "
              f"{'met' if quick else 'MISSED'}")
    rate, threads = app.config["CW_REQUESTS_PER_SECOND"], app.config["CW_DELIVERY_THREADS"]
    print(f"\nA burst of {CHANGES} whole lifecycles committed at once: commit → last write accepted "
          f"({threads} threads, pace {rate:g} req/s):")
    for ms in LATENCIES_MS:
        b, latency = bursts[ms], ms / 1000
        parallel = min(threads, rate * latency) if latency and rate else threads
        floor = max(b["requests"] * latency / parallel if latency else 0.0, b["requests"] / rate if rate else 0.0)
        print(f"  at {ms:3} ms: {b['writes']} writes, {b['requests']} requests in {b['seconds']:.1f} s; "
              f"floor {floor:.1f} s (requests × latency ÷ {parallel:g} in flight, at least requests ÷ pace)")


if __name__ == "__main__":
    main()
