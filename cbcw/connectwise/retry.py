"""Capped, jittered exponential backoff for idempotent ConnectWise reads."""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class RetryPolicy:
    """`attempts` counts the first try; delays never exceed `cap` seconds, Retry-After included
    (an interactive page would rather fail than wait 30 s; background callers raise the cap)."""

    attempts: int = 3
    base: float = 0.5
    cap: float = 5.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        if retry_after is not None:
            return min(self.cap, retry_after)
        return min(self.cap, random.uniform(0, self.base * 2 ** (attempt - 1)))
