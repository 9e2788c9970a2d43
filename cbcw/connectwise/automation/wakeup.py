"""Waking the delivery worker within a second of a commit that queues writes (PRODUCT §3.8).

On PostgreSQL the transaction that adds outbox rows also issues `NOTIFY cw_outbox` (delivered to
listeners only if it commits), and the worker LISTENs on a connection of the app's own engine.
SQLite has no such thing: the worker polls every second.
"""
from __future__ import annotations

import logging
import threading

from sqlalchemy import text
from sqlalchemy.engine import Engine

from cbcw.extensions import db

log = logging.getLogger(__name__)
CHANNEL = "cw_outbox"
POLL_SECONDS = 1.0  # SQLite; also the longest a PostgreSQL listener waits between checks of `stop`


def announce() -> None:
    """In the open transaction: tell listening workers there is something to send once it commits."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


def listens(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def listen(engine: Engine, wake: threading.Event, stop: threading.Event, ready: threading.Event | None = None) -> None:
    """Set `wake` on every notification until `stop` (PostgreSQL; run in a thread of its own).

    The connection is taken from the engine and detached from its pool: in autocommit and
    LISTENing, it must never be handed to anyone else."""
    pooled = engine.raw_connection()
    connection = pooled.driver_connection
    pooled.detach()
    try:
        connection.autocommit = True
        connection.execute(f"LISTEN {CHANNEL}")
        if ready is not None:
            ready.set()
        wake.set()  # whatever was committed before we listened
        while not stop.is_set():
            for _ in connection.notifies(timeout=POLL_SECONDS, stop_after=1):
                wake.set()
    finally:
        connection.close()
        wake.set()  # the worker, waiting for work, sees `stop` at once
