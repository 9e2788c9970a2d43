"""Sync 20,000 configurations from the simulator with 100 ms latency into devices (PRODUCT §3.3).

Each measured sync runs in a fresh Python process, so its peak RSS is its own: the 20,000
run is compared with a 2,000 run (streaming means the difference stays small, aim ≤ 50 MB).
The floor is ConnectWise requests × latency; the aim is a whole sync, database writes
included, within 1.3× of it. Then an incremental run with nothing changed (aim ≤ 2 requests).
The database is a fresh SQLite file unless BENCH_DATABASE_URL names another (e.g. PostgreSQL).
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import requests

from benchmarks.paging import ROOT, free_port, start_simulator
from cw_simulator.refs import API_ROOT

LATENCY_MS = 100
SIZES = (2_000, 20_000)


def main() -> None:
    results = {size: _measure_in_child(size) for size in SIZES}
    big, small = results[SIZES[1]], results[SIZES[0]]
    for label, key in (("full sync", "full"), ("incremental, nothing changed", "incremental")):
        run = big[key]
        floor = run["requests"] * LATENCY_MS / 1000
        print(f"{label} of {SIZES[1]:,} configurations ({LATENCY_MS} ms latency):")
        print(f"  devices created:  {run['created']:,}  (unchanged {run['unchanged']:,})")
        print(f"  requests:         {run['requests']}  (floor {floor:.2f} s)")
        print(f"  wall time:        {run['wall']:.2f} s = {run['wall'] / floor:.2f}× the floor")
        print(f"  CPU time:         {run['cpu']:.2f} s in this process (under the floor: the writes hide "
              f"behind the round trips when a core is free; load average now {os.getloadavg()[0]:.1f})")
        if key == "full":
            print(f"  devices/s:        {run['created'] / run['wall']:,.0f}")
    print(f"peak RSS: {big['peak_rss_mb']:.0f} MB for {SIZES[1]:,}, {small['peak_rss_mb']:.0f} MB for "
          f"{SIZES[0]:,} (difference {big['peak_rss_mb'] - small['peak_rss_mb']:.0f} MB)")


def _measure_in_child(size: int) -> dict:
    output = subprocess.run([sys.executable, "-m", "benchmarks.sync", str(size)], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def measure(size: int) -> dict:
    """Full then incremental sync of `size` configurations, in this process."""
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    simulator = start_simulator(port, size)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = _app(os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite")
            with app.app_context():
                organisation_id = _organisation(root + API_ROOT)
                _warm(root + API_ROOT)
                requests.post(f"{root}/_sim/faults", json={"latency_ms": LATENCY_MS}, timeout=5).raise_for_status()
                full = _timed_sync(root, organisation_id, full=True)
                incremental = _timed_sync(root, organisation_id, full=False)
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                _drop(app)
    finally:
        simulator.terminate()
        simulator.wait(10)
    return {"full": full, "incremental": incremental, "peak_rss_mb": peak}


def _app(database_url: str):
    from app import create_app
    from cbcw.config import DevelopmentConfig

    class BenchConfig(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    app = create_app(BenchConfig)
    import logging
    logging.getLogger("cbcw").setLevel(logging.WARNING)
    return app


def _organisation(base_url: str) -> int:
    """An organisation mapped like the demo: three companies, types 1-4 imported, Printer not."""
    from cbcw.accounts.models import User
    from cbcw.connectwise.settings.mappings import get_settings
    from cbcw.connectwise.settings.models import CompanyMapping, ConfigurationTypeMapping
    from cbcw.devices.models import DeviceType
    from cbcw.extensions import db
    from cbcw.organisations.models import Company, Organisation

    db.drop_all()
    db.create_all()
    org = Organisation(name="Bench MSP")
    db.session.add(org)
    db.session.flush()
    settings = get_settings(org.id)
    settings.enabled, settings.base_url, settings.cw_company_id = True, base_url, "demo"
    settings.public_key, settings.private_key = "demopublickey", "demoprivatekey"
    user = User(organisation_id=org.id, email="engineer@demo.test", display_name="Erin", role="engineer")
    user.set_password("bench-password")
    db.session.add(user)
    for cw_id, name in ((101, "Acme"), (102, "Bluewater"), (103, "Northwind")):
        company = Company(organisation_id=org.id, name=name)
        db.session.add(company)
        db.session.flush()
        db.session.add(CompanyMapping(organisation_id=org.id, company_id=company.id, cw_company_id=cw_id,
                                      cw_company_identifier=name, cw_company_name=name))
    for cw_type_id, name in ((1, "Server"), (2, "Switch"), (3, "Workstation"), (4, "Firewall"), (5, None)):
        device_type = DeviceType(organisation_id=org.id, name=name) if name else None
        if device_type:
            db.session.add(device_type)
            db.session.flush()
        db.session.add(ConfigurationTypeMapping(organisation_id=org.id, cw_type_id=cw_type_id,
                                                cw_type_name=name or "Printer",
                                                device_type_id=device_type.id if device_type else None))
    db.session.commit()
    return org.id


def _warm(base_url: str) -> None:
    """One pass without latency so the simulator's query caches are built, as ConnectWise's would be."""
    from cbcw.connectwise.api.client import ConnectWiseClient
    client = ConnectWiseClient(base_url, "demo", "demopublickey", "demoprivatekey", "3f1c2a9e-5b7d-4e8f-9a0b-1c2d3e4f5a6b")
    sum(len(page) for page in client.iter_configuration_pages([1, 2, 3, 4], None))


def _timed_sync(root: str, organisation_id: int, full: bool) -> dict:
    from cbcw.connectwise.sync import runner, runs

    requests.delete(f"{root}/_sim/journal", timeout=5)
    started, cpu_started = time.perf_counter(), time.process_time()
    run = runner.execute(runs.request_run(organisation_id, "cli", full=full, start_now=True).id)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if run.status != "succeeded":
        raise SystemExit(f"the sync failed: {run.error}")
    made = len(requests.get(f"{root}/_sim/journal", timeout=5).json())
    return {"wall": wall, "cpu": cpu, "requests": made, "created": run.created, "unchanged": run.unchanged}


def _drop(app) -> None:
    from cbcw.extensions import db
    db.session.remove()
    db.drop_all()


if __name__ == "__main__":
    if len(sys.argv) == 2:
        print(json.dumps(measure(int(sys.argv[1]))))
    else:
        main()
