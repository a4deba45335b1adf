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

Adaptive rate
-------------
Other programs may use the same account (another process, another machine). The bucket's
rate is therefore adaptive (``_adaptive.AdaptiveRate``, the AWS SDKs' CUBIC curve): the
transport reports every throttle (:meth:`RateLimiter.throttled`), the rate falls, then
recovers gradually towards the configured rate, never above it and never below a floor.
Its state is read on the bucket's own clock, so a fake clock tests it too.

Across processes
----------------
:func:`shared_limiter` also books its slots from a file that every process on the machine
shares (``_crossprocess``; ``ACTIVECAMPAIGN_LIMITER_DIR=off`` turns it off), so processes
on one machine split the rate instead of each taking all of it. If the file cannot be used,
the bucket falls back to its in-process schedule (logged once).
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Final

import httpx

from ._adaptive import DEFAULT_FLOOR, AdaptiveRate
from ._crossprocess import FILE_NAME, SharedSchedule, SharedScheduleError, schedule_dir

__all__ = ["RateLimiter", "limiter_key", "shared_limiter"]

_log = logging.getLogger("activecampaign_segments")

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
        adaptive: lower the rate on throttles reported through :meth:`throttled`, and
            recover it gradually (``False``: a fixed rate).
        floor: the least rate throttles can bring it to (or the configured rate, if lower).
    """

    def __init__(
        self,
        requests_per_second: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
        async_sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        adaptive: bool = True,
        floor: float = DEFAULT_FLOOR,
    ) -> None:
        if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
            raise ValueError(f"burst must be an integer >= 1, got {burst!r}")
        self._rate = AdaptiveRate(_check_rate(requests_per_second), floor=floor)
        self._adaptive = bool(adaptive)
        self._shared: SharedSchedule | None = None
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
        return (
            f"RateLimiter(requests_per_second={self.configured_rate!r}, burst={self._burst}, "
            f"rate_now={self.rate!r})"
        )

    @property
    def rate(self) -> float:
        """The current sustained rate in requests per second (lower after throttles)."""
        with self._lock:
            return self._rate.rate(self._clock())

    @property
    def configured_rate(self) -> float:
        """The rate asked for: the most :attr:`rate` can ever be."""
        with self._lock:
            return self._rate.ceiling

    @property
    def floor(self) -> float:
        """The least :attr:`rate` can ever be."""
        with self._lock:
            return self._rate.floor

    @property
    def shared_schedule(self) -> SharedSchedule | None:
        """The cross-process schedule this bucket books from, if any."""
        return self._shared

    def share_schedule(self, schedule: SharedSchedule | None) -> None:
        """Book every later slot from ``schedule`` (shared with other processes), or stop."""
        with self._lock:
            self._shared = schedule

    def now(self) -> float:
        """The bucket's clock: pass it to :meth:`throttled` as the time a request was sent."""
        return self._clock()

    def throttled(self, sent_at: float | None = None) -> bool:
        """Report a throttle (a 429) of a request sent at ``sent_at`` (see :meth:`now`).

        Lowers the rate, unless the bucket is not adaptive or the request was sent before
        the last cut (one episode of congestion cuts the rate once). Returns whether it did.
        """
        if not self._adaptive:
            return False
        with self._lock:
            return self._rate.throttled(self._clock(), sent_at)

    @property
    def burst(self) -> int:
        """How many requests may go out back to back after an idle spell."""
        return self._burst

    def limit_to(self, requests_per_second: float) -> None:
        """Lower the configured rate to ``requests_per_second`` if that is below it.

        Never raises it: see "Rates of a shared bucket" in the module docstring. The
        adaptive rate stays at or below the configured one.
        """
        rate = _check_rate(requests_per_second)
        with self._lock:
            self._rate.lower_ceiling(rate)

    def _reserve(self) -> tuple[float, int]:
        with self._lock:
            now = self._clock()
            interval = 1.0 / self._rate.rate(now)
            tolerance = (self._burst - 1) * interval
            if self._shared is not None:
                try:
                    return self._shared.book(interval, tolerance), self._pause_generation
                except SharedScheduleError as exc:
                    self._drop_shared(exc)
            due = now if self._tat is None else max(self._tat, now)
            self._tat = due + interval
            return max(0.0, due - tolerance - now), self._pause_generation

    def _drop_shared(self, exc: SharedScheduleError) -> None:
        # Called under the lock. Pacing goes on in-process; only the sharing is lost.
        _log.warning("rate limiter: %s; pacing this process on its own from now on", exc)
        self._shared = None

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
            now = self._clock()
            self._paused_until = deadline
            self._pause_generation += 1
            floor = deadline + (self._burst - 1) / self._rate.rate(now)
            self._tat = floor if self._tat is None else max(self._tat, floor)
            if self._shared is not None:
                try:
                    self._shared.pause_for(max(0.0, deadline - now))
                except SharedScheduleError as exc:
                    self._drop_shared(exc)

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
    lower rate. Shared buckets use the real clock, and book their slots from the file
    other processes on the machine share (see ``_crossprocess``), unless the environment
    turns it off or the file cannot be used.
    """
    if not isinstance(key, str) or not key.strip():
        raise ValueError(f"limiter key must be a non-empty string, got {key!r}")
    rate = _check_rate(requests_per_second)
    normalised = key.strip().lower()
    with _registry_lock:
        limiter = _registry.get(normalised)
        if limiter is None:
            limiter = _registry[normalised] = RateLimiter(rate)
            limiter.share_schedule(_open_schedule(normalised))
            return limiter
    limiter.limit_to(rate)
    return limiter


def _open_schedule(key: str) -> SharedSchedule | None:
    directory = schedule_dir()
    if directory is None:
        return None
    try:
        return SharedSchedule(directory / FILE_NAME, key)
    except SharedScheduleError as exc:
        _log.warning("rate limiter: %s; pacing this process on its own", exc)
        return None
