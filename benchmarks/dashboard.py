"""The dashboard at `/` and its reports (loaded after it) against the changes list, at the demo's size and with 10,000 more changes
(PRODUCT §2.10, issue 22: its statement count does not grow and it loads within 2 × the list).

Both pages are asked in alternation (the same shared, noisy machine for both); the medians of
`REQUESTS` requests each are printed with the statements each request sent.
"""
from __future__ import annotations

import logging
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

SCALE = 10_000
REQUESTS = 20
PAGES = ("/", "/dashboard/reports", "/changes")


def _app(tmp: Path):
    from app import create_app
    from cbcw.config import TestConfig

    config = type("BenchConfig", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite'}", "WTF_CSRF_ENABLED": False})
    return create_app(config)


def _measure(app, client) -> dict[str, tuple[float, int]]:
    """{page: (median ms, statements per request)}."""
    from cbcw.extensions import db

    with app.app_context():
        engine = db.engine
    statements = []
    listener = lambda *args: statements.append(1)  # noqa: E731
    times = {page: [] for page in PAGES}
    counts = {}
    for page in PAGES:  # warm-up
        client.get(page)
    for _ in range(REQUESTS):
        for page in PAGES:
            statements.clear()
            event.listen(engine, "before_cursor_execute", listener)
            started = time.perf_counter()
            assert client.get(page).status_code == 200
            times[page].append((time.perf_counter() - started) * 1000)
            event.remove(engine, "before_cursor_execute", listener)
            counts[page] = len(statements)
    return {page: (statistics.median(times[page]), counts[page]) for page in PAGES}


def main() -> None:
    logging.disable(logging.INFO)
    from cbcw.demo.scale import seed_scale
    from cbcw.demo.seed import seed_demo
    from cbcw.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        app = _app(Path(tmp))
        with app.app_context():
            db.create_all()
            org_id = seed_demo().id
        client = app.test_client()
        client.post("/login", data={"email": "admin@demo.test", "password": "changebreeze"})
        small = _measure(app, client)
        with app.app_context():
            seed_scale(org_id, SCALE)
            db.session.commit()
        large = _measure(app, client)
    print(f"Dashboard vs changes list (SQLite, median of {REQUESTS}):")
    for label, result in (("demo", small), (f"demo + {SCALE:,}", large)):
        list_ms, list_n = result["/changes"]
        print(f"  {label:>14}: /changes {list_ms:6.1f} ms, {list_n} statements")
        for page in PAGES[:2]:
            ms, n = result[page]
            print(f"  {'':>14}  {page:<18} {ms:6.1f} ms, {n} statements, {ms / list_ms:.2f} x the list")


if __name__ == "__main__":
    main()
