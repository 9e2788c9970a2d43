"""A client-side pace per organisation, so bursts of writes stay under ConnectWise's rate limit.

One pacer per organisation per process: requests are spaced at least 1/rate seconds apart, and a
429's Retry-After pauses the whole organisation, not just the write that met it.
"""
import threading
import time

from cbcw.connectwise.api import errors
from cbcw.connectwise.api.http import remaining_budget


class Pacer:
    def __init__(self, rate: float):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.lock = threading.Lock()
        self.next_at = 0.0

    def __call__(self) -> None:
        """Wait for this request's slot; refuse (unsent) if the slot lies beyond the caller's budget."""
        with self.lock:
            now = time.monotonic()
            slot = max(now, self.next_at)
            wait = slot - now
            if wait > remaining_budget(float("inf")):
                raise errors.BudgetSpent()
            self.next_at = slot + self.interval
        if wait > 0:
            time.sleep(wait)

    def pause(self, seconds: float) -> None:
        """No request before `seconds` from now (ConnectWise asked us to wait)."""
        with self.lock:
            self.next_at = max(self.next_at, time.monotonic() + seconds)


_pacers: dict[int, Pacer] = {}
_pacers_lock = threading.Lock()


def pacer_for(organisation_id: int, rate: float) -> Pacer:
    with _pacers_lock:
        pacer = _pacers.get(organisation_id)
        if pacer is None or pacer.interval != (1.0 / rate if rate > 0 else 0.0):
            pacer = _pacers[organisation_id] = Pacer(rate)
        return pacer
