"""The change detail page must not wait for ConnectWise; the ticket typeahead must add little to it.

1. Detail page response time with the simulator answering at once and with 300 ms latency on
   every call: the ticket widget loads after the page (`hx-get`), so the ratio should be ~1.0.
   The widget's own request is shown beside it: that is where the latency went.
2. Typeahead: 200 queries through the real view (session, login, tenancy, template); the
   ConnectWise round trip of each is timed around the client's transport and subtracted, which
   leaves the server's own overhead (aim: p95 ≤ 15 ms). Also counts ConnectWise requests per query.

The app runs in this process (Flask test client, a SQLite file); the simulator in its own.
Log lines are switched off (they would measure the terminal). On a shared, loaded machine wall
times include waiting for a CPU, so the typeahead's CPU time per query (this thread, ConnectWise
client work included) is printed too: it does not depend on the machine's load.
"""
from __future__ import annotations

import logging
import statistics
import tempfile
import threading
import time
from pathlib import Path

import requests

from benchmarks.paging import free_port, start_simulator
from cw_simulator.refs import API_ROOT

DETAIL_REQUESTS = 40
ROUNDS = 8
TYPEAHEAD_QUERIES = 200
LATENCY_MS = 300
WORDS = ["switch", "patch", "firewall", "printer", "vpn", "backup", "ssl", "laptop", "migrate", "core",
         "50%", "edge router", "servers dc01", "#5004", "5007", "offline", "upgrade", "renew", "certificate", "file"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _app(root: str, tmp: Path):
    from app import create_app
    from cbcw.config import TestConfig

    config = type("BenchConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite'}", "CW_SIMULATOR_URL": root + API_ROOT,
        "WTF_CSRF_ENABLED": False, "CW_READ_TIMEOUT": 5.0})
    return create_app(config)


def _seed(app):
    from cbcw.changes.models import Change
    from cbcw.connectwise.linked import linked_to_connectwise
    from cbcw.demo.seed import check_demo_connectwise, seed_demo
    from cbcw.extensions import db

    with app.app_context():
        db.create_all()
        org = seed_demo()
        check_demo_connectwise(org)
        change = db.session.scalar(db.select(Change).where(linked_to_connectwise(),
                                                           Change.state == "draft").order_by(Change.id))
        return change.id, change.company_id


class CallTimer:
    """Wall time spent inside ConnectWise calls on this thread, summed per request."""

    def __init__(self):
        from cbcw.connectwise.api.client import ConnectWiseClient

        self.local = threading.local()
        original = ConnectWiseClient._send

        def timed(client, *args, **kwargs):
            started = time.perf_counter()
            try:
                return original(client, *args, **kwargs)
            finally:
                self.local.spent = getattr(self.local, "spent", 0.0) + time.perf_counter() - started
                self.local.calls = getattr(self.local, "calls", 0) + 1

        ConnectWiseClient._send = timed

    def reset(self) -> None:
        self.local.spent, self.local.calls = 0.0, 0


def _timed_get(client, url: str, cpu: list | None = None) -> float:
    started, started_cpu = time.perf_counter(), time.thread_time()
    response = client.get(url, headers={"HX-Request": "true"} if "connectwise" in url else {})
    elapsed = time.perf_counter() - started
    if cpu is not None:
        cpu.append(time.thread_time() - started_cpu)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")
    return elapsed


def main() -> None:
    logging.disable(logging.INFO)
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    simulator = start_simulator(port, scale=200)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = _app(root, Path(tmp))
            change_id, company_id = _seed(app)
            timer = CallTimer()
            client = app.test_client()
            client.post("/login", data={"email": "engineer@demo.test", "password": "changebreeze"})
            detail, widget = f"/changes/{change_id}", f"/changes/{change_id}/connectwise-ticket?refresh=1"
            pages = {0: [], LATENCY_MS: [], "widget0": [], f"widget{LATENCY_MS}": []}
            for _ in range(5):
                _timed_get(client, detail)
            requests.delete(f"{root}/_sim/journal", timeout=5)
            # Rounds alternate the latency, so both sides see the same (shared, noisy) machine.
            for _ in range(ROUNDS):
                for latency in (0, LATENCY_MS):
                    requests.post(f"{root}/_sim/faults", json={"latency_ms": latency}, timeout=5).raise_for_status()
                    pages[latency] += [_timed_get(client, detail) for _ in range(DETAIL_REQUESTS // ROUNDS)]
            detail_cw_calls = len(requests.get(f"{root}/_sim/journal", timeout=5).json())
            for latency in (0, LATENCY_MS):
                requests.post(f"{root}/_sim/faults", json={"latency_ms": latency}, timeout=5).raise_for_status()
                pages[f"widget{latency}"] = [_timed_get(client, widget) for _ in range(5)]
            requests.delete(f"{root}/_sim/faults", timeout=5)

            search = f"/connectwise/companies/{company_id}/tickets?linked_ticket_query="
            for word in WORDS[:5]:
                _timed_get(client, search + requests.utils.quote(word))
            requests.delete(f"{root}/_sim/journal", timeout=5)
            overheads, round_trips, cpu = [], [], []
            for n in range(TYPEAHEAD_QUERIES):
                timer.reset()
                wall = _timed_get(client, search + requests.utils.quote(WORDS[n % len(WORDS)]), cpu)
                overheads.append(wall - timer.local.spent)
                round_trips.append(timer.local.spent)
            cw_requests = len(requests.get(f"{root}/_sim/journal", timeout=5).json())
    finally:
        simulator.terminate()
        simulator.wait(10)
        logging.disable(logging.NOTSET)

    ms = lambda seconds: f"{seconds * 1000:.1f} ms"  # noqa: E731
    fast, slow = statistics.median(pages[0]), statistics.median(pages[LATENCY_MS])
    print("Change detail page (ticket widget loads after the page):")
    print(f"  simulator latency 0 ms:    p50 {ms(fast)}, p95 {ms(percentile(pages[0], .95))}")
    print(f"  simulator latency {LATENCY_MS} ms:  p50 {ms(slow)}, p95 {ms(percentile(pages[LATENCY_MS], .95))}")
    print(f"  ratio (p50 slow / fast):   {slow / fast:.2f}")
    print(f"  ConnectWise requests made by {2 * DETAIL_REQUESTS} page loads: {detail_cw_calls}")
    print(f"  widget request itself:     p50 {ms(statistics.median(pages['widget0']))} → "
          f"{ms(statistics.median(pages[f'widget{LATENCY_MS}']))} with latency")
    print(f"Ticket typeahead, {TYPEAHEAD_QUERIES} queries:")
    print(f"  ConnectWise requests per query: {cw_requests / TYPEAHEAD_QUERIES:.2f}")
    print(f"  ConnectWise round trip:    p50 {ms(statistics.median(round_trips))}, p95 {ms(percentile(round_trips, .95))}")
    print(f"  server overhead beyond it: p50 {ms(statistics.median(overheads))}, p95 {ms(percentile(overheads, .95))}"
          " (aim p95 ≤ 15 ms)")
    print(f"  CPU time per query:        p50 {ms(statistics.median(cpu))}, p95 {ms(percentile(cpu, .95))}"
          " (server and client work, no waiting)")


if __name__ == "__main__":
    main()
