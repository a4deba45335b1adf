"""httpx transports that add the rate limiter and retries under any client.

A transport is httpx's one extension point that sees every attempt of every request,
so putting the limiter and the retries here makes them compose under any
``httpx.Client``: the wrapper's own calls, raw calls through ``client.api`` (the
generated client), and anything else built on the same ``httpx`` client.

What one request goes through (``RetryingTransport`` / ``AsyncRetryingTransport``)::

    for each attempt (1 + max_retries at most; only GETs get more than one):
        wait for the rate limiter          (every attempt, retries included)
        send, then read the WHOLE body     (a reset mid-body is an attempt that failed)
        count it in TransportStats
        a throttle (any 429; a 503 with Retry-After) lowers the limiter's adaptive rate,
        and its Retry-After pauses the shared limiter (every client of the host waits)
        done unless: GET, retries left, and a retryable outcome
        sleep: Retry-After (capped at 60 s) or exponential backoff with full jitter
    the last response is returned (the client maps it to an error),
    or the last httpx exception is re-raised

Retryable outcomes: httpx.TimeoutException, httpx.NetworkError (connect, read, write,
close errors), httpx.RemoteProtocolError; statuses 408, 429, 500, 502, 503, 504 and
the CDN statuses 520-527. Backoff before retry ``n`` (1-based) is
``uniform(0, min(8, 0.5 * 2 ** (n - 1)))`` ("full jitter": clients that failed
together do not retry together). ``Retry-After`` as delta seconds or HTTP-date wins
over backoff; above 60 s it waits 60 s; garbage, negative values, 0 and dates in the
past fall back to backoff (as urllib3 and httpx-retries do). Non-GET requests are
sent once (the API's only non-GET operations are not ours to repeat safely).

Time hooks
----------
Every retry wait goes through the module attributes ``sleep`` (sync) and
``async_sleep`` (async), looked up at call time, so tests replace them with
``monkeypatch.setattr(_transport, "sleep", fake)`` and a fault suite can compress
backoff time. Jitter draws from ``_transport.jitter_random`` (a ``random.Random``;
seed or replace it in tests). The rate limiter's own waits are not routed through the
hook: a bucket's clock and its sleep must agree (see ``_limiter``), and compressing
backoff must not make the client outrun the server's rate. HTTP-dates in
``Retry-After`` are compared with ``_transport.utcnow()``.

Why not httpx-retries
---------------------
httpx-retries 0.6.0 was the first choice; its ``RetryTransport`` would have kept
only its 20-line loop, with every policy of ours overridden around it:

* it sleeps with ``time.sleep`` / ``asyncio.sleep`` inside ``Retry.sleep``; routing
  that through a hook means overriding ``sleep``/``asleep`` and calling its private
  ``Retry._calculate_sleep`` (or recomputing the delay ourselves);
* one ``max_backoff_wait`` caps both the backoff and ``Retry-After``, so 8 s / 60 s
  needs ``backoff_strategy`` overridden too, and its jitter ``uniform(1 - j, 1)``
  times an uncapped exponential piles retries up at the cap;
* its HTTP-date parsing reads the wall clock directly (not testable without
  overriding ``parse_retry_after``);
* ``Retry.increment()`` rebuilds the policy through ``copy_with`` with only its own
  constructor arguments, so per-transport state (stats, random source) cannot live
  on a subclass;
* it only sees response headers (its own docs: body-phase errors are not retried),
  and has no hook before each attempt, so the limiter, the body read and the
  counters would need a second wrapping transport anyway.

So the loop below is written out once per I/O flavour, and every decision in it
(what is retryable, how long to wait, what to count) is shared plain code.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import logging
import random
import re
import threading
import time
from typing import Final

import attrs
import httpx

from ._limiter import RateLimiter

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "RETRYABLE_EXCEPTIONS",
    "RETRYABLE_STATUSES",
    "RETRY_AFTER_CAP",
    "AsyncRetryingTransport",
    "RetryingTransport",
    "TransportStats",
    "async_sleep",
    "backoff_delay",
    "is_throttle",
    "parse_retry_after",
    "sleep",
]

RETRYABLE_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504, *range(520, 528)})
RETRYABLE_EXCEPTIONS: Final = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)
RETRYABLE_METHODS: Final = frozenset({"GET"})
BACKOFF_BASE: Final = 0.5
BACKOFF_CAP: Final = 8.0
RETRY_AFTER_CAP: Final = 60.0

_log = logging.getLogger(__name__)

_DELTA_SECONDS: Final = re.compile(r"[0-9]+(?:\.[0-9]+)?")

# Jitter only spreads retries out; it protects nothing, so a seeded PRNG is right.
jitter_random = random.Random()  # noqa: S311


def sleep(seconds: float) -> None:
    """Every sync retry wait goes through here; replace it to mock or compress time."""
    time.sleep(seconds)


async def async_sleep(seconds: float) -> None:
    """Every async retry wait goes through here; replace it to mock or compress time."""
    await asyncio.sleep(seconds)


def utcnow() -> dt.datetime:
    """The wall clock that ``Retry-After`` HTTP-dates are measured against."""
    return dt.datetime.now(dt.UTC)


@attrs.define(eq=False)
class TransportStats:
    """Counters of what the transport did, shared by every request of one client.

    Safe to update from several threads; read the fields directly, or take a
    consistent copy with :meth:`as_dict`.

    Attributes:
        requests: attempts sent (a request retried twice counts 3).
        retries: attempts that were repeats of an earlier one.
        rate_limited: 429 responses received (retried or not).
        by_status: responses received, by status code.
        by_exception: attempts that failed without a response, by exception class name.
        limiter_wait: seconds spent waiting for the rate limiter.
        retry_wait: seconds of backoff and ``Retry-After`` waits between attempts.
    """

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    by_status: dict[int, int] = attrs.field(factory=dict)
    by_exception: dict[str, int] = attrs.field(factory=dict)
    limiter_wait: float = 0.0
    retry_wait: float = 0.0
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False, repr=False)

    def record_attempt(self, limiter_wait: float) -> None:
        """Count one attempt about to be sent, after ``limiter_wait`` seconds of waiting."""
        with self._lock:
            self.requests += 1
            self.limiter_wait += limiter_wait

    def record_status(self, status_code: int) -> None:
        """Count one response received."""
        with self._lock:
            self.by_status[status_code] = self.by_status.get(status_code, 0) + 1
            if status_code == 429:
                self.rate_limited += 1

    def record_exception(self, exc: BaseException) -> None:
        """Count one attempt that ended in an exception instead of a response."""
        name = type(exc).__name__
        with self._lock:
            self.by_exception[name] = self.by_exception.get(name, 0) + 1

    def record_retry(self, delay: float) -> None:
        """Count one decision to try again after ``delay`` seconds."""
        with self._lock:
            self.retries += 1
            self.retry_wait += delay

    def as_dict(self) -> dict[str, object]:
        """A consistent copy of every counter, for printing or JSON."""
        with self._lock:
            return {
                "requests": self.requests,
                "retries": self.retries,
                "rate_limited": self.rate_limited,
                "by_status": dict(self.by_status),
                "by_exception": dict(self.by_exception),
                "limiter_wait": self.limiter_wait,
                "retry_wait": self.retry_wait,
            }


def parse_retry_after(value: str, now: dt.datetime) -> float | None:
    """Seconds a ``Retry-After`` value asks for, uncapped; ``None`` if it is not one.

    Accepts delta seconds (``"120"``, leniently ``"1.5"``) and HTTP-dates (a date in
    the past gives 0.0). Negative numbers, empty values and anything else give ``None``.
    """
    text = value.strip()
    if _DELTA_SECONDS.fullmatch(text):
        return float(text)  # an absurdly long number becomes inf, which the cap handles
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000" in a date means UTC with unknown origin
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(retry_number: int, rng: random.Random) -> float:
    """The full-jitter backoff before retry ``retry_number`` (1 = the first retry)."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** min(retry_number - 1, 64))
    return rng.uniform(0.0, ceiling)


