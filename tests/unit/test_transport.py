"""The retrying, rate-limited transports, sync and async through the same cases.

Time is fake throughout: the transport's sleep hooks and the limiter share one clock
that only moves when something sleeps on it, so nothing here really waits.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import json
import logging
import random
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from activecampaign_segments import _transport
from activecampaign_segments._adaptive import BETA
from activecampaign_segments._limiter import RateLimiter
from activecampaign_segments._transport import (
    RETRYABLE_STATUSES,
    AsyncRetryingTransport,
    RetryingTransport,
    TransportStats,
    backoff_delay,
    parse_retry_after,
)
from hypothesis import given
from hypothesis import strategies as st

NOW = dt.datetime(2026, 1, 1, 0, 0, 0, tzinfo=dt.UTC)
Outcome = httpx.Response | Exception | Callable[[], httpx.Response]


class Server:
    """A scripted MockTransport handler: one outcome per attempt, the last one repeats."""

    def __init__(self, harness: Harness, outcomes: list[Outcome]) -> None:
        self.harness = harness
        self.outcomes = outcomes
        self.attempts: list[tuple[float, str]] = []  # (fake time, method) of each attempt

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.attempts.append((self.harness.now, request.method))
        outcome = self.outcomes[min(len(self.attempts), len(self.outcomes)) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome if isinstance(outcome, httpx.Response) else outcome()


class Harness:
    """Sends requests through a sync or an async retrying transport on fake time."""

    def __init__(self, flavour: str) -> None:
        self.flavour = flavour
        self.now = 0.0
        self.retry_sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def async_advance(self, seconds: float) -> None:
        self.now += seconds

    def retry_sleep(self, seconds: float) -> None:
        self.retry_sleeps.append(seconds)
        self.now += seconds

    async def async_retry_sleep(self, seconds: float) -> None:
        self.retry_sleep(seconds)

    def limiter(self, rate: float) -> RateLimiter:
        return RateLimiter(
            rate, clock=self.clock, sleep=self.advance, async_sleep=self.async_advance
        )

    def transport(
        self, server: Server, **options: Any
    ) -> RetryingTransport | AsyncRetryingTransport:
        mock = httpx.MockTransport(server)
        if self.flavour == "sync":
            return RetryingTransport(mock, **options)
        return AsyncRetryingTransport(mock, **options)

    def send(self, transport: Any, method: str = "GET") -> httpx.Response:
        url = "https://acct.api-us1.com/api/3/segmentsV2/1/count-history"
        if self.flavour == "sync":
            with httpx.Client(transport=transport) as client:
                return client.request(method, url)

        async def go() -> httpx.Response:
            async with httpx.AsyncClient(transport=transport) as client:
                return await client.request(method, url)

        return asyncio.run(go())

    def run(self, outcomes: list[Outcome], method: str = "GET", **options: Any) -> Exchange:
        server = Server(self, outcomes)
        transport = self.transport(server, **options)
        exchange = Exchange(server, transport.stats)
        try:
            exchange.response = self.send(transport, method)
        except Exception as exc:
            exchange.error = exc
        return exchange


class Exchange:
    def __init__(self, server: Server, stats: TransportStats) -> None:
        self.server = server
        self.stats = stats
        self.response: httpx.Response | None = None
        self.error: Exception | None = None

    @property
    def attempts(self) -> int:
        return len(self.server.attempts)

    @property
    def times(self) -> list[float]:
        return [t for t, _ in self.server.attempts]


class LowestJitter(random.Random):
    """Backoff always at its floor (0 s), so only the limiter spaces attempts."""

    def uniform(self, a: float, b: float) -> float:
        return a


@pytest.fixture(params=["sync", "async"])
def harness(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Harness:
    h = Harness(request.param)
    monkeypatch.setattr(_transport, "sleep", h.retry_sleep)
    monkeypatch.setattr(_transport, "async_sleep", h.async_retry_sleep)
    monkeypatch.setattr(_transport, "jitter_random", random.Random(20260101))
    monkeypatch.setattr(_transport, "utcnow", lambda: NOW)
    return h


def ok(payload: object = None) -> httpx.Response:
    return httpx.Response(200, json={"segmentCountHistories": []} if payload is None else payload)


def status(code: int, **headers: str) -> httpx.Response:
    return httpx.Response(code, headers=headers, json={"errors": [{"title": f"status {code}"}]})


class BrokenBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that sends a first chunk and then fails, as a reset connection does."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield b'{"segmentCountHistories": [{"id": '
        raise self.error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"segmentCountHistories": [{"id": '
        raise self.error

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


# ---------------------------------------------------------------- statuses


@pytest.mark.parametrize("code", sorted(RETRYABLE_STATUSES))
def test_a_retryable_status_is_retried_max_retries_times_then_returned(
    harness: Harness, code: int
) -> None:
    ex = harness.run([status(code)], max_retries=3)
    assert ex.error is None and ex.response is not None
    assert ex.response.status_code == code
    assert ex.response.json() == {"errors": [{"title": f"status {code}"}]}
    assert ex.attempts == 4
    assert ex.stats.requests == 4 and ex.stats.retries == 3
    assert ex.stats.by_status == {code: 4}
    assert ex.stats.rate_limited == (4 if code == 429 else 0)
    assert len(harness.retry_sleeps) == 3


def test_a_retryable_status_followed_by_success_returns_the_success(harness: Harness) -> None:
    ex = harness.run([status(503), status(520), ok({"fine": True})])
    assert ex.response is not None and ex.response.json() == {"fine": True}
    assert ex.attempts == 3
    assert ex.stats.by_status == {503: 1, 520: 1, 200: 1}


@pytest.mark.parametrize("code", [200, 301, 400, 401, 403, 404, 422, 501, 505, 519, 528])
def test_a_non_retryable_status_is_returned_after_one_attempt(harness: Harness, code: int) -> None:
    ex = harness.run([status(code), ok()])
    assert ex.response is not None and ex.response.status_code == code
    assert ex.attempts == 1
    assert ex.stats.retries == 0 and harness.retry_sleeps == []


def test_max_retries_zero_sends_once(harness: Harness) -> None:
    ex = harness.run([status(503), ok()], max_retries=0)
    assert ex.response is not None and ex.response.status_code == 503
    assert ex.attempts == 1


# ---------------------------------------------------------------- exceptions

RETRYABLE_ERRORS = [
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.PoolTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.CloseError,
    httpx.RemoteProtocolError,
]


@pytest.mark.parametrize("error", RETRYABLE_ERRORS, ids=lambda e: e.__name__)
def test_a_retryable_exception_is_retried_max_retries_times_then_raised(
    harness: Harness, error: type[httpx.TransportError]
) -> None:
    ex = harness.run([error("connection trouble")], max_retries=2)
    assert isinstance(ex.error, error)
    assert ex.attempts == 3
    assert ex.stats.requests == 3 and ex.stats.retries == 2
    assert ex.stats.by_exception == {error.__name__: 3}
    assert ex.stats.by_status == {}


@pytest.mark.parametrize("error", RETRYABLE_ERRORS, ids=lambda e: e.__name__)
def test_a_retryable_exception_followed_by_success_returns_the_success(
    harness: Harness, error: type[httpx.TransportError]
) -> None:
    ex = harness.run([error("once"), ok({"after": "failure"})])
    assert ex.response is not None and ex.response.json() == {"after": "failure"}
    assert ex.attempts == 2


def test_the_last_exception_is_the_one_raised(harness: Harness) -> None:
    ex = harness.run([httpx.ConnectError("first"), httpx.ReadTimeout("last")], max_retries=1)
    assert isinstance(ex.error, httpx.ReadTimeout)
    assert str(ex.error) == "last"


@pytest.mark.parametrize(
    "error",
    [httpx.LocalProtocolError("ours"), httpx.UnsupportedProtocol("ftp"), ValueError("bug")],
    ids=lambda e: type(e).__name__,
)
def test_a_non_retryable_exception_is_raised_after_one_attempt(
    harness: Harness, error: Exception
) -> None:
    ex = harness.run([error, ok()])
    assert ex.error is error
    assert ex.attempts == 1
    assert ex.stats.by_exception == {type(error).__name__: 1}


@pytest.mark.parametrize(
    "error", [httpx.ReadError("reset"), httpx.RemoteProtocolError("peer closed")]
)
def test_a_connection_reset_mid_body_is_retried_and_the_good_body_returned(
    harness: Harness, error: Exception
) -> None:
    broken = BrokenBody(error)
    ex = harness.run([httpx.Response(200, stream=broken), ok({"whole": "body"})])
    assert ex.error is None and ex.response is not None
    assert ex.response.json() == {"whole": "body"}
    assert ex.attempts == 2
    assert ex.stats.by_exception == {type(error).__name__: 1}
    assert ex.stats.by_status == {200: 1}  # the broken 200 never counts as a response
    assert broken.closed  # the failed attempt's connection was released


def test_a_body_that_always_breaks_raises_the_read_error_after_the_retries(
    harness: Harness,
) -> None:
    ex = harness.run(
        [lambda: httpx.Response(200, stream=BrokenBody(httpx.ReadError("reset")))], max_retries=2
    )
    assert isinstance(ex.error, httpx.ReadError)
    assert ex.attempts == 3


def test_the_body_is_returned_byte_exact_with_its_content_encoding(harness: Harness) -> None:
    payload = {"segmentCountHistories": [{"id": "é" * 500}]}
    raw = gzip.compress(json.dumps(payload).encode())
    ex = harness.run([httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=raw)])
    assert ex.response is not None and ex.response.json() == payload
    assert ex.response.elapsed >= dt.timedelta(0)  # httpx could finish the response normally


# ---------------------------------------------------------------- methods


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
def test_a_non_get_is_never_retried(harness: Harness, method: str) -> None:
    ex = harness.run([status(503), ok()], method=method)
    assert ex.response is not None and ex.response.status_code == 503
    assert ex.attempts == 1
    errored = harness.run([httpx.ConnectError("refused"), ok()], method=method)
    assert isinstance(errored.error, httpx.ConnectError)
    assert errored.attempts == 1


def test_a_non_get_still_waits_for_the_limiter(harness: Harness) -> None:
    server = Server(harness, [ok()])
    transport = harness.transport(server, limiter=harness.limiter(4.0))
    for _ in range(3):
        harness.send(transport, "POST")
    assert [t for t, _ in server.attempts] == pytest.approx([0.0, 0.25, 0.5])


# ---------------------------------------------------------------- Retry-After


@pytest.mark.parametrize(
    ("header", "wait"),
    [
        ("7", 7.0),
        (" 2 ", 2.0),
        ("1.5", 1.5),
        ("60", 60.0),
        ("61", 60.0),
        ("86400", 60.0),
        ("9" * 400, 60.0),
        ("Thu, 01 Jan 2026 00:00:30 GMT", 30.0),
        ("Thu, 01 Jan 2026 02:00:00 GMT", 60.0),
    ],
)
def test_retry_after_is_honoured_up_to_the_cap(harness: Harness, header: str, wait: float) -> None:
    ex = harness.run([status(429, **{"Retry-After": header}), ok()])
    assert ex.response is not None and ex.response.status_code == 200
    assert harness.retry_sleeps == [pytest.approx(wait)]
    assert ex.times == pytest.approx([0.0, wait])


@pytest.mark.parametrize("code", [503, 429, 520])
def test_retry_after_is_honoured_on_any_retryable_status(harness: Harness, code: int) -> None:
    harness.run([status(code, **{"Retry-After": "4"}), ok()])
    assert harness.retry_sleeps == [pytest.approx(4.0)]


@pytest.mark.parametrize(
    "header",
    [
        "soon",
        "-5",
        "",
        "0",
        "1e3",
        "NaN",
        "inf",
        "Wed, 99 Foo 2026 25:61:00 GMT",
        "Wed, 31 Dec 2025 23:59:00 GMT",  # in the past
        "5, 6",
    ],
)
def test_a_useless_retry_after_falls_back_to_backoff(harness: Harness, header: str) -> None:
    ex = harness.run([status(503, **{"Retry-After": header}), ok()])
    assert ex.response is not None and ex.response.status_code == 200
    assert len(harness.retry_sleeps) == 1
    assert 0.0 <= harness.retry_sleeps[0] <= 0.5  # the first backoff step


def test_a_429_with_retry_after_pauses_every_client_of_the_host(harness: Harness) -> None:
    shared = harness.limiter(5.0)
    first = Server(harness, [status(429, **{"Retry-After": "5"})])
    second = Server(harness, [ok()])
    # The first client gives up at once (no retries) but the account is still paused,
    # so the second client's request waits for the end of the pause.
    harness.send(harness.transport(first, limiter=shared, max_retries=0))
    harness.send(harness.transport(second, limiter=shared))
    assert [t for t, _ in first.attempts] == [0.0]
    assert [t for t, _ in second.attempts] == pytest.approx([5.0])


def test_a_429_without_retry_after_does_not_pause_the_host(harness: Harness) -> None:
    shared = harness.limiter(5.0)
    harness.send(harness.transport(Server(harness, [status(429)]), limiter=shared, max_retries=0))
    second = Server(harness, [ok()])
    harness.send(harness.transport(second, limiter=shared))
    assert [t for t, _ in second.attempts] == pytest.approx([0.2])


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("Thu, 01 Jan 2026 00:01:00 GMT", 60.0),
        ("Thursday, 01-Jan-26 00:00:10 GMT", 10.0),  # RFC 850, obsolete but allowed
        ("Thu Jan  1 00:00:20 2026", 20.0),  # asctime, no zone: UTC
        ("Wed, 31 Dec 2025 00:00:00 GMT", 0.0),
        ("-1", None),
        ("abc", None),
        ("", None),
        ("1,5", None),
        ("+3", None),
    ],
)
def test_parse_retry_after(value: str, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == (None if seconds is None else pytest.approx(seconds))


# ---------------------------------------------------------------- backoff


def test_backoff_is_full_jitter_within_the_exponential_bounds(harness: Harness) -> None:
    harness.run([status(503)], max_retries=9)
    ceilings = [min(8.0, 0.5 * 2**k) for k in range(9)]
    assert len(harness.retry_sleeps) == 9
    assert all(0.0 <= s <= c for s, c in zip(harness.retry_sleeps, ceilings, strict=True))
    # Jittered, not the ceilings themselves.
    assert harness.retry_sleeps != ceilings
    assert len(set(harness.retry_sleeps)) == 9


def test_backoff_is_reproducible_with_a_seeded_random(harness: Harness) -> None:
    harness.run([status(503)], max_retries=4)
    first = list(harness.retry_sleeps)
    harness.retry_sleeps.clear()
    _transport.jitter_random.seed(20260101)
    harness.run([status(503)], max_retries=4)
    assert harness.retry_sleeps == first


@given(retry=st.integers(min_value=1, max_value=10_000), seed=st.integers(0, 2**32))
def test_backoff_delay_never_leaves_zero_to_the_capped_ceiling(retry: int, seed: int) -> None:
    delay = backoff_delay(retry, random.Random(seed))
    assert 0.0 <= delay <= min(8.0, 0.5 * 2 ** min(retry - 1, 64))


def test_backoff_reaches_the_whole_range_up_to_the_cap() -> None:
    rng = random.Random(7)
    delays = [backoff_delay(6, rng) for _ in range(2000)]
    assert max(delays) <= 8.0
    assert max(delays) > 7.0 and min(delays) < 1.0  # spread over [0, 8], not piled at 8


# ---------------------------------------------------------------- limiter


def test_the_limiter_is_acquired_before_every_attempt_retries_included(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_transport, "jitter_random", LowestJitter())
    ex = harness.run([status(503), status(503), ok()], limiter=harness.limiter(2.0))
    assert ex.times == pytest.approx([0.0, 0.5, 1.0])
    assert harness.retry_sleeps == [0.0, 0.0]
    assert ex.stats.limiter_wait == pytest.approx(1.0)


def test_two_clients_of_one_host_share_the_rate(harness: Harness) -> None:
    shared = harness.limiter(5.0)
    server = Server(harness, [ok()])
    client_a = harness.transport(server, limiter=shared)
    client_b = harness.transport(server, limiter=shared)
    for transport in (client_a, client_b, client_a, client_b):
        harness.send(transport)
    assert [t for t, _ in server.attempts] == pytest.approx([0.0, 0.2, 0.4, 0.6])


def test_clients_of_two_hosts_do_not_slow_each_other(harness: Harness) -> None:
    server = Server(harness, [ok()])
    one = harness.transport(server, limiter=harness.limiter(5.0))
    other = harness.transport(server, limiter=harness.limiter(5.0))
    harness.send(one)
    harness.send(other)
    assert [t for t, _ in server.attempts] == [0.0, 0.0]


def test_many_concurrent_async_requests_share_the_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    h = Harness("async")
    frozen: list[float] = []

    async def record(seconds: float) -> None:  # concurrent waits, measured from one instant
        frozen.append(seconds)
        await asyncio.sleep(0)

    limiter = RateLimiter(10.0, clock=lambda: 0.0, async_sleep=record)
    transport = AsyncRetryingTransport(httpx.MockTransport(Server(h, [ok()])), limiter=limiter)

    async def go() -> list[int]:
        async with httpx.AsyncClient(transport=transport) as client:
            responses = await asyncio.gather(*(client.get("https://h/x") for _ in range(20)))
        return [r.status_code for r in responses]

    assert asyncio.run(go()) == [200] * 20
    assert sorted(frozen) == pytest.approx([k / 10 for k in range(1, 20)])
    assert transport.stats.requests == 20


# ---------------------------------------------------------------- stats and arguments


def test_stats_count_a_mixed_history(harness: Harness) -> None:
    stats = TransportStats()
    ex = harness.run(
        [
            status(429, **{"Retry-After": "1"}),
            httpx.ReadError("reset"),
            status(503),
            ok(),
        ],
        stats=stats,
    )
    assert ex.stats is stats
    assert ex.response is not None and ex.response.status_code == 200
    assert stats.as_dict() == {
        "requests": 4,
        "retries": 3,
        "rate_limited": 1,
        "by_status": {429: 1, 503: 1, 200: 1},
        "by_exception": {"ReadError": 1},
        "limiter_wait": 0.0,
        "retry_wait": pytest.approx(sum(harness.retry_sleeps)),
    }
    assert harness.retry_sleeps[0] == 1.0


def test_retries_are_logged_without_the_token_or_the_query(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    token = "tok-SECRET-4f1c9e"  # a fake, distinctive token
    server = Server(harness, [status(503), httpx.ReadError("reset"), ok()])
    transport = harness.transport(server)
    url = f"https://user:{token}@acct.api-us1.com/api/3/x?api_key={token}"
    caplog.set_level(logging.DEBUG, logger="activecampaign_segments._transport")
    if harness.flavour == "sync":
        with httpx.Client(transport=transport, headers={"Api-Token": token}) as client:
            client.get(url)
    else:

        async def go() -> None:
            async with httpx.AsyncClient(transport=transport, headers={"Api-Token": token}) as c:
                await c.get(url)

        asyncio.run(go())
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert "retry 1/4 of GET acct.api-us1.com/api/3/x after status 503" in messages[0]
    assert "retry 2/4 of GET acct.api-us1.com/api/3/x after ReadError" in messages[1]
    assert not any(token in m for m in messages)


def test_stats_accumulate_across_requests_of_one_client(harness: Harness) -> None:
    server = Server(harness, [status(502), ok()])
    transport = harness.transport(server)
    harness.send(transport)
    harness.send(transport)  # the script's last outcome (200) repeats
    assert transport.stats.requests == 3
    assert transport.stats.retries == 1
    assert transport.stats.by_status == {502: 1, 200: 2}


@pytest.mark.parametrize("flavour", [RetryingTransport, AsyncRetryingTransport])
@pytest.mark.parametrize("max_retries", [-1, 1.5, "3", True, None])
def test_a_bad_max_retries_is_refused(flavour: type[Any], max_retries: object) -> None:
    with pytest.raises(ValueError, match="max_retries"):
        flavour(httpx.MockTransport(ok), max_retries=max_retries)


@pytest.mark.parametrize("flavour", [RetryingTransport, AsyncRetryingTransport])
def test_a_limiter_of_the_wrong_type_is_refused(flavour: type[Any]) -> None:
    with pytest.raises(TypeError, match="RateLimiter"):
        flavour(httpx.MockTransport(ok), limiter=5.0)


class ClosingInner(httpx.BaseTransport, httpx.AsyncBaseTransport):
    closed = 0

    def close(self) -> None:
        self.closed += 1

    async def aclose(self) -> None:
        self.closed += 1


def test_closing_the_transport_closes_the_inner_one() -> None:
    inner = ClosingInner()
    RetryingTransport(inner).close()
    asyncio.run(AsyncRetryingTransport(inner).aclose())
    assert inner.closed == 2


def test_default_inner_transports_are_httpx_ones() -> None:
    with RetryingTransport() as sync_transport:
        assert isinstance(sync_transport._inner, httpx.HTTPTransport)
    async_transport = AsyncRetryingTransport()
    assert isinstance(async_transport._inner, httpx.AsyncHTTPTransport)
    asyncio.run(async_transport.aclose())


# ---------------------------------------------------------------- throttles and the adaptive rate


@pytest.mark.parametrize(
    ("response", "cuts"),
    [
        (status(429), True),  # a 429 without Retry-After still says "too fast"
        (status(429, **{"Retry-After": "2"}), True),
        (status(503, **{"Retry-After": "2"}), True),  # a 503 asking to come back later
        (status(503), False),  # a plain 503 is a server error, not a throttle
        (status(500, **{"Retry-After": "2"}), False),
        (status(520), False),
    ],
)
def test_a_throttle_lowers_the_limiter_rate(
    harness: Harness, response: httpx.Response, cuts: bool
) -> None:
    shared = harness.limiter(5.0)
    harness.run([response, ok()], limiter=shared, max_retries=1)
    assert (shared.rate < 5.0) is cuts
    assert shared.floor <= shared.rate <= shared.configured_rate == 5.0


@pytest.mark.parametrize(
    "header",
    [
        None,  # a 429 without Retry-After
        "3600",  # an hour: capped at 60 s
        "-1",  # nonsense: backoff instead
        "Wed, 31 Dec 2025 23:59:00 GMT",  # an HTTP-date in the past: backoff instead
        "1",
    ],
)
def test_a_server_that_always_throttles_ends_in_the_429_after_the_retry_budget(
    harness: Harness, header: str | None
) -> None:
    shared = harness.limiter(5.0)
    headers = {} if header is None else {"Retry-After": header}
    ex = harness.run([status(429, **headers)], limiter=shared, max_retries=4)
    assert ex.error is None and ex.response is not None
    assert ex.response.status_code == 429  # the client turns it into RateLimitError
    assert ex.attempts == 5 and ex.stats.rate_limited == 5 and ex.stats.retries == 4
    assert all(wait <= _transport.RETRY_AFTER_CAP for wait in harness.retry_sleeps)
    # The limiter fell (not below its floor) and never sent faster than configured.
    assert shared.floor <= shared.rate < shared.configured_rate == 5.0
    assert all(b - a >= 0.2 - 1e-9 for a, b in zip(ex.times, ex.times[1:], strict=False))


def test_requests_throttled_together_cut_the_rate_once(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_now = [0.0]
    limiter = RateLimiter(5.0, clock=lambda: fake_now[0], async_sleep=lambda _s: asyncio.sleep(0))
    monkeypatch.setattr(_transport, "async_sleep", lambda _s: asyncio.sleep(0))
    started = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        await started.wait()  # all eight are in flight when the first 429 comes back
        return status(429)

    async def go() -> None:
        transport = AsyncRetryingTransport(
            httpx.MockTransport(handler), limiter=limiter, max_retries=0
        )
        async with httpx.AsyncClient(transport=transport) as client:
            tasks = [
                asyncio.create_task(client.get("https://acct.api-us1.com/x")) for _ in range(8)
            ]
            await asyncio.sleep(0.01)
            started.set()
            await asyncio.gather(*tasks)

    asyncio.run(go())
    assert limiter.rate == pytest.approx(5.0 * BETA)  # one episode, one cut (not BETA ** 8)
