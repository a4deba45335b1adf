"""The per-account token bucket, with an injected clock (no real sleeping)."""

from __future__ import annotations

import pytest
from activecampaign_simulator.ratelimit import TokenBucket, retry_after_header

from tests.simulator.conftest import API, AUTH, QUIET_TESTCLIENT, MakeClient

pytestmark = QUIET_TESTCLIENT


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_of_capacity_then_refills_at_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(5.0, clock=clock)
    assert [bucket.try_acquire() for _ in range(5)] == [0.0] * 5
    assert bucket.try_acquire() == pytest.approx(0.2)
    clock.now += 0.1
    assert bucket.try_acquire() == pytest.approx(0.1)
    clock.now += 0.1
    assert bucket.try_acquire() == 0.0
    clock.now += 100  # a long pause refills to capacity, not beyond
    assert [bucket.try_acquire() for _ in range(6)][-2:] == [0.0, pytest.approx(0.2)]


def test_fractional_rate_has_capacity_one() -> None:
    clock = FakeClock()
    bucket = TokenBucket(0.5, clock=clock)
    assert bucket.capacity == 1.0
    assert bucket.try_acquire() == 0.0
    assert bucket.try_acquire() == pytest.approx(2.0)


def test_clock_going_backwards_does_not_grant_or_drain() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1.0, clock=clock)
    assert bucket.try_acquire() == 0.0
    clock.now -= 50
    assert bucket.try_acquire() == pytest.approx(1.0)


@pytest.mark.parametrize("rate", [0.0, -1.0, float("inf"), float("nan")])
def test_bucket_rejects_bad_rates(rate: float) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate)


@pytest.mark.parametrize(
    ("wait", "header"), [(0.0001, "1"), (0.2, "1"), (1.0, "1"), (1.01, "2"), (2.5, "3")]
)
def test_retry_after_is_whole_seconds_rounded_up_at_least_one(wait: float, header: str) -> None:
    assert retry_after_header(wait) == header


def test_app_answers_429_with_retry_after_beyond_the_rate(make_client: MakeClient) -> None:
    clock = FakeClock()
    client = make_client(rps=5, clock=clock)
    statuses = [client.get(f"{API}/1/count-history", headers=AUTH).status_code for _ in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    limited = client.get(f"{API}/count-history?segmentIds=1", headers=AUTH)
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "1"
    assert limited.headers["content-type"] == "application/json"
    assert limited.json()["errors"][0]["status"] == "429"
    clock.now += 0.2
    assert client.get(f"{API}/1/count-history", headers=AUTH).status_code == 200


def test_slow_rate_retry_after_counts_whole_seconds(make_client: MakeClient) -> None:
    client = make_client(rps=0.25, clock=FakeClock())
    assert client.get(f"{API}/1/count-history", headers=AUTH).status_code == 200
    limited = client.get(f"{API}/1/count-history", headers=AUTH)
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "4")


def test_unauthenticated_requests_do_not_spend_the_account_bucket(
    make_client: MakeClient,
) -> None:
    client = make_client(rps=1, clock=FakeClock())
    for _ in range(5):
        assert client.get(f"{API}/1/count-history").status_code == 401
    assert client.get(f"{API}/1/count-history", headers=AUTH).status_code == 200


def test_rps_zero_is_unlimited(make_client: MakeClient) -> None:
    client = make_client(rps=0, clock=FakeClock())
    statuses = {client.get(f"{API}/1/count-history", headers=AUTH).status_code for _ in range(30)}
    assert statuses == {200}