def _retry_after_wait(response: httpx.Response) -> float | None:
    """The capped wait a response's ``Retry-After`` asks for, if it asks for one > 0."""
    header = response.headers.get("Retry-After")
    if header is None:
        return None
    seconds = parse_retry_after(header, utcnow())
    if seconds is None or not seconds > 0:  # "not >" also rejects NaN
        return None
    return min(seconds, RETRY_AFTER_CAP)


def is_throttle(status_code: int, retry_after: float | None) -> bool:
    """Whether a response says the account is over its rate: any 429, or a 503 that asks
    to come back later (some ActiveCampaign users have seen 503 where 429 was due)."""
    return status_code == 429 or (status_code == 503 and retry_after is not None)


def _rebuilt(response: httpx.Response, body: bytes) -> httpx.Response:
    # A fresh response around the raw bytes: the caller's client decodes and reads it
    # as usual (content-encoding, elapsed), and no connection is held any more.
    return httpx.Response(
        status_code=response.status_code,
        headers=response.headers,
        stream=httpx.ByteStream(body),
        extensions=dict(response.extensions),
    )


def _buffered(response: httpx.Response) -> httpx.Response:
    stream = response.stream
    if not isinstance(stream, httpx.SyncByteStream):
        raise TypeError("the inner transport of RetryingTransport returned an async stream")
    try:
        body = b"".join(stream)
    finally:
        response.close()
    return _rebuilt(response, body)


