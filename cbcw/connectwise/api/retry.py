"""When to try an idempotent ConnectWise read again, and how long to wait first."""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class RetryPolicy:
    """`attempts` counts the first try; backoff delays never exceed `cap` seconds.

    ConnectWise's `Retry-After` is the end of its throttle window: a request sent earlier is
    throttled again, so it is never shortened. A caller that cannot wait it out (an interactive
    page: `wait_retry_after=False`) fails at once, telling the user when to try again; a
    background caller waits it in full, up to `max_retry_after` seconds (longer than that, the
    error is raised for the caller's own schedule to retry later).
    """

    attempts: int = 3
    base: float = 0.5
    cap: float = 5.0
    wait_retry_after: bool = True
    max_retry_after: float = 300.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def delay(self, attempt: int, retry_after: float | None = None) -> float | None:
        """Seconds to wait after failed attempt number `attempt` (1-based); None: do not retry."""
        if retry_after is not None:
            return retry_after if self.wait_retry_after and retry_after <= self.max_retry_after else None
        return min(self.cap, random.uniform(0, self.base * 2 ** (attempt - 1)))
