"""Pages at 10,000 changes (issue 17): each page's server time next to the changes list's, in one run.

The demo organisation plus `seed_scale(SCALE)` changes (what `flask seed-demo --scale N` writes) in
a SQLite file, or in the empty database BENCH_DATABASE_URL names (PostgreSQL). The app runs in this
process (Flask test client): the time of a request is the server's own, from the WSGI call to its
last byte. A streamed CSV also shows its first byte (what a user waits for before the download
starts). Every page is requested ROUNDS times, the pages interleaved so all see the same (shared,
noisy) machine; the median is printed with its multiple of the changes list's median.
`--only calendar` measures just the pages whose name holds that text (the list always runs, as the
base); `--scale N` seeds N changes instead of 10,000.

Targets: nothing slower than 3 × the list (a CSV to its last byte included); a CSV's first byte
within 0.5 s. The calendar's figures are what the calendar on this branch does.
"""
from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

SCALE = 10_000
ROUNDS = 3
LIST_MULTIPLE = 3.0
FIRST_BYTE_SECONDS = 0.5
USER = "engineer@demo.test"


def _app(tmp: Path):
    from app import create_app
    from cbcw.config import TestConfig

    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp / 'pages.sqlite'}"
    return create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False}))


def _seed(app, scale: int) -> int:
    """The demo organisation with `scale` more changes; returns a scaled change (with its devices)."""
    from sqlalchemy import func

    from cbcw.changes.models import Change
    from cbcw.demo.scale import seed_scale
    from cbcw.demo.seed import seed_demo
    from cbcw.extensions import db

    with app.app_context():
        db.create_all()
        org = seed_demo()
        started = time.perf_counter()
        seed_scale(org.id, scale)
        db.session.commit()
        print(f"Seeded {scale:,} changes in {time.perf_counter() - started:.1f} s "
              f"({db.engine.url.get_backend_name()}).")
        return db.session.scalar(db.select(func.max(Change.id)))


def _get(client, url: str) -> tuple[float, float, int, float]:
    """(seconds to the first byte of the body, seconds to the last, bytes, CPU seconds of this thread)
    of one GET. The CPU time does not count waiting for a core, which on a shared machine is most of
    a slow wall time (nor, on PostgreSQL, the database server's own work)."""
    started, started_cpu = time.perf_counter(), time.thread_time()
    response = client.get(url, buffered=False)
    first, size = None, 0
    for chunk in response.response:
        if first is None and chunk:
            first = time.perf_counter() - started
        size += len(chunk)
    response.close()
    total = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")
    return first if first is not None else total, total, size, time.thread_time() - started_cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pages", description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="measure only the pages whose name holds this text (and the list)")
    parser.add_argument("--scale", type=int, default=SCALE, help=f"changes to seed (default {SCALE:,})")
    args = parser.parse_args(argv)
    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(Path(tmp))
        change_id = _seed(app, args.scale)
        pages = {
            "changes list": "/changes",
            "a change page": f"/changes/{change_id}",
            "/calendar (week)": "/calendar",
            "/calendar?view=month": "/calendar?view=month",
            "/reports/device-changes": "/reports/device-changes",
            "  … its page 400 (of 401)": "/reports/device-changes?page=400",
            "  … its CSV": "/reports/device-changes?format=csv",
            "/changes?format=csv": "/changes?format=csv",
        }
        pages = {name: url for name, url in pages.items() if name == "changes list" or args.only in name}
        client = app.test_client()
        client.post("/login", data={"email": USER, "password": "changebreeze"})
        sizes = {name: _get(client, url)[2] for name, url in pages.items()}  # warm-up
        firsts, totals, cpus = ({name: [] for name in pages} for _ in range(3))
        for _ in range(ROUNDS):
            for name, url in pages.items():
                first, total, _size, cpu = _get(client, url)
                firsts[name].append(first)
                totals[name].append(total)
                cpus[name].append(cpu)
    logging.disable(logging.NOTSET)
    _report(pages, firsts, totals, cpus, sizes, args.scale)


def _report(pages: dict, firsts: dict, totals: dict, cpus: dict, sizes: dict, scale: int) -> None:
    base = statistics.median(totals["changes list"])
    print(f"Server time at {scale:,} changes, median of {ROUNDS} (× the changes list; aim ≤ {LIST_MULTIPLE:g}×):")
    misses = []
    for name in pages:
        total, first = statistics.median(totals[name]), statistics.median(firsts[name])
        streamed = "csv" in pages[name]
        cpu = statistics.median(cpus[name])
        line = (f"  {name:<26} {total * 1000:8.0f} ms  {total / base:5.1f}×  CPU {cpu * 1000:6.0f} ms"
                f"  {sizes[name] / 1024:6.0f} KiB")
        if streamed:
            line += f"   first byte {first * 1000:.0f} ms"
            if first > FIRST_BYTE_SECONDS:
                misses.append(f"{name.strip(' …')}: first byte {first:.2f} s")
        if total > LIST_MULTIPLE * base:
            misses.append(f"{name.strip(' …')}: {total / base:.1f}× the list" + (" (to its last byte)" if streamed else ""))
        print(line)
    print("  Over target: " + ("; ".join(misses) if misses else "none"))


if __name__ == "__main__":
    main()