async def _abuffered(response: httpx.Response) -> httpx.Response:
    stream = response.stream
    if not isinstance(stream, httpx.AsyncByteStream):
        raise TypeError("the inner transport of AsyncRetryingTransport returned a sync stream")
    try:
        body = b"".join([chunk async for chunk in stream])
    finally:
        await response.aclose()
    return _rebuilt(response, body)


class _RetryPolicy:
    """Every decision of the retry loop, shared by the sync and async transports.

    Attributes:
        max_retries: extra attempts after the first, for GETs only.
        limiter: the bucket every attempt waits for, or ``None``.
        stats: the counters every attempt updates.
    """

    def __init__(
        self,
        max_retries: int,
        limiter: RateLimiter | None,
        stats: TransportStats | None,
    ) -> None:
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"max_retries must be an integer >= 0, got {max_retries!r}")
        if limiter is not None and not isinstance(limiter, RateLimiter):
            raise TypeError(f"limiter must be a RateLimiter or None, not {type(limiter).__name__}")
        self.max_retries = max_retries
        self.limiter = limiter
        self.stats = stats if stats is not None else TransportStats()

    def _may_retry(self, request: httpx.Request, retries_done: int) -> bool:
        return request.method.upper() in RETRYABLE_METHODS and retries_done < self.max_retries

    def _retry(self, request: httpx.Request, reason: str, retries_done: int, delay: float) -> float:
        self.stats.record_retry(delay)
        # Host and path only: no query, no userinfo, and headers (the token) never.
        _log.debug(
            "retry %d/%d of %s %s%s after %s, in %.3f s",
            retries_done + 1,
            self.max_retries,
            request.method,
            request.url.host,
            request.url.path,
            reason,
            delay,
        )
        return delay

    def after_response(
        self,
        request: httpx.Request,
        response: httpx.Response,
        retries_done: int,
        sent_at: float | None = None,
    ) -> float | None:
        """Count the response; return the wait before the next attempt, or None to stop.

        ``sent_at`` is when the attempt went out, on the limiter's clock.
        """
        self.stats.record_status(response.status_code)
        asked = _retry_after_wait(response)
        if self.limiter is not None and is_throttle(response.status_code, asked):
            # The account is over its limit: send slower from now on (other programs may
            # share it), and hold back every client of the host for as long as it asks.
            self.limiter.throttled(sent_at)
            if asked is not None:
                self.limiter.pause_for(asked)
        if response.status_code not in RETRYABLE_STATUSES or not self._may_retry(
            request, retries_done
        ):
            return None
        if asked is None:
            asked = backoff_delay(retries_done + 1, jitter_random)
        return self._retry(request, f"status {response.status_code}", retries_done, asked)

    def after_exception(
        self, request: httpx.Request, exc: Exception, retries_done: int
    ) -> float | None:
        """Count the failure; return the wait before the next attempt, or None to re-raise."""
        self.stats.record_exception(exc)
        if not isinstance(exc, RETRYABLE_EXCEPTIONS) or not self._may_retry(request, retries_done):
            return None
        delay = backoff_delay(retries_done + 1, jitter_random)
        return self._retry(request, type(exc).__name__, retries_done, delay)


