"""Page 20,000 configurations from the simulator (20 ms added latency) through the client.

The floor is requests × latency; the figure to watch is wall time ÷ that floor (aim ≤ 1.3×).
"""
from __future__ import annotations

import logging
import statistics
import threading
import time

from werkzeug.serving import make_server

from cbcw.connectwise.client import ConnectWiseClient
from cbcw.connectwise.simulator import create_simulator_app
from cbcw.connectwise.simulator.refs import API_ROOT

CONFIGURATIONS = 20_000
LATENCY_MS = 20
RUNS = 3


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = create_simulator_app(scale=CONFIGURATIONS)
    simulator = app.extensions["cw_sim"]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = ConnectWiseClient(f"http://127.0.0.1:{server.server_port}{API_ROOT}", "demo", "demopublickey",
                                   "demoprivatekey", "3f1c2a9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b")
        types = [t["id"] for t in client.list_configuration_types()]
        companies = sorted({c["company"]["id"] for c in simulator.store.all("configurations")})
        simulator.faults.set(simulator.faults.settings.__class__(latency_ms=LATENCY_MS))
        walls = []
        for _ in range(RUNS):
            simulator.journal.clear()
            started = time.perf_counter()
            count = sum(1 for _ in client.iter_configurations(types, companies))
            walls.append(time.perf_counter() - started)
            requests_made = len(simulator.journal.list())
    finally:
        server.shutdown()
        thread.join(5)
    floor = requests_made * LATENCY_MS / 1000
    best, median = min(walls), statistics.median(walls)
    print(f"records:        {count}")
    print(f"requests made:  {requests_made}")
    print(f"wall time:      best {best:.3f} s, median {median:.3f} s of {RUNS} runs")
    print(f"records/s:      {count / best:,.0f} (best)")
    print(f"wall / (requests × latency): best {best / floor:.2f}×, median {median / floor:.2f}× (floor {floor:.3f} s)")


if __name__ == "__main__":
    main()
