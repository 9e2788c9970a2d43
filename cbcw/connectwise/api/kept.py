"""The transports kept between requests: one per organisation, rebuilt when its settings change.

Stored on the app (`app.extensions["cw_transports"]`) so each app (and each test's app) has its
own; closed at interpreter exit. A transport is keyed on a fingerprint of everything it was
built from, so a changed Base URL, company, key, clientId, version, timeout or address policy
builds a new one (and closes the old: requests still using it finish, idle connections close).
"""
from __future__ import annotations

import atexit
import hashlib
import threading
import weakref
from typing import Callable

from cbcw.connectwise.api.transport import Transport

_ALL: "weakref.WeakSet[KeptTransports]" = weakref.WeakSet()


class KeptTransports:
    def __init__(self):
        self._lock = threading.Lock()
        self._by_owner: dict[int, tuple[str, Transport]] = {}
        _ALL.add(self)
        weakref.finalize(self, _close_each, self._by_owner)  # an app dropped (tests) closes its pools

    def get(self, owner: int, fingerprint: str, build: Callable[[], Transport]) -> Transport:
        """The kept transport of `owner` if built from the same fingerprint, else a new one."""
        with self._lock:
            kept = self._by_owner.get(owner)
            if kept and kept[0] == fingerprint:
                return kept[1]
            transport = build()
            self._by_owner[owner] = (fingerprint, transport)
        if kept:
            kept[1].close()
        return transport

    def close(self) -> None:
        with self._lock:
            _close_each(self._by_owner)


def _close_each(by_owner: dict) -> None:
    kept = list(by_owner.values())
    by_owner.clear()
    for _fingerprint, transport in kept:
        transport.close()


def fingerprint(*parts) -> str:
    """A digest of what a transport was built from (stored tokens, not plaintext keys)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()


@atexit.register
def _close_all() -> None:
    for kept in list(_ALL):
        kept.close()
