"""The windowed walk through both clients, against the in-memory API (``httpx.MockTransport``).

The async client walks windows by default; the sync client does with ``concurrency > 1``
(worker threads). Either must yield the page-after-page walk's records, in its order, on
any history; fail with the client's typed errors; and leave nothing running when the
caller stops early.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from activecampaign_segments import (
    AsyncSegmentsClient,
    PaginationError,
    ResponseValidationError,
    SegmentsClient,
    ServerError,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .fakes import BASE_URL, START_MS, TOKEN, FakeApi, crowded_history, epoch_of, history, record

KINDS = ["sync-threads", "async"]


def sequential(fake: FakeApi, segment_id: str, **bounds: Any) -> list[str]:
    with SegmentsClient(
        BASE_URL,
        TOKEN,
        requests_per_second=None,
        max_retries=0,
        transport=httpx.MockTransport(fake),
    ) as client:
        return [r.run_id for r in client.count_history(segment_id, **bounds)]


def windowed(kind: str, handler: Callable[..., Any], segment_id: str, **options: Any) -> list[str]:
    """The run ids of the windowed walk (limiter off: every window runs)."""
    bounds = {k: options.pop(k) for k in ("since", "until", "concurrency") if k in options}
    options.setdefault("requests_per_second", None)
    options.setdefault("max_retries", 0)
    if kind == "sync-threads":
        bounds.setdefault("concurrency", 4)
        with SegmentsClient(
            BASE_URL, TOKEN, transport=httpx.MockTransport(handler), **options
        ) as client:
            return [r.run_id for r in client.count_history(segment_id, **bounds)]

    async def collect() -> list[str]:
        async with AsyncSegmentsClient(
            BASE_URL, TOKEN, transport=httpx.MockTransport(handler), **options
        ) as client:
            return [r.run_id async for r in client.count_history(segment_id, **bounds)]

    return asyncio.run(collect())


def gapped_history(segment_id: str, gaps: list[int]) -> list[dict[str, Any]]:
    out, at = [], START_MS
    for index, gap in enumerate(gaps):
        at -= gap
        out.append(record(segment_id, at, f"run {index} %+. ü"))
    return out


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("count", [0, 1, 49, 50, 51, 100, 2_500])
def test_ordinary_histories_come_out_as_sequentially(kind: str, count: int) -> None:
    fake = FakeApi({"a b%+.ü": history("a b%+.ü", count)})
    expected = sequential(fake, "a b%+.ü")
    fake.requests.clear()
    assert windowed(kind, fake, "a b%+.ü") == expected
    assert len(expected) == count
    # A short history needs one request, as sequentially; a long one few extra.
    requests = len(fake.requests)
    if count < 50:
        assert requests == 1
    if count == 2_500:
        # With the limiter off all four windows walk at once. Under asyncio the order of
        # answers is fixed (55 requests every time); with worker threads, scheduling
        # decides how far each window reads past its share (53 to 58 in 80 runs here), so
        # threads get the planner's own bound: one extra request per window opened, which
        # tests/unit/test_windows.py proves for every answer order.
        assert requests <= 52 + (5 if kind == "async" else 8)


@pytest.mark.parametrize("kind", KINDS)
def test_crowded_and_shared_seconds_come_out_as_sequentially(kind: str) -> None:
    truth = (
        crowded_history("s", before=49, crowd=2, after=300)
        + crowded_history("s", before=0, crowd=70, after=0)[:0]
    )
    fake = FakeApi({"s": truth, "c": crowded_history("c", before=30, crowd=60, after=400)})
    assert windowed(kind, fake, "s") == sequential(fake, "s")
    assert windowed(kind, fake, "c") == sequential(fake, "c")


@given(
    gaps=st.lists(
        st.one_of(
            st.integers(1, 999),  # the same second
            st.integers(1_000, 3_600_000),  # up to an hour
            st.integers(10**10, 2 * 10**11),  # months to years
        ),
        max_size=350,
    ),
    kind=st.sampled_from(KINDS),
    concurrency=st.integers(2, 5),
)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_generated_histories_come_out_as_sequentially(
    gaps: list[int], kind: str, concurrency: int
) -> None:
    fake = FakeApi({"g": gapped_history("g", gaps)})
    assert windowed(kind, fake, "g", concurrency=concurrency) == sequential(fake, "g")


@given(
    count=st.integers(0, 400),
    since_index=st.integers(0, 450),
    until_index=st.integers(0, 450),
    kind=st.sampled_from(KINDS),
)
@settings(max_examples=30, deadline=None)
def test_since_and_until_come_out_as_sequentially(
    count: int, since_index: int, until_index: int, kind: str
) -> None:
    truth = history("h", count, step_ms=20_250)
    fake = FakeApi({"h": truth})
    at = dt.datetime.fromtimestamp(START_MS / 1000, dt.UTC)
    since = at - dt.timedelta(milliseconds=since_index * 20_250 + 125)
    until = at - dt.timedelta(milliseconds=until_index * 20_250 - 300)
    if since > until:
        since, until = until, since
    expected = sequential(fake, "h", since=since, until=until)
    assert windowed(kind, fake, "h", since=since, until=until) == expected
    epoch_until = int(until.timestamp())
    assert windowed(kind, fake, "h", until=epoch_until) == sequential(fake, "h", until=epoch_until)


class FailingAt(FakeApi):
    """Answers ``status`` to the first request with a cursor at or below ``below``."""

    def __init__(self, histories: dict[str, list[dict[str, Any]]], below: int, status: int):
        super().__init__(histories)
        self.below, self.status, self.failed = below, status, 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        parts = self.path_segments(request)
        if len(parts) == 6 and int(parts[5]) <= self.below and not self.failed:
            self.failed += 1
            self.requests.append(request)
            return httpx.Response(self.status, json={"errors": [{"title": "down"}]})
        return super().__call__(request)


@pytest.mark.parametrize("kind", KINDS)
def test_an_error_in_a_lower_window_is_raised_as_the_typed_error(kind: str) -> None:
    truth = history("s", 2_000)
    fake = FailingAt({"s": truth}, below=epoch_of(truth[1_000]), status=503)
    with pytest.raises(ServerError) as info:
        windowed(kind, fake, "s")
    assert info.value.status_code == 503
    assert fake.failed == 1


@pytest.mark.parametrize("kind", KINDS)
def test_a_server_ignoring_the_cursor_raises_pagination_error(kind: str) -> None:
    fake = FakeApi({"42": history("42", 120)}, ignore_cursor=True)
    with pytest.raises(PaginationError):
        windowed(kind, fake, "42")


@pytest.mark.parametrize("kind", KINDS)
def test_a_record_of_another_segment_in_a_window_is_rejected(kind: str) -> None:
    truth = history("s", 300)
    truth[200] = {**truth[200], "segment_id": "other"}
    fake = FakeApi({"s": truth})
    with pytest.raises(ResponseValidationError, match="segment_id"):
        windowed(kind, fake, "s")


@pytest.mark.parametrize("bad", [0, -2, 2.5, "4", True])
def test_a_bad_concurrency_fails_before_any_request(bad: object) -> None:
    fake = FakeApi({"s": history("s", 10)})
    with (
        SegmentsClient(BASE_URL, TOKEN, transport=httpx.MockTransport(fake)) as sync_client,
        pytest.raises(ValueError, match="concurrency"),
    ):
        sync_client.count_history("s", concurrency=bad)  # type: ignore[arg-type]
    client = AsyncSegmentsClient(BASE_URL, TOKEN, transport=httpx.MockTransport(fake))
    with pytest.raises(ValueError, match="concurrency"):
        client.count_history("s", concurrency=bad)  # type: ignore[arg-type]
    asyncio.run(client.aclose())
    assert fake.requests == []


def test_a_fast_server_under_the_limiter_gets_the_sequential_requests() -> None:
    # Answers come back far faster than the limiter's 0.5 s spacing (an in-memory
    # transport): more windows could only add requests, so the async default walks
    # page after page.
    truth = history("s", 99)
    fake = FakeApi({"s": truth})
    expected = sequential(fake, "s")
    sequential_cursors = list(fake.cursors)
    fake.requests.clear()
    assert windowed("async", fake, "s", requests_per_second=2.0) == expected
    assert fake.cursors == sequential_cursors


@pytest.mark.parametrize("closing", ["aclose", "dropped"])
def test_breaking_out_early_cancels_the_requests_in_flight(closing: str) -> None:
    truth = history("s", 3_000)
    fake = FakeApi({"s": truth})
    newest_window_ends = epoch_of(truth[300])
    cancelled = 0

    async def slow(request: httpx.Request) -> httpx.Response:
        # The newest records come at once, the older windows' answers take a minute:
        # when the caller stops, those requests are in flight.
        nonlocal cancelled
        parts = FakeApi.path_segments(request)
        fast = len(parts) == 5 or int(parts[5]) > newest_window_ends
        try:
            await asyncio.sleep(0 if fast else 60)
        except asyncio.CancelledError:
            cancelled += 1
            raise
        return fake(request)

    problems: list[dict[str, Any]] = []

    async def main() -> tuple[int, set[asyncio.Task[Any]]]:
        asyncio.get_running_loop().set_exception_handler(lambda _, ctx: problems.append(ctx))
        async with AsyncSegmentsClient(
            BASE_URL, TOKEN, transport=httpx.MockTransport(slow), requests_per_second=None
        ) as client:
            walk = client.count_history("s")
            got = 0
            async for _ in walk:
                got += 1
                if got == 120:
                    break
            if closing == "aclose":
                await walk.aclose()  # type: ignore[attr-defined]
            else:
                # Dropped without aclose(): asyncio's async-generator hook closes it
                # on the next turns of the loop.
                del walk
                for _ in range(5):
                    await asyncio.sleep(0)
            return got, {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}

    got, left = asyncio.run(main())
    assert got == 120
    assert left == set()  # no request outlives the walk
    assert cancelled >= 1  # requests were in flight, and were cancelled
    assert problems == []  # no "exception never retrieved", no destroyed pending task


def test_breaking_out_of_the_threaded_walk_leaves_no_thread_running() -> None:
    fake = FakeApi({"s": history("s", 3_000)})
    before = {t.ident for t in threading.enumerate()}
    with SegmentsClient(
        BASE_URL, TOKEN, transport=httpx.MockTransport(fake), requests_per_second=None
    ) as client:
        walk = client.count_history("s", concurrency=4)
        first = [next(walk) for _ in range(120)]
        walk.close()  # type: ignore[attr-defined]
        assert {t.ident for t in threading.enumerate()} <= before
        sent = len(fake.requests)
    assert len(first) == 120
    assert sent < 3_000 // 49  # it stopped fetching: far fewer pages than the history


def test_the_sync_client_stays_sequential_and_thread_free_by_default() -> None:
    fake = FakeApi({"s": history("s", 500)})
    seen_threads: set[str] = set()

    def handler(request: httpx.Request) -> httpx.Response:
        seen_threads.add(threading.current_thread().name)
        return fake(request)

    with SegmentsClient(
        BASE_URL, TOKEN, transport=httpx.MockTransport(handler), requests_per_second=None
    ) as client:
        records = list(client.count_history("s"))
    assert len(records) == 500
    assert seen_threads == {threading.current_thread().name}
    assert len(fake.requests) == 11  # 500 records, 49 new per full page after the first
