"""Token buckets that keep a whole process under an account's request rate.

ActiveCampaign limits requests per *account* (5 per second), not per connection, so
every client in a process that talks to one account host must draw from one bucket:
:func:`shared_limiter` keeps a process-wide registry keyed by ``scheme://host:port``
(see :func:`limiter_key`), used alike by threads and asyncio tasks.

Design
------
The bucket is a reservation scheduler (the "generic cell rate algorithm"):
:meth:`RateLimiter.reserve` is pure arithmetic on an injectable clock that books the
next free slot and returns how long the caller must wait for it. Nothing in it
sleeps, so the same bookkeeping serves

* :meth:`RateLimiter.acquire` -- blocks the calling thread (thread-safe: the
  bookkeeping is under a ``threading.Lock`` held for a few arithmetic operations);
* :meth:`RateLimiter.acquire_async` -- awaits, so the event loop keeps running; every
  task books its own slot in call order, so many tasks share one bucket fairly
  (first come, first served) without a polling loop.

The default burst is 1: requests are strictly spaced ``1 / rate`` apart, so the
server's own bucket never sees more than the rate in any window, however it is
aligned. An idle bucket does not save up tokens beyond ``burst``.

A bucket's clock and its sleep functions belong together (a fake clock needs a
sleep that advances it), so both are constructor arguments of :class:`RateLimiter`.
The retry backoff of the transport has its own hook (``_transport.sleep``): a fault
suite that compresses backoff time must not also make the client outrun the
server's rate.

Rates of a shared bucket
------------------------
When two clients of one host ask for different rates, the shared bucket runs at the
*smallest* rate asked for so far, and never speeds up again for the life of the
process: the account's limit is one number, and a client that asks for less (say,
to leave room for another program on the same account) must not be overridden by
one that asks for more.

Pauses
------
A 429 with ``Retry-After`` means the account, not one request, is over its limit:
:meth:`RateLimiter.pause_for` / :meth:`RateLimiter.pause_until` push every future
slot of the bucket past the deadline, so every client of the host waits. Callers
already sleeping towards a slot inside the pause book a new slot when they wake.

A task cancelled while waiting forfeits its slot (the bucket stays under the rate;
only that slot's throughput is lost).
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Final

import httpx

__all__ = ["RateLimiter", "limiter_key", "shared_limiter"]

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


def _check_rate(requests_per_second: float) -> float:
    if isinstance(requests_per_second, bool) or not isinstance(requests_per_second, int | float):
        raise TypeError(
            f"requests_per_second must be a number, not {type(requests_per_second).__name__}"
        )
    rate = float(requests_per_second)
    if not math.isfinite(rate) or rate <= 0:
        raise ValueError(f"requests_per_second must be a finite number > 0, got {rate!r}")
    return rate


class RateLimiter:
    """A token bucket usable from threads and from asyncio at the same time.

    Args:
        requests_per_second: the sustained rate; must be finite and > 0.
        burst: how many requests may go out back to back after an idle spell
            (1 = strictly spaced, the default).
        clock: a monotonic clock in seconds (``time.monotonic``); tests inject a fake.
        sleep: how :meth:`acquire` waits (``time.sleep``); must agree with ``clock``.
        async_sleep: how :meth:`acquire_async` waits (``asyncio.sleep``); must agree
            with ``clock``.
    """

    def __init__(
        self,
        requests_per_second: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
        async_sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
            raise ValueError(f"burst must be an integer >= 1, got {burst!r}")
        self._interval = 1.0 / _check_rate(requests_per_second)
        self._burst = burst
        self._clock = clock
        self._sleep = sleep
        self._async_sleep = async_sleep
        self._lock = threading.Lock()
        # Theoretical arrival time: when the next request would be due if the bucket
        # were kept exactly at its rate. None until the first reservation.
        self._tat: float | None = None
        self._paused_until = -math.inf
        # Bumped by every pause, so a waiter can tell that its slot was booked
        # before a pause and must be booked again.
        self._pause_generation = 0

    def __repr__(self) -> str:
        return f"RateLimiter(requests_per_second={self.rate!r}, burst={self._burst})"

    @property
    def rate(self) -> float:
        """The current sustained rate in requests per second."""
        return 1.0 / self._interval

    @property
    def burst(self) -> int:
        """How many requests may go out back to back after an idle spell."""
        return self._burst

    def limit_to(self, requests_per_second: float) -> None:
        """Lower the rate to ``requests_per_second`` if that is below the current rate.

        Never raises the rate: see "Rates of a shared bucket" in the module docstring.
        """
        interval = 1.0 / _check_rate(requests_per_second)
        with self._lock:
            self._interval = max(self._interval, interval)

    def _reserve(self) -> tuple[float, int]:
        with self._lock:
            now = self._clock()
            tolerance = (self._burst - 1) * self._interval
            due = now if self._tat is None else max(self._tat, now)
            self._tat = due + self._interval
            return max(0.0, due - tolerance - now), self._pause_generation

    def reserve(self) -> float:
        """Book the next free slot and return the seconds to wait for it (0.0 = go now).

        Pure bookkeeping: it never sleeps. A caller that does not wait the returned
        time breaks the rate.
        """
        return self._reserve()[0]

    def _must_rebook(self, generation: int) -> bool:
        """True if a pause arrived after the slot was booked and is still running."""
        with self._lock:
            return generation != self._pause_generation and self._paused_until > self._clock()

    def acquire(self) -> float:
        """Block the calling thread until it may send one request; return the seconds waited."""
        waited = 0.0
        while True:
            wait, generation = self._reserve()
            if wait > 0:
                self._sleep(wait)
                waited += wait
            if not self._must_rebook(generation):
                return waited

    async def acquire_async(self) -> float:
        """Wait, without blocking the event loop, until one request may be sent.

        Returns the seconds waited.
        """
        waited = 0.0
        while True:
            wait, generation = self._reserve()
            if wait > 0:
                await self._async_sleep(wait)
                waited += wait
            if not self._must_rebook(generation):
                return waited

    def pause_until(self, deadline: float) -> None:
        """Let no request of this bucket start before ``deadline`` (a time on its clock).

        The first request after the pause goes out at the deadline, the next ones at
        the usual spacing (no burst after a pause). A deadline earlier than a running
        pause changes nothing.
        """
        if not math.isfinite(deadline):
            raise ValueError(f"deadline must be finite, got {deadline!r}")
        with self._lock:
            if deadline <= self._paused_until:
                return
            self._paused_until = deadline
            self._pause_generation += 1
            floor = deadline + (self._burst - 1) * self._interval
            self._tat = floor if self._tat is None else max(self._tat, floor)

    def pause_for(self, seconds: float) -> None:
        """Pause the bucket for ``seconds`` from now (what a 429's ``Retry-After`` asks)."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"seconds must be finite and >= 0, got {seconds!r}")
        self.pause_until(self._clock() + seconds)


def limiter_key(base_url: httpx.URL | str) -> str:
    """The registry key of an account host: lowercased ``scheme://host:port``.

    The default port is spelled out, so ``https://Acct.api-us1.com`` and
    ``https://acct.api-us1.com:443/api/3`` share one bucket.
    """
    url = httpx.URL(base_url)
    scheme = url.scheme.lower()
    if not scheme or not url.host:
        raise ValueError(f"base URL needs a scheme and a host, got {str(base_url)!r}")
    port = url.port if url.port is not None else _DEFAULT_PORTS.get(scheme)
    host = url.host.lower()
    if ":" in host:  # an IPv6 literal keeps its brackets in the key
        host = f"[{host}]"
    return f"{scheme}://{host}" if port is None else f"{scheme}://{host}:{port}"


_registry: dict[str, RateLimiter] = {}
_registry_lock = threading.Lock()


def shared_limiter(key: str, requests_per_second: float) -> RateLimiter:
    """The process-wide bucket for ``key`` (case-insensitive), created on first use.

    Every client of one account host should pass the same key (see
    :func:`limiter_key`). A second caller asking for a lower rate lowers the shared
    bucket's rate; one asking for a higher rate gets the bucket at its current,
    lower rate. Shared buckets use the real clock.
    """
    if not isinstance(key, str) or not key.strip():
        raise ValueError(f"limiter key must be a non-empty string, got {key!r}")
    rate = _check_rate(requests_per_second)
    normalised = key.strip().lower()
    with _registry_lock:
        limiter = _registry.get(normalised)
        if limiter is None:
            limiter = _registry[normalised] = RateLimiter(rate)
            return limiter
    limiter.limit_to(rate)
    return limiter
