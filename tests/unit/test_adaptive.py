"""The adaptive rate (CUBIC) as plain arithmetic, and inside the bucket on a fake clock."""

from __future__ import annotations

import heapq
import itertools
import math
import random

import pytest
from activecampaign_segments._adaptive import BETA, AdaptiveRate
from activecampaign_segments._limiter import RateLimiter
from activecampaign_simulator.ratelimit import TokenBucket, retry_after_header
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.test_limiter import FakeTime, fake_limiter


def test_an_unthrottled_rate_is_the_ceiling() -> None:
    rate = AdaptiveRate(5.0)
    assert rate.rate(0.0) == 5.0
    assert rate.rate(1e9) == 5.0


def test_a_throttle_cuts_the_rate_then_it_climbs_back_to_the_ceiling_and_stays() -> None:
    rate = AdaptiveRate(5.0)
    assert rate.throttled(10.0)
    assert rate.rate(10.0) == pytest.approx(5.0 * BETA)
    curve = [rate.rate(10.0 + k * 0.25) for k in range(200)]
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(curve))  # never falls on its own
    assert curve[4] < 5.0  # gradual: not back after one second
    assert curve[-1] == 5.0  # back within 50 s, and never above
    assert max(curve) == 5.0


def test_the_curve_flattens_near_the_last_peak() -> None:
    rate = AdaptiveRate(10.0)
    rate.lower_ceiling(10.0)
    rate.throttled(0.0)  # peak 10, cut to 7
    rate.throttled(100.0)  # at 10 again: same peak
    early = rate.rate(101.0) - rate.rate(100.0)
    near_peak = [rate.rate(100.0 + t) for t in (5.0, 6.0)]
    assert early > near_peak[1] - near_peak[0]  # concave: fast first, slow near the peak


def test_throttles_of_requests_sent_before_the_cut_count_once() -> None:
    rate = AdaptiveRate(5.0)
    assert rate.throttled(1.0, sent_at=0.9)
    assert not rate.throttled(1.05, sent_at=0.95)  # in flight when the first 429 came
    once = AdaptiveRate(5.0)
    once.throttled(1.0)
    assert rate.rate(1.05) == once.rate(1.05)
    assert rate.throttled(2.0, sent_at=1.5)  # sent after the cut: a new episode
    assert rate.rate(2.0) < 5.0 * BETA


def test_fast_convergence_lowers_the_peak_below_the_rate_at_a_repeated_throttle() -> None:
    rate = AdaptiveRate(5.0)
    rate.throttled(0.0)
    current = rate.rate(1.0)
    rate.throttled(1.0)
    # Throttled again before reaching the last peak: the new peak leaves room for others.
    assert rate.rate(1.0) == pytest.approx(current * BETA)
    assert rate.rate(1.0 + 60.0) == 5.0


def test_many_throttles_stop_at_the_floor() -> None:
    rate = AdaptiveRate(5.0, floor=0.5)
    for k in range(50):
        rate.throttled(float(k) * 0.01)
    assert rate.rate(0.5) == pytest.approx(0.5)
    low = AdaptiveRate(0.2, floor=0.5)  # a configured rate below the floor is kept
    low.throttled(0.0)
    assert low.rate(0.0) == 0.2


def test_non_finite_times_change_nothing() -> None:
    rate = AdaptiveRate(5.0)
    assert not rate.throttled(math.nan)
    assert not rate.throttled(1.0, sent_at=math.inf)
    assert rate.rate(0.0) == 5.0
    rate.throttled(0.0)
    assert rate.rate(math.nan) == 5.0  # a clock gone mad reads as recovered, not above
    assert rate.rate(-1e300) == pytest.approx(5.0 * BETA)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [({"ceiling": 0}, ValueError), ({"ceiling": "5"}, TypeError), ({"floor": -1}, ValueError)],
)
def test_bad_settings_are_refused(kwargs: dict[str, object], error: type[Exception]) -> None:
    arguments: dict[str, object] = {"ceiling": 5.0, **kwargs}
    with pytest.raises(error):
        AdaptiveRate(**arguments)  # type: ignore[arg-type]


EVENTS = st.lists(
    st.tuples(
        st.sampled_from(["throttle", "lower", "read"]),
        st.floats(min_value=-1e6, max_value=1e12) | st.sampled_from([math.nan, math.inf]),
        st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    ),
    max_size=60,
)


@given(
    ceiling=st.floats(min_value=0.01, max_value=1e4),
    floor=st.floats(min_value=0.01, max_value=1e4),
    events=EVENTS,
)
def test_the_rate_stays_within_floor_and_ceiling_whatever_happens(
    ceiling: float, floor: float, events: list[tuple[str, float, float | None]]
) -> None:
    rate = AdaptiveRate(ceiling, floor=floor)
    for kind, when, other in events:
        if kind == "throttle":
            rate.throttled(when, other)
        elif kind == "lower" and other is not None and math.isfinite(other) and other > 0:
            rate.lower_ceiling(other)
        value = rate.rate(when)
        assert rate.floor <= value <= rate.ceiling <= ceiling