class RetryingTransport(_RetryPolicy, httpx.BaseTransport):
    """A sync transport that rate-limits every attempt and retries GETs (see module doc).

    The loop is written out again in :class:`AsyncRetryingTransport` (it differs only
    by ``await``); every decision in it lives in the shared ``_RetryPolicy``.

    Args:
        inner: the transport that really sends (default ``httpx.HTTPTransport()``).
        max_retries: extra attempts after the first, for GETs only (>= 0).
        limiter: the bucket every attempt waits for; ``None`` sends without waiting.
        stats: counters to update (a new :class:`TransportStats` if omitted).
    """

    def __init__(
        self,
        inner: httpx.BaseTransport | None = None,
        *,
        max_retries: int = 4,
        limiter: RateLimiter | None = None,
        stats: TransportStats | None = None,
    ) -> None:
        super().__init__(max_retries, limiter, stats)
        self._inner = inner if inner is not None else httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``, retrying as the module docstring describes."""
        retries = 0
        while True:
            waited = self.limiter.acquire() if self.limiter is not None else 0.0
            sent_at = self.limiter.now() if self.limiter is not None else None
            self.stats.record_attempt(waited)
            try:
                response = _buffered(self._inner.handle_request(request))
            except Exception as exc:
                delay = self.after_exception(request, exc, retries)
                if delay is None:
                    raise
            else:
                delay = self.after_response(request, response, retries, sent_at)
                if delay is None:
                    return response
            retries += 1
            sleep(delay)

    def close(self) -> None:
        """Close the inner transport."""
        self._inner.close()


class AsyncRetryingTransport(_RetryPolicy, httpx.AsyncBaseTransport):
    """The asyncio twin of :class:`RetryingTransport`, with the same arguments.

    The default inner transport is ``httpx.AsyncHTTPTransport()``.
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport | None = None,
        *,
        max_retries: int = 4,
        limiter: RateLimiter | None = None,
        stats: TransportStats | None = None,
    ) -> None:
        super().__init__(max_retries, limiter, stats)
        self._inner = inner if inner is not None else httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``, retrying as the module docstring describes."""
        retries = 0
        while True:
            waited = await self.limiter.acquire_async() if self.limiter is not None else 0.0
            sent_at = self.limiter.now() if self.limiter is not None else None
            self.stats.record_attempt(waited)
            try:
                response = await _abuffered(await self._inner.handle_async_request(request))
            except Exception as exc:
                delay = self.after_exception(request, exc, retries)
                if delay is None:
                    raise
            else:
                delay = self.after_response(request, response, retries, sent_at)
                if delay is None:
                    return response
            retries += 1
            await async_sleep(delay)

    async def aclose(self) -> None:
        """Close the inner transport."""
        await self._inner.aclose()
