"""The windowed walk's planner as plain data: no client, no HTTP, no clock.

A history is a list of ``CountRecord`` (newest first) and the "server" is one function
that answers a cursor with the 50 newest records older than it, as the API does. The
planner is driven with its answers arriving in any order; whatever the order, it must
hand out exactly what the sequential ``Pager`` walk yields.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import pytest
from activecampaign_segments import CountRecord
from activecampaign_segments._paging import PAGE_SIZE, Pager
from activecampaign_segments._windows import (
    WindowedWalk,
    WindowRequest,
    check_concurrency,
    windows_worth_running,
)
from hypothesis import given, settings
from hypothesis import strategies as st

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
START = 1_700_000_000  # whole seconds


def make(ms_stamps: list[int], segment: str = "s") -> list[CountRecord]:
    """Records at these epoch milliseconds (sorted newest first), run ids r0, r1, ..."""
    stamps = sorted(ms_stamps, reverse=True)
    return [
        CountRecord(
            segment_id=segment,
            recorded_at=EPOCH + dt.timedelta(milliseconds=ms),
            epoch=ms // 1000,
            result_count=i,
            active_result_count=None,
            segment_hash="h",
            run_id=f"r{i}",
            updating_run_id=None,
        )
        for i, ms in enumerate(stamps)
    ]


def spaced(count: int, step_ms: int = 3_600_000, start_s: int = START) -> list[CountRecord]:
    return make([start_s * 1000 + 500 - i * step_ms for i in range(count)])


def answer(history: list[CountRecord], before: int | None) -> list[CountRecord]:
    older = [r for r in history if before is None or r.epoch < before]
    return older[:PAGE_SIZE]


def sequential(history: list[CountRecord], **bounds: object) -> tuple[list[str], int]:
    """The run ids the sequential walk yields, and its request count."""
    pager = Pager.start("s", **bounds)  # type: ignore[arg-type]
    out, requests = [], 0
    while not pager.done:
        requests += 1
        out += [r.run_id for r in pager.feed(answer(history, pager.before)).records]
    return out, requests


Chooser = Callable[[list[WindowRequest]], int]


def windowed(
    history: list[CountRecord],
    choose: Chooser = lambda pending: 0,
    *,
    concurrency: int = 4,
    pace_to: int | None = None,
    **options: object,
) -> tuple[list[str], list[WindowRequest], WindowedWalk]:
    """Drive the planner, answering one outstanding request at a time (``choose`` which).

    ``pace_to``: after the first answer, limit the windows to this many (as the clients
    do once they have timed the first request)."""
    walk = WindowedWalk.start("s", concurrency=concurrency, **options)  # type: ignore[arg-type]
    out: list[str] = []
    pending: list[WindowRequest] = []
    sent: list[WindowRequest] = []
    for _ in range(100_000):
        for _ in range(2):
            new = walk.next_requests()
            pending += new
            sent += new
            out += [r.run_id for r in walk.take()]
        if walk.done:
            return out, sent, walk
        assert pending, "the planner waits for nothing: it would hang"
        request = pending.pop(choose(pending))
        if walk.wants(request.window):
            walk.feed(request.window, answer(history, request.before))
            if pace_to is not None:
                walk.limit_concurrency(pace_to)
                pace_to = None
        pending = [p for p in pending if walk.wants(p.window)]
    raise AssertionError("the walk did not end")


def fifo(pending: list[WindowRequest]) -> int:
    return 0


def lifo(pending: list[WindowRequest]) -> int:
    return len(pending) - 1


def seeded(seed: int) -> Chooser:
    rng = random.Random(seed)
    return lambda pending: rng.randrange(len(pending))


ORDERS = {"fifo": fifo, "lifo": lifo, "random": seeded(3)}


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("count", [0, 1, 49, 50, 51, 99, 100, 101, 1_000, 2_500])
def test_any_answer_order_hands_out_the_sequential_walk(order: str, count: int) -> None:
    history = spaced(count)
    got, sent, walk = windowed(history, ORDERS[order])
    expected, requests = sequential(history)
    assert got == expected
    # Each window costs at most one request more than its share of the pages (its
    # last page reaches into the window below, or it was a guess), and windows are
    # few, even with four of them walking at once and nothing to pace them.
    assert len(sent) - requests <= walk.windows_opened - 1
    assert walk.windows_opened <= 4 + requests // 3


@pytest.mark.parametrize("count", [2_500, 5_000, 20_000])
def test_long_histories_cost_at_most_a_tenth_more_requests(count: int) -> None:
    # Three windows: what the client runs at 300 ms and 5 requests per second.
    history = spaced(count, step_ms=3_600_000 + 1_234)
    got, sent, _ = windowed(history, fifo, concurrency=3)
    expected, requests = sequential(history)
    assert got == expected
    assert len(sent) <= requests * 1.10


def test_a_short_first_page_is_the_whole_walk_in_one_request() -> None:
    got, sent, walk = windowed(spaced(49))
    assert len(got) == 49
    assert sent == [WindowRequest(0, None)]
    assert walk.windows_opened == 1


def test_concurrency_one_sends_exactly_the_sequential_cursors() -> None:
    history = spaced(777)
    got, sent, walk = windowed(history, concurrency=1)
    pager = Pager.start("s")
    cursors = []
    while not pager.done:
        cursors.append(pager.before)
        pager.feed(answer(history, pager.before))
    assert [r.before for r in sent] == cursors
    assert got == sequential(history)[0]
    assert walk.windows_opened == 1


def test_windows_run_at_once_and_two_records_per_second_survive_every_edge() -> None:
    # Two records in every second: a window edge inside a second would lose or repeat
    # one of them; edges on whole seconds hand out exactly the sequential walk.
    history = make([START * 1000 - i * 500 for i in range(3_000)])
    walk = WindowedWalk.start("s", concurrency=4)
    (first,) = walk.next_requests()
    walk.feed(first.window, answer(history, first.before))
    got = [r.run_id for r in walk.take()]
    most_in_flight = 0
    in_flight: list[WindowRequest] = []
    while not walk.done:
        in_flight += walk.next_requests()
        most_in_flight = max(most_in_flight, len({r.window for r in in_flight}))
        request = in_flight.pop(0)
        if walk.wants(request.window):
            walk.feed(request.window, answer(history, request.before))
        in_flight = [r for r in in_flight if walk.wants(r.window)]
        got += [r.run_id for r in walk.take()]
    assert most_in_flight == 4  # really in parallel
    assert got == sequential(history)[0]


@given(
    gaps=st.lists(
        st.one_of(
            st.just(0),  # the same millisecond... of a crowded second
            st.integers(1, 999),  # within a second
            st.integers(1_000, 10_000_000),  # minutes to hours
            st.integers(10**10, 10**11),  # months to years
        ),
        max_size=400,
    ),
    seed=st.integers(0, 2**16),
    concurrency=st.integers(1, 6),
    pace_to=st.none() | st.integers(1, 6),
    pages_per_window=st.integers(1, 30),
)
@settings(max_examples=150, deadline=None)
def test_generated_histories_in_any_answer_order(
    gaps: list[int], seed: int, concurrency: int, pace_to: int | None, pages_per_window: int
) -> None:
    stamps, at = [], START * 1000
    for gap in gaps:
        at -= gap
        stamps.append(at)
    history = make(stamps)
    got, _, _ = windowed(
        history,
        seeded(seed),
        concurrency=concurrency,
        pace_to=pace_to,
        pages_per_window=pages_per_window,
    )
    assert got == sequential(history)[0]


@given(
    count=st.integers(0, 600),
    step_ms=st.sampled_from([250, 999, 1_000, 61_000, 3_600_000]),
    since_at=st.integers(0, 700),
    until_at=st.integers(0, 700),
    seed=st.integers(0, 100),
)
@settings(max_examples=100, deadline=None)
def test_since_and_until_bound_every_window(
    count: int, step_ms: int, since_at: int, until_at: int, seed: int
) -> None:
    history = spaced(count, step_ms)
    newest = START * 1000 + 500
    since = EPOCH + dt.timedelta(milliseconds=newest - since_at * step_ms - 250)
    until = EPOCH + dt.timedelta(milliseconds=newest - until_at * step_ms + 100)
    if since > until:
        since, until = until, since
    got, _, _ = windowed(history, seeded(seed), since=since, until=until)
    assert got == sequential(history, since=since, until=until)[0]


def test_a_crowded_second_at_a_window_edge_is_read_as_sequentially() -> None:
    # 70 records in one second between ordinary ones, several times over.
    stamps = []
    at = START * 1000
    for _ in range(8):
        stamps += [at - i * 3_600_000 for i in range(60)]
        at -= 60 * 3_600_000
        stamps += [at - i for i in range(70)]  # one second, 70 distinct milliseconds
        at -= 3_600_000
    history = make(stamps)
    for chooser in (fifo, lifo, seeded(9)):
        for width in (1, 2, 5):
            got, _, _ = windowed(history, chooser, pages_per_window=width)
            assert got == sequential(history)[0]


def test_a_gap_of_years_costs_no_extra_request() -> None:
    # Two dense stretches ten years apart: the window that falls in the gap gets the
    # stretch below as its answer, which becomes the next window's first page.
    history = spaced(300) + spaced(300, start_s=START - 10 * 365 * 86_400)
    history = make([int(r.recorded_at.timestamp() * 1000) for r in history])
    got, sent, _ = windowed(history, fifo, concurrency=2, pages_per_window=2)
    expected, requests = sequential(history)
    assert got == expected
    cursors = [r.before for r in sent]
    assert len(cursors) == len(set(cursors))  # no page asked for twice
    assert len(sent) <= requests + 3


def test_a_short_answer_abandons_the_windows_below_it() -> None:
    # A guess below the window where the history ends is abandoned as soon as that
    # window's short answer shows nothing older; its answer is then not needed.
    abandoned_somewhere = False
    for count in range(100, 700, 7):
        history = spaced(count)
        walk = WindowedWalk.start("s", concurrency=4, pages_per_window=3)
        pending: list[WindowRequest] = []
        got: list[str] = []
        while True:
            pending += walk.next_requests()
            got += [r.run_id for r in walk.take()]
            if walk.done:
                break
            request = pending.pop(0)
            if walk.wants(request.window):
                walk.feed(request.window, answer(history, request.before))
            dropped = [p for p in pending if not walk.wants(p.window)]
            abandoned_somewhere |= bool(dropped)
            pending = [p for p in pending if walk.wants(p.window)]
        assert got == sequential(history)[0]
    assert abandoned_somewhere


def test_memory_is_bounded_while_the_front_window_is_slow() -> None:
    history = spaced(5_000)
    bound = 3
    walk = WindowedWalk.start("s", concurrency=3, pages_per_window=10, max_buffered_pages=bound)
    (first,) = walk.next_requests()
    walk.feed(first.window, answer(history, first.before))
    assert len(walk.take()) == 50
    held: list[WindowRequest] = []  # the front window's answers never come
    for _ in range(200):
        requests = walk.next_requests()
        if not requests:
            break
        for request in requests:
            if request.window == first.window:
                held.append(request)
            else:
                walk.feed(request.window, answer(history, request.before))
        assert walk.take() == []  # nothing can be handed out before the front window
    else:
        raise AssertionError("windows below a stalled front kept fetching")
    assert len(held) == 1
    assert walk.windows_opened <= 3
    # Then the front answers, and everything comes out in order.
    got = []
    pending = held
    while not walk.done:
        for request in pending:
            walk.feed(request.window, answer(history, request.before))
        got += [r.run_id for r in walk.take()]
        pending = walk.next_requests()
    expected = sequential(history)[0]
    assert got == expected[50:]


def test_windows_worth_running() -> None:
    assert windows_worth_running(4, 0.3, None) == 4  # no limiter: every window helps
    assert windows_worth_running(4, 0.001, 5.0) == 1  # the limiter sets the pace
    assert windows_worth_running(4, 0.2, 5.0) == 1  # one round trip per slot: enough
    assert windows_worth_running(4, 0.3, 5.0) == 3  # 1.5 slots per round trip, + tail
    assert windows_worth_running(4, 2.0, 5.0) == 4  # capped
    assert windows_worth_running(8, -1.0, 5.0) == 1


@pytest.mark.parametrize("bad", [0, -1, 1.5, "4", True, None])
def test_concurrency_must_be_a_whole_number_of_windows(bad: object) -> None:
    with pytest.raises(ValueError, match="concurrency"):
        check_concurrency(bad)
    with pytest.raises(ValueError, match="concurrency"):
        WindowedWalk.start("s", concurrency=bad)  # type: ignore[arg-type]


def test_bad_bounds_fail_before_any_request() -> None:
    with pytest.raises(ValueError, match="since"):
        WindowedWalk.start("s", since=dt.datetime(2024, 1, 1))  # naive
    with pytest.raises(ValueError, match="pages_per_window"):
        WindowedWalk.start("s", pages_per_window=0)


def test_an_empty_range_sends_nothing() -> None:
    at = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    walk = WindowedWalk.start("s", since=at, until=at)
    assert walk.next_requests() == []
    assert walk.done
