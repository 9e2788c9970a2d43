"""A short read cache of live tickets, so a busy detail page does not hammer ConnectWise (PRODUCT §3.6).

Per process and in memory: with several workers each keeps its own copy, so a ticket may be
read once per worker per minute and shown at most a minute stale. That is the promise (a
*short* cache), and it needs no shared store. Refresh and a saved time entry bypass it.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, Hashable

TTL_SECONDS = 60.0
MAX_ENTRIES = 4096


class TicketCache:
    """{key: (stored at, value)}; values older than `ttl` are misses."""

    def __init__(self, ttl: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, object]] = {}

    def get(self, key: Hashable):
        """The fresh value, or None."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is None or self.clock() - hit[0] >= self.ttl:
                return None
            return hit[1]

    def put(self, key: Hashable, value) -> None:
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (self.clock(), value)

    def drop(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


tickets = TicketCache()
