"""Page 20,000 configurations from the simulator (20 ms added latency) through the client.

The simulator runs in its own process, as ConnectWise runs on its own machine, so the client
is measured without sharing a GIL with the server. The floor is requests × latency; the figure
to watch is wall time ÷ that floor (aim ≤ 1.3×).
"""
from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

from cbcw.connectwise.api.client import ConnectWiseClient
from cw_simulator.refs import API_ROOT

CONFIGURATIONS = 20_000
LATENCY_MS = 20
RUNS = 3
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_simulator(port: int, scale: int = CONFIGURATIONS) -> subprocess.Popen:
    """The simulator in its own process with `scale` configurations, once it answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cw_simulator", "--port", str(port), "--scale", str(scale)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/_sim/faults", timeout=1)
            return process
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the simulator did not start")


def main() -> None:
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    simulator = start_simulator(port)
    try:
        client = ConnectWiseClient(root + API_ROOT, "demo", "demopublickey", "demoprivatekey",
                                   "3f1c2a9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b")
        types = [t["id"] for t in client.list_configuration_types()]
        companies = [c["id"] for c in client.iter_list("/company/companies")]
        sum(len(page) for page in client.iter_configuration_pages(types, companies))  # warm the server's caches
        requests.post(f"{root}/_sim/faults", json={"latency_ms": LATENCY_MS}, timeout=5).raise_for_status()
        walls = []
        for _ in range(RUNS):
            requests.delete(f"{root}/_sim/journal", timeout=5)
            started = time.perf_counter()
            count = sum(len(page) for page in client.iter_configuration_pages(types, companies))
            walls.append(time.perf_counter() - started)
            journal = requests.get(f"{root}/_sim/journal", timeout=5).json()
            requests_made = len(journal)
    finally:
        simulator.terminate()
        simulator.wait(10)
    floor = requests_made * LATENCY_MS / 1000
    best, median = min(walls), statistics.median(walls)
    print(f"records:        {count}")
    print(f"requests made:  {requests_made}")
    print(f"wall time:      best {best:.3f} s, median {median:.3f} s of {RUNS} runs")
    print(f"records/s:      {count / best:,.0f} (best)")
    print(f"server time:    {statistics.mean(e['ms'] for e in journal):.1f} ms per request (latency included)")
    print(f"wall / (requests × latency): best {best / floor:.2f}×, median {median / floor:.2f}× (floor {floor:.3f} s)")

