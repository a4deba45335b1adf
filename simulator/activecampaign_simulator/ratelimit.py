"""The per-account rate limit: one token bucket for the whole app.

ActiveCampaign allows a number of requests per second per account, shared by every
key of the account, and answers 429 with ``Retry-After`` beyond it. The bucket holds
``max(1, rps)`` tokens and refills at ``rps`` tokens a second; the clock is
injectable so tests never sleep.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

Clock = Callable[[], float]


class TokenBucket:
    """A token bucket of capacity ``max(1, rate)`` refilled at ``rate`` per second."""

    def __init__(self, rate: float, *, clock: Clock = time.monotonic) -> None:
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"rate must be a finite number > 0, got {rate!r}")
        self.rate = rate
        self.capacity = max(1.0, rate)
        self._clock = clock
        self._tokens = self.capacity
        self._updated = clock()
        self._lock = threading.Lock()

    def try_acquire(self) -> float:
        """Take a token: 0.0 when granted, else the seconds until one is available."""
        with self._lock:
            now = self._clock()
            # max(): a clock that steps backwards must not drain the bucket.
            elapsed = max(0.0, now - self._updated)
            self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
            self._updated = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return 0.0
            return (1.0 - self._tokens) / self.rate


def retry_after_header(wait: float) -> str:
    """``Retry-After`` as the spec documents it: whole seconds, rounded up, at least 1."""
    return str(max(1, math.ceil(wait)))
