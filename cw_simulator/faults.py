"""Runtime fault injection and the request journal (see the package docstring for the format)."""
from __future__ import annotations

import random
import socket
import threading
import time
from dataclasses import asdict, dataclass, fields

from cw_simulator.cw_errors import ApiError, html_error, rate_limited

HANG_LIMIT_SECONDS = 60


@dataclass
class FaultSettings:
    latency_ms: int = 0
    error_rate: float = 0.0
    error_count: int = 0
    error_status: int = 503
    rate_limit_count: int = 0
    retry_after: int = 1
    rate_limit_burst_rate: float = 0.0    # chance a request starts a burst of rate_limit_burst_size 429s
    rate_limit_burst_size: int = 1
    spike_rate: float = 0.0               # chance a request is held spike_ms longer (a latency spike)
    spike_ms: int = 0
    hang: bool = False
    hang_after_commit: bool = False
    reset: bool = False
    paths: str | None = None
    methods: list | None = None
    error_body: str = "json"              # "html": 5xx answered as Cloudflare/IIS do, with an HTML page
    bad_credentials_status: int = 401     # 404: as cloud ConnectWise can answer wrong keys
    missing_client_id_status: int = 401   # 403: a missing or refused clientId

    def __post_init__(self):
        if self.error_body not in ("json", "html"):
            raise ValueError("error_body must be json or html")
        if not (0 <= self.error_rate <= 1 and 0 <= self.rate_limit_burst_rate <= 1 and 0 <= self.spike_rate <= 1):
            raise ValueError("error_rate, rate_limit.burst_rate and spikes.rate are probabilities (0 to 1)")
        if self.rate_limit_burst_size < 1 or self.spike_ms < 0 or self.latency_ms < 0:
            raise ValueError("rate_limit.burst_size is at least 1; latency_ms and spikes.ms are not negative")
        if self.bad_credentials_status not in (401, 404) or self.missing_client_id_status not in (401, 403):
            raise ValueError("bad_credentials_status is 401 or 404; missing_client_id_status is 401 or 403")

    @classmethod
    def from_json(cls, data: dict) -> "FaultSettings":
        data = dict(data)
        rate_limit = data.pop("rate_limit", None) or {}
        spikes = data.pop("spikes", None) or {}
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        settings = cls(**data)
        settings.rate_limit_count = int(rate_limit.get("count", settings.rate_limit_count))
        settings.retry_after = int(rate_limit.get("retry_after", settings.retry_after))
        settings.rate_limit_burst_rate = float(rate_limit.get("burst_rate", settings.rate_limit_burst_rate))
        settings.rate_limit_burst_size = int(rate_limit.get("burst_size", settings.rate_limit_burst_size))
        settings.spike_rate = float(spikes.get("rate", settings.spike_rate))
        settings.spike_ms = int(spikes.get("ms", settings.spike_ms))
        settings.__post_init__()
        return settings


class Faults:
    """What the next API requests suffer; counts (`error_count`, `rate_limit.count`) run down."""

    def __init__(self, seed: int = 1):
        self.lock = threading.Lock()
        self.random = random.Random(seed)
        self.settings = FaultSettings()
        self.released = threading.Event()

    def set(self, settings: FaultSettings) -> None:
        with self.lock:
            self.released.set()  # wake requests hanging under the old settings
            self.released = threading.Event()
            self.settings = settings

    def clear(self) -> None:
        self.set(FaultSettings())

    def describe(self) -> dict:
        with self.lock:
            return asdict(self.settings)

    def apply(self, method: str, path: str, environ: dict) -> bool:
        """Delay, fail or cut the request as configured; True when the connection was reset."""
        with self.lock:
            s = self.settings
            if (s.paths and s.paths not in path) or (s.methods and method not in s.methods):
                return False
            action = self._next_action(s)
            spike = s.spike_ms if s.spike_rate and self.random.random() < s.spike_rate else 0
            latency, released = (s.latency_ms + spike) / 1000, self.released
        if latency:
            time.sleep(latency)
        if action == "reset":
            connection = environ.get("werkzeug.socket")
            if connection is not None:
                connection.shutdown(socket.SHUT_RDWR)
            return True
        if action == "hang":
            released.wait(HANG_LIMIT_SECONDS)
            raise ApiError(503, "ServerError", "The simulator stopped hanging this request.")
        if action == "rate_limit":
            raise rate_limited(s.retry_after)
        if action == "error":
            if s.error_body == "html":
                raise html_error(s.error_status)
            raise ApiError(s.error_status, "ServerError", f"Simulated failure (HTTP {s.error_status}).")
        return False

    def hold_answer(self, method: str, path: str) -> None:
        """With `hang_after_commit`: the request has done its work; keep its answer back (until
        faults change, or 60 s) so the client times out not knowing it succeeded."""
        with self.lock:
            s = self.settings
            if not s.hang_after_commit or (s.paths and s.paths not in path) or (s.methods and method not in s.methods):
                return
            released = self.released
        released.wait(HANG_LIMIT_SECONDS)

    def _next_action(self, s: FaultSettings) -> str | None:
        if s.reset:
            return "reset"
        if s.hang:
            return "hang"
        if s.rate_limit_count > 0:
            s.rate_limit_count -= 1
            return "rate_limit"
        if s.error_count > 0:
            s.error_count -= 1
            return "error"
        if s.rate_limit_burst_rate and self.random.random() < s.rate_limit_burst_rate:
            s.rate_limit_count = s.rate_limit_burst_size - 1  # this request is the burst's first
            return "rate_limit"
        if s.error_rate and self.random.random() < s.error_rate:
            return "error"
        return None


class Journal:
    """Every API request received, oldest first."""

    def __init__(self):
        self.lock = threading.Lock()
        self.entries: list[dict] = []

    def record(self, entry: dict) -> None:
        with self.lock:
            self.entries.append(entry)

    def list(self) -> list[dict]:
        with self.lock:
            return list(self.entries)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
