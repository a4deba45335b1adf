"""The token bucket, measured on a fake clock: nothing here really sleeps."""

from __future__ import annotations

import asyncio
import functools
import itertools
import math
import threading
import uuid

import pytest
from activecampaign_segments import _limiter
from activecampaign_segments._limiter import RateLimiter, limiter_key, shared_limiter
from hypothesis import given
from hypothesis import strategies as st


class FakeTime:
    """A clock that only moves when someone sleeps on it, and remembers every sleep.

    ``frozen=True`` keeps the clock still, for callers that sleep concurrently (each
    caller's wait is then measured from the same instant).
    """

    def __init__(self, *, frozen: bool = False) -> None:
        self.now = 0.0
        self.frozen = frozen
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if not self.frozen:
            self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)
        await asyncio.sleep(0)  # still a real suspension point, as asyncio.sleep is


def fake_limiter(rate: float, fake: FakeTime, *, burst: int = 1) -> RateLimiter:
    return RateLimiter(
        rate, burst=burst, clock=fake.clock, sleep=fake.sleep, async_sleep=fake.async_sleep
    )


def approx_list(values: list[float]) -> list[object]:
    return [pytest.approx(v, abs=1e-9) for v in values]


def test_reservations_are_spaced_one_over_rate() -> None:
    fake = FakeTime()
    limiter = fake_limiter(4.0, fake)
    waits = [limiter.reserve() for _ in range(8)]
    assert waits == approx_list([k * 0.25 for k in range(8)])


def test_acquire_sends_at_the_rate_and_no_faster() -> None:
    fake = FakeTime()
    limiter = fake_limiter(5.0, fake)
    send_times = []
    for _ in range(11):
        limiter.acquire()
        send_times.append(fake.now)
    assert send_times == approx_list([k * 0.2 for k in range(11)])
    # Ten intervals of 0.2 s: exactly 5 per second, never 6 in any one-second window.
    assert sum(1 for t in send_times if t < 1.0) == 5


def test_an_idle_bucket_saves_no_burst_beyond_one() -> None:
    fake = FakeTime()
    limiter = fake_limiter(2.0, fake)
    assert limiter.reserve() == 0.0
    fake.now = 100.0  # a long idle spell
    assert [limiter.reserve() for _ in range(3)] == approx_list([0.0, 0.5, 1.0])


def test_a_larger_burst_is_allowed_after_idle_then_spaced() -> None:
    fake = FakeTime()
    limiter = fake_limiter(10.0, fake, burst=3)
    assert [limiter.reserve() for _ in range(5)] == approx_list([0.0, 0.0, 0.0, 0.1, 0.2])


@given(
    rate=st.sampled_from([1.0, 3.0, 5.0, 20.0]),
    gaps=st.lists(st.floats(min_value=0.0, max_value=2.0), min_size=1, max_size=40),
)
def test_requests_arriving_at_any_times_are_never_closer_than_the_interval(
    rate: float, gaps: list[float]
) -> None:
    fake = FakeTime()
    limiter = fake_limiter(rate, fake)
    sends = []
    arrival = 0.0
    for gap in gaps:
        arrival += gap
        fake.now = arrival  # callers arrive independently of each other's sleeps
        sends.append(arrival + limiter.reserve())
    sends.sort()
    assert all(b - a >= 1.0 / rate - 1e-9 for a, b in itertools.pairwise(sends))


def test_threads_sharing_one_bucket_get_distinct_evenly_spaced_slots() -> None:
    fake_now = 0.0
    lock = threading.Lock()
    waits: list[float] = []

    def record(seconds: float) -> None:
        with lock:
            waits.append(seconds)

    limiter = RateLimiter(100.0, clock=lambda: fake_now, sleep=record)
    threads, per_thread = 8, 25
    barrier = threading.Barrier(threads)

    def worker() -> None:
        barrier.wait()
        for _ in range(per_thread):
            limiter.acquire()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in pool)
    # The first slot is free (no sleep); every other slot is booked exactly once.
    assert sorted(waits) == approx_list([k / 100.0 for k in range(1, threads * per_thread)])


