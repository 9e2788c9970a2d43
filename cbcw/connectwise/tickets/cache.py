"""A short read cache of live tickets, so a busy detail page does not hammer ConnectWise (PRODUCT §3.6).

Per process and in memory: with several workers each keeps its own copy, so a ticket may be
read once per worker per minute and shown at most a minute stale. That is the promise (a
*short* cache), and it needs no shared store. Refresh and a saved time entry bypass it, and so
does our own write and a ConnectWise callback: the caller passes when the outbox or a callback
last changed the ticket (the database, which every worker and the scheduler share, knows), and
a copy asked for before then is a miss.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Callable, Hashable

from cbcw.db import utcnow

TTL_SECONDS = 60.0
MAX_ENTRIES = 4096


class TicketCache:
    """{key: (stored at, stored at in UTC, value)}; values older than `ttl` are misses."""

    def __init__(self, ttl: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, object]] = {}

    def get(self, key: Hashable, changed_at: datetime | None = None):
        """The fresh value, or None; also None when the thing changed (`changed_at`) after it was stored."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is None or self.clock() - hit[0] >= self.ttl or (changed_at is not None and changed_at >= hit[1]):
                return None
            return hit[2]

    def put(self, key: Hashable, value, stored_at: datetime | None = None) -> None:
        """`stored_at`: when the value was asked for (default now); a change after it is a miss."""
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (self.clock(), stored_at or utcnow(), value)

    def drop(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


tickets = TicketCache()
