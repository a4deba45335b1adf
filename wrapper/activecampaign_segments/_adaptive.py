"""The adaptive request rate: falls when the account throttles, recovers gradually (CUBIC).

Why: ActiveCampaign's limit (5 requests/s) is per *account*, shared by every program that
uses it. A client that keeps its own 5 requests/s beside another one draws 429s; a client
that learns from the 429s converges, with the others, on the account's limit. This is the
AWS SDKs' "adaptive" retry mode (botocore ``retries/adaptive.py`` and ``cubic.py``), which
borrows TCP CUBIC's window curve for a request rate:

* on a throttle at time ``t0`` with the current rate ``r``: remember the peak ``W = r``
  and cut the rate to ``beta * r``;
* after it, the rate is ``C * (t - t0 - K) ** 3 + W``, where ``K`` is the time the curve
  takes to climb back to ``W`` (``K = cbrt((W - beta * r) / C)``): fast at first, flat
  near the old peak (where the last throttle happened), then probing beyond it;
* "fast convergence" (as TCP CUBIC): a throttle below the last peak means another client
  needs room, so the peak remembered is lowered a little further, ``r * (1 + beta) / 2``.

Everything here is plain arithmetic on times the caller passes in (no clock, no I/O), so
every sequence of events is a unit test. The rate is always clamped to
``[floor, ceiling]``: nothing a server sends can push it above the configured rate, or
stall a client below the floor.

Two constants differ from botocore's, both for clients that share nothing but the account.
``C`` is scaled by the ceiling, so the curve has the same shape whatever rate is configured,
and is much gentler than botocore's 0.4: ``0.001 * ceiling`` (0.005 at 5 requests/s, about
5 s back to the peak after a throttle at the ceiling, and as slow again to probe 1 request/s
beyond it). ``beta`` is 0.5, not 0.7: N clients starting together at the full rate offer N
times the account's limit, and each halving is one round of 429s for every one of them, so
with 0.7 four clients needed four rounds to get under the limit, as many as a request's
retries, and three of four ``ac-segments history`` processes exited 6 in benchmark 7; with
0.5 they need two, and all four finished. On the simulation in
``tests/unit/test_adaptive.py`` (N clients, each with its own bucket, against one 5
requests/s token bucket that answers 429 with ``Retry-After: 1``, 600 simulated seconds),
botocore's constants left 15 % of 2 clients' requests and 33 % of 4 clients' throttled, a
fixed rate 16 % and 36 %, these 5 % and 13 %, the account saturated in every case. Clients
that share no schedule still draw 429s; on one machine the cure is the shared schedule of
``_crossprocess``.

A burst of 429s answers one episode of congestion, so it cuts the rate once: a throttle of
a request that was sent before (or at) the last cut is not counted again (TCP reduces once per
round trip for the same reason).
"""

from __future__ import annotations

import math
from typing import Final

__all__ = ["BETA", "DEFAULT_FLOOR", "SCALE_PER_RPS", "AdaptiveRate"]

#: The fraction of the rate kept on a throttle (botocore and TCP CUBIC keep 0.7; see above).
BETA: Final = 0.5
#: ``C`` per request/s of ceiling (see the module docstring for why not botocore's 0.4).
SCALE_PER_RPS: Final = 0.001
#: The lowest rate a throttled client falls to (botocore's minimum fill rate), unless the
#: configured rate is lower still.
DEFAULT_FLOOR: Final = 0.5
# Beyond this many seconds after a throttle the cubic term would only overflow; the rate is
# back at the ceiling long before.
_HORIZON: Final = 1e6


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {number!r}")
    return number


class AdaptiveRate:
    """A request rate that falls on throttles and recovers along a cubic curve.

    Not thread-safe on its own: :class:`~activecampaign_segments._limiter.RateLimiter`
    calls it under its lock.

    Args:
        ceiling: the configured rate (requests/s); the rate never exceeds it.
        floor: the rate never falls below ``min(floor, ceiling)``.
        beta: the fraction of the rate kept on a throttle (0 < beta < 1).
    """

    def __init__(self, ceiling: float, *, floor: float = DEFAULT_FLOOR, beta: float = BETA) -> None:
        if not 0.0 < beta < 1.0:
            raise ValueError(f"beta must be between 0 and 1, got {beta!r}")
        self._ceiling = _positive("ceiling", ceiling)
        self._floor_asked = _positive("floor", floor)
        self._beta = beta
        # None: never throttled, the rate is the ceiling.
        self._throttled_at: float | None = None
        self._peak = self._ceiling
        self._k = 0.0

    @property
    def ceiling(self) -> float:
        """The configured rate: the most the rate can ever be."""
        return self._ceiling

    @property
    def floor(self) -> float:
        """The least the rate can ever be."""
        return min(self._floor_asked, self._ceiling)

    @property
    def throttled_at(self) -> float | None:
        """When the last counted throttle happened (``None``: never)."""
        return self._throttled_at

    def lower_ceiling(self, ceiling: float) -> None:
        """Lower the configured rate to ``ceiling`` if that is below it (never raises it)."""
        self._ceiling = min(self._ceiling, _positive("ceiling", ceiling))

    def rate(self, now: float) -> float:
        """The rate at time ``now`` (same clock as the throttles'), within [floor, ceiling]."""
        if self._throttled_at is None:
            return self._ceiling
        elapsed = now - self._throttled_at
        if not elapsed < _HORIZON:  # far later (or NaN): recovered
            return self._ceiling
        elapsed = max(0.0, elapsed)  # a clock that steps back does not speed anything up
        scale = SCALE_PER_RPS * self._ceiling
        value = scale * (elapsed - self._k) ** 3 + self._peak
        return min(self._ceiling, max(self.floor, value))

    def throttled(self, now: float, sent_at: float | None = None) -> bool:
        """Count a throttle seen at ``now`` of a request sent at ``sent_at``.

        Returns whether the rate was cut: a throttle of a request sent before the last cut
        belongs to the episode already answered, and is not counted again. Non-finite times
        are ignored (the rate stays as it is).
        """
        if not math.isfinite(now) or (sent_at is not None and not math.isfinite(sent_at)):
            return False
        last = self._throttled_at
        if last is not None and sent_at is not None and sent_at <= last:
            return False
        current = self.rate(now)
        previous_peak = self._peak
        cut = max(self.floor, current * self._beta)
        # Fast convergence: throttled below the last peak, so leave room for the others.
        peak = current if current >= previous_peak else current * (1.0 + self._beta) / 2.0
        peak = max(peak, cut)
        scale = SCALE_PER_RPS * self._ceiling
        self._k = ((peak - cut) / scale) ** (1.0 / 3.0)
        self._peak = peak
        self._throttled_at = max(now, last) if last is not None else now
        return True