@pytest.mark.anyio
async def test_asyncio_tasks_share_one_bucket_first_come_first_served() -> None:
    fake = FakeTime(frozen=True)
    limiter = fake_limiter(5.0, fake)
    waited = await asyncio.gather(*(limiter.acquire_async() for _ in range(30)))
    # Task k booked the k-th slot: fair, in call order, none doubled or skipped.
    assert waited == approx_list([k * 0.2 for k in range(30)])


@pytest.mark.anyio
async def test_acquire_async_leaves_the_event_loop_running_while_it_waits() -> None:
    released, sleeping = asyncio.Event(), asyncio.Event()

    async def wait_for_release(seconds: float) -> None:
        sleeping.set()
        await released.wait()

    limiter = RateLimiter(1.0, clock=lambda: 0.0, async_sleep=wait_for_release)
    await limiter.acquire_async()
    waiter = asyncio.create_task(limiter.acquire_async())
    # If acquire_async blocked the loop, this coroutine would never run again and
    # the test would hang (and fail on pytest-timeout) instead of reaching here.
    await asyncio.wait_for(sleeping.wait(), timeout=5)
    assert not waiter.done()
    released.set()
    assert await asyncio.wait_for(waiter, timeout=5) == pytest.approx(1.0)


def test_a_pause_holds_back_every_later_request_then_resumes_spacing() -> None:
    fake = FakeTime()
    limiter = fake_limiter(5.0, fake)
    assert limiter.reserve() == 0.0
    limiter.pause_for(3.0)
    assert [limiter.reserve() for _ in range(3)] == approx_list([3.0, 3.2, 3.4])


def test_no_burst_after_a_pause_even_with_a_burst_allowance() -> None:
    fake = FakeTime()
    limiter = fake_limiter(10.0, fake, burst=4)
    limiter.pause_until(2.0)
    assert [limiter.reserve() for _ in range(3)] == approx_list([2.0, 2.1, 2.2])


def test_a_waiter_whose_slot_falls_inside_a_later_pause_books_again() -> None:
    fake = FakeTime()

    def sleep_and_get_paused(seconds: float) -> None:
        # While this caller sleeps towards its slot at 0.2, another client of the
        # host receives a 429 with Retry-After: 3.
        if not fake.sleeps:
            limiter.pause_for(3.0)
        fake.sleep(seconds)

    limiter = RateLimiter(5.0, clock=fake.clock, sleep=sleep_and_get_paused)
    limiter.acquire()  # slot at 0.0
    waited = limiter.acquire()
    assert fake.now == pytest.approx(3.0)  # it went out at the end of the pause, not at 0.2
    assert waited == pytest.approx(3.0)
    assert fake.sleeps == approx_list([0.2, 2.8])


def test_a_shorter_pause_does_not_shorten_a_running_one() -> None:
    fake = FakeTime()
    limiter = fake_limiter(5.0, fake)
    limiter.pause_for(10.0)
    limiter.pause_for(1.0)
    assert limiter.reserve() == pytest.approx(10.0)


@pytest.mark.parametrize("seconds", [-1.0, math.nan, math.inf])
def test_a_nonsense_pause_is_refused(seconds: float) -> None:
    limiter = fake_limiter(5.0, FakeTime())
    with pytest.raises(ValueError, match="seconds"):
        limiter.pause_for(seconds)


@pytest.mark.parametrize("rate", [0, -1.0, math.nan, math.inf])
def test_a_rate_that_is_not_a_positive_finite_number_is_refused(rate: float) -> None:
    with pytest.raises(ValueError, match="requests_per_second"):
        RateLimiter(rate)


@pytest.mark.parametrize("rate", ["5", None, True])
def test_a_rate_of_the_wrong_type_is_refused(rate: object) -> None:
    with pytest.raises(TypeError, match="requests_per_second"):
        RateLimiter(rate)  # type: ignore[arg-type]