@given(
    events=st.lists(
        st.tuples(
            st.sampled_from(["reserve", "throttle", "pause", "wait"]),
            # Retry-After values as the transport passes them: any finite delay >= 0.
            st.floats(min_value=0.0, max_value=3600.0),
        ),
        max_size=80,
    )
)
def test_no_sequence_of_throttles_and_pauses_sends_faster_than_configured(
    events: list[tuple[str, float]],
) -> None:
    fake = FakeTime()
    limiter = fake_limiter(5.0, fake)
    sends: list[float] = []
    for kind, value in events:
        if kind == "reserve":
            sends.append(fake.now + limiter.reserve())
        elif kind == "throttle":
            limiter.throttled(fake.now - value)
        elif kind == "pause":
            limiter.pause_for(value)
        else:
            fake.now += value
        assert limiter.floor <= limiter.rate <= limiter.configured_rate == 5.0
    sends.sort()
    assert all(b - a >= 0.2 - 1e-9 for a, b in itertools.pairwise(sends))


def test_a_fixed_rate_bucket_ignores_throttles() -> None:
    limiter = RateLimiter(5.0, clock=lambda: 0.0, adaptive=False)
    assert not limiter.throttled(0.0)
    assert limiter.rate == 5.0
    adaptive = RateLimiter(5.0, clock=lambda: 0.0)
    assert adaptive.throttled(0.0)
    assert adaptive.rate == pytest.approx(5.0 * BETA)


def _clients_against_one_account(
    clients: int, *, adaptive: bool, seconds: float = 300.0
) -> tuple[int, int, int]:
    """Discrete-event model of N processes (one bucket each) against a 5 requests/s account.

    The account is the simulator's own token bucket (429 with its ``Retry-After``); requests
    reach it 50-70 ms after their slot. Each client sends one request at a time, as the
    transport does: a 429 is reported to its bucket, pauses it for ``Retry-After``, and is
    retried. Returns (answered 200, answered 429, most 429s in a row for one request).
    """
    fake = FakeTime()
    account = TokenBucket(5.0, clock=fake.clock)
    buckets = [
        RateLimiter(5.0, clock=fake.clock, sleep=fake.sleep, adaptive=adaptive)
        for _ in range(clients)
    ]
    rng = random.Random(1)
    events: list[tuple[float, int, str, float]] = [(0.0, i, "book", 0.0) for i in range(clients)]
    ok = throttled = worst = 0
    in_a_row = [0] * clients
    while events:
        when, i, kind, sent_at = heapq.heappop(events)
        if when > seconds:
            break
        fake.now = when
        if kind == "book":
            slot = when + buckets[i].reserve()
            heapq.heappush(events, (slot + rng.uniform(0.0, 0.02), i, "arrive", slot))
            continue
        wait = account.try_acquire()
        if wait == 0.0:
            ok, in_a_row[i] = ok + 1, 0
            heapq.heappush(events, (when + 0.05, i, "book", 0.0))
            continue
        throttled, in_a_row[i] = throttled + 1, in_a_row[i] + 1
        worst = max(worst, in_a_row[i])
        retry_after = float(retry_after_header(wait))
        buckets[i].throttled(sent_at)
        buckets[i].pause_for(retry_after)
        heapq.heappush(events, (when + 0.05 + retry_after, i, "book", 0.0))
    return ok, throttled, worst


def test_one_client_alone_is_never_throttled() -> None:
    ok, throttled, _ = _clients_against_one_account(1, adaptive=True, seconds=60.0)
    assert throttled == 0
    assert ok >= 295  # 5 per second


@pytest.mark.parametrize("clients", [2, 4])
def test_clients_with_their_own_buckets_keep_the_account_busy_and_back_off(clients: int) -> None:
    ok, throttled, worst = _clients_against_one_account(clients, adaptive=True)
    fixed_ok, fixed_throttled, fixed_worst = _clients_against_one_account(clients, adaptive=False)
    assert ok >= 0.98 * 5 * 300  # the account stays saturated: no time lost to backing off
    # Fewer 429s than buckets that keep their rate, and shorter runs of them. Not none: a
    # client alone at its ceiling takes every token until a throttle of its own (see the
    # docs: machines that share no schedule still see 429s; 2: 5 % vs 16 %, 4: 13 % vs 36 %).
    assert throttled / (ok + throttled) < 0.8 * fixed_throttled / (fixed_ok + fixed_throttled)
    assert worst < fixed_worst
