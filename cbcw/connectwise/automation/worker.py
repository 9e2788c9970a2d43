"""The delivery worker: runs in every scheduler process (`flask scheduler`) and sends outbox
writes as soon as they are committed (PRODUCT §3.8).

One loop claims the head write of as many tickets as it has free threads and hands each to a
small thread pool, so different tickets' writes go out in parallel while one ticket's stay in
order (only a ticket's oldest pending write can be claimed, see `delivery.claim`). The shared
per-organisation pacer keeps the parallel sends within the pace. It sleeps until woken: by a
PostgreSQL notification, by a finished write (the ticket's next one may be due), or after a
second on SQLite; a write coming due after a backoff or an expired lease of a dead worker is
picked up at the next check (at most `IDLE_SECONDS` apart).
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Optional

from flask import Flask, current_app

from cbcw.connectwise.automation import delivery, wakeup
from cbcw.extensions import db

log = logging.getLogger(__name__)
IDLE_SECONDS = 5.0  # the longest a PostgreSQL worker waits without a notification


def run(stop: threading.Event) -> None:
    """The scheduler's worker: deliver until `stop` is set."""
    Worker(current_app._get_current_object(), current_app.config["CW_DELIVERY_THREADS"]).run(stop)


class Worker:
    """`on_finished(write_id)` is told of each write handled (sent, failed or held), from the
    sending thread; `most_in_flight` is the most writes it had in flight at once."""

    def __init__(self, app: Flask, threads: int, on_finished: Optional[Callable[[int], None]] = None):
        self.app = app
        self.threads = max(1, threads)
        self.owner = delivery.new_owner()
        self.on_finished = on_finished
        self.wake = threading.Event()
        self.ready = threading.Event()  # set once it listens (PostgreSQL) and looks for work
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0

    def run(self, stop: threading.Event) -> None:
        engine = db.engine
        listener = None
        if wakeup.listens(engine):
            ready = threading.Event()
            listener = threading.Thread(target=wakeup.listen, args=(engine, self.wake, stop, ready),
                                        name="cw-outbox-listener", daemon=True)
            listener.start()
            ready.wait(10)
        try:
            with delivery.renewing(self.app, self.owner), ThreadPoolExecutor(self.threads, "cw-deliver") as pool:
                self.ready.set()
                while not stop.is_set():
                    self.wake.clear()  # before looking, so a wake-up while we look is not lost
                    if not self._dispatch(pool):
                        self.wake.wait(self._idle(engine))
        finally:
            db.session.remove()
            if listener is not None:
                listener.join(wakeup.POLL_SECONDS * 2)

    def _dispatch(self, pool: ThreadPoolExecutor) -> bool:
        """Claim and hand out as many writes as there are free threads; True if any was."""
        with self.lock:
            free = self.threads - self.in_flight
        if free <= 0:
            return False
        claimed = delivery.claim(self.owner, limit=free)
        with self.lock:
            self.in_flight += len(claimed)
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        for write_id, check_first in claimed:
            pool.submit(self._send, write_id, check_first)
        return bool(claimed) and len(claimed) == free

    def _idle(self, engine) -> float:
        if not wakeup.listens(engine):
            return wakeup.POLL_SECONDS
        due = delivery.until_next_due(None, None)
        return IDLE_SECONDS if due is None else min(max(due, 0.05), IDLE_SECONDS)

    def _send(self, write_id: int, check_first: bool) -> None:
        with self.app.app_context():
            try:
                report = delivery.deliver_claimed(write_id, check_first)
                if report.failed:
                    log.info("ConnectWise write %s: %s", write_id, report)
            except Exception:  # noqa: BLE001 - the write is tried again later, looked for first
                log.exception("delivering ConnectWise write %s failed", write_id)
                db.session.rollback()
                delivery.release(write_id, self.owner)
            finally:
                db.session.remove()
                with self.lock:
                    self.in_flight -= 1
                self.wake.set()
                if self.on_finished is not None:
                    self.on_finished(write_id)