@pytest.mark.parametrize("burst", [0, -2, 1.5, True])
def test_a_burst_that_is_not_a_positive_integer_is_refused(burst: object) -> None:
    with pytest.raises(ValueError, match="burst"):
        RateLimiter(5.0, burst=burst)  # type: ignore[arg-type]


def test_limit_to_lowers_the_rate_but_never_raises_it() -> None:
    fake = FakeTime()
    limiter = fake_limiter(5.0, fake)
    limiter.limit_to(10.0)
    assert limiter.rate == pytest.approx(5.0)
    limiter.limit_to(2.0)
    assert limiter.rate == pytest.approx(2.0)
    assert [limiter.reserve() for _ in range(3)] == approx_list([0.0, 0.5, 1.0])


def unique_host() -> str:
    return f"https://acct-{uuid.uuid4().hex}.api-us1.com:443"


def test_shared_limiter_is_one_bucket_per_host_whatever_the_case() -> None:
    host = unique_host()
    first = shared_limiter(host, 5.0)
    assert shared_limiter(host.upper(), 5.0) is first
    assert shared_limiter(unique_host(), 5.0) is not first


def test_two_clients_of_one_host_draw_from_the_same_slots(monkeypatch: pytest.MonkeyPatch) -> None:
    # Shared buckets run on the real clock; give this one a frozen clock instead (and no
    # cross-process file, whose clock is the wall clock).
    monkeypatch.setenv("ACTIVECAMPAIGN_LIMITER_DIR", "off")
    fake = FakeTime(frozen=True)
    monkeypatch.setattr(_limiter, "RateLimiter", functools.partial(fake_limiter, fake=fake))
    host = unique_host()
    client_a, client_b = shared_limiter(host, 5.0), shared_limiter(host, 5.0)
    # Booked alternately by two clients: one sequence of slots, not two.
    assert [client_a.reserve(), client_b.reserve(), client_a.reserve(), client_b.reserve()] == (
        approx_list([0.0, 0.2, 0.4, 0.6])
    )


def test_two_hosts_do_not_share_slots() -> None:
    one, other = shared_limiter(unique_host(), 5.0), shared_limiter(unique_host(), 5.0)
    assert one.reserve() == 0.0
    assert other.reserve() == 0.0


def test_a_shared_bucket_runs_at_the_smallest_rate_asked_for() -> None:
    host = unique_host()
    assert shared_limiter(host, 5.0).rate == pytest.approx(5.0)
    assert shared_limiter(host, 2.0).rate == pytest.approx(2.0)
    # A later client asking for more does not speed up the other clients' bucket.
    assert shared_limiter(host, 50.0).rate == pytest.approx(2.0)


@pytest.mark.parametrize("key", ["", "   ", None, 7])
def test_shared_limiter_refuses_a_key_that_is_not_a_non_empty_string(key: object) -> None:
    with pytest.raises(ValueError, match="key"):
        shared_limiter(key, 5.0)  # type: ignore[arg-type]


def test_shared_limiter_refuses_a_bad_rate_and_creates_nothing() -> None:
    host = unique_host()
    with pytest.raises(ValueError, match="requests_per_second"):
        shared_limiter(host, 0.0)
    assert shared_limiter(host, 3.0).rate == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://Acct.API-us1.com", "https://acct.api-us1.com:443"),
        ("https://acct.api-us1.com:443/api/3/", "https://acct.api-us1.com:443"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://localhost", "http://localhost:80"),
        ("http://[::1]:9000/x", "http://[::1]:9000"),
    ],
)
def test_limiter_key_names_one_bucket_per_scheme_host_and_port(url: str, key: str) -> None:
    assert limiter_key(url) == key


@pytest.mark.parametrize("url", ["acct.api-us1.com", "/api/3", ""])
def test_limiter_key_refuses_a_url_without_scheme_or_host(url: str) -> None:
    with pytest.raises(ValueError, match="scheme and a host"):
        limiter_key(url)
