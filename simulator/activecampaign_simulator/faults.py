"""Injected faults: 503/520 answers, forced 429s and malformed 200 bodies.

The dice come from one RNG seeded by the configuration, so a run of sequential
requests is repeatable; ``counts`` tells tests and benchmarks what was injected.
Latency is applied by the app (it is not random).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from typing import Literal

from activecampaign_simulator.config import SimulatorConfig

Fault = Literal["throttle", "error_503", "error_520"]

# Malformed 200 bodies, from "not JSON at all" to "JSON of the wrong shape": each
# must make a careful client raise its validation error, not crash or lose data.
MALFORMED_BODIES: tuple[bytes, ...] = (
    b'{"data": [{"id": "1", "type": "SegmentCountHistory", "attri',  # truncated
    b"<html><body>502 Bad Gateway</body></html>",  # not JSON
    b'["data"]',  # JSON, not an object
    b'{"data": "none"}',  # data is not an array
    b'{"data": [{"id": "1", "type": "SegmentCountHistory", "attributes": {"segment_id": "1"}}]}',
)


class FaultInjector:
    """Decides, per request, whether to answer with a fault instead of the truth."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.error_rate = config.error_rate
        self.throttle_rate = config.throttle_rate
        self.malformed_rate = config.malformed_rate
        seed = config.seed if config.fault_seed is None else config.fault_seed
        # Seeded on purpose: a test run must be repeatable.
        self._rng = random.Random(f"faults:{seed}")  # noqa: S311
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    @property
    def enabled(self) -> bool:
        """Whether any fault can be injected at all."""
        return bool(self.error_rate or self.throttle_rate or self.malformed_rate)

    def before_answer(self) -> Fault | None:
        """The fault to answer with instead of handling the request, if any."""
        if not (self.error_rate or self.throttle_rate):
            return None
        with self._lock:
            roll = self._rng.random()
            fault: Fault | None = None
            if roll < self.error_rate:
                fault = "error_503" if self._rng.random() < 0.5 else "error_520"
            elif roll < self.error_rate + self.throttle_rate:
                fault = "throttle"
            if fault is not None:
                self.counts[fault] += 1
            return fault

    def malformed_body(self) -> bytes | None:
        """A malformed body to send instead of a 200's real one, if this one is hit."""
        if not self.malformed_rate:
            return None
        with self._lock:
            if self._rng.random() >= self.malformed_rate:
                return None
            self.counts["malformed"] += 1
            return self._rng.choice(MALFORMED_BODIES)
