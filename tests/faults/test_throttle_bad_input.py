"""Throttling bad input: 429s without or with absurd ``Retry-After``, or to everything.

Each ends, once the retry budget is spent, in ``RateLimitError`` with nothing lost from the
history store, and the limiter never runs above the configured rate. Real HTTP to an
in-thread simulator for the truth; the throttling comes from a transport in front of it.
The shared limiter runs on a fake clock whose sleeps only advance it (and retry sleeps
too), so ``Retry-After: 3600`` costs no real time.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from activecampaign_segments import (
    RateLimitError,
    SegmentsClient,
    _limiter,
    _transport,
)
from activecampaign_segments.store import HistoryStore
from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.server import SimulatorHandle, serve_in_thread

from tests.store.helpers import add_counts
from tests.unit.test_limiter import FakeTime, fake_limiter

MAX_RETRIES = 2
RATE = 5.0


class ThrottlingAfter(httpx.BaseTransport):
    """Real HTTP for the first ``allowed`` requests, then 429 with ``retry_after`` each time."""

    def __init__(
        self, allowed: int, retry_after: str | None, clock: FakeTime | None = None
    ) -> None:
        self.allowed = allowed
        self.retry_after = retry_after
        self.clock = clock
        self.times: list[float] = []
        self.sent = 0
        self.throttled = 0
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        if self.clock is not None:
            self.times.append(self.clock.now)
        if self.sent <= self.allowed:
            return self._inner.handle_request(request)
        self.throttled += 1
        headers = {} if self.retry_after is None else {"Retry-After": self.retry_after}
        return httpx.Response(429, headers=headers, json={"message": "Too many requests"})

    def close(self) -> None:
        self._inner.close()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    """Every wait (limiter, backoff, Retry-After) on one fake clock; no cross-process file."""
    clock = FakeTime()
    monkeypatch.setenv("ACTIVECAMPAIGN_LIMITER_DIR", "off")
    monkeypatch.setattr(_limiter, "RateLimiter", functools.partial(fake_limiter, fake=clock))
    monkeypatch.setattr(_transport, "sleep", clock.sleep)
    monkeypatch.setattr(_limiter, "_registry", {})
    return clock


@pytest.fixture
def sim() -> Iterator[SimulatorHandle]:
    config = SimulatorConfig(segments=2, history=240, rps=0, seed=18)
    with serve_in_thread(config) as handle:
        yield handle


def _stored(path: Path, segment_id: str) -> list[str]:
    with HistoryStore(path) as store:
        return [r.run_id for r in store.records(segment_id)]


def _truth(sim: SimulatorHandle, segment_id: str) -> list[str]:
    return [r["run_id"] for r in sim.store.records(segment_id)]


RETRY_AFTERS = [
    None,  # no Retry-After at all
    "3600",  # an hour (the client waits at most 60 s)
    "-1",  # not a delay
    "Wed, 21 Oct 2015 07:28:00 GMT",  # an HTTP-date in the past
]


@pytest.mark.parametrize("retry_after", RETRY_AFTERS, ids=repr)
@pytest.mark.parametrize("allowed", [0, 2], ids=["throttled from the start", "throttled mid-walk"])
def test_a_throttling_storm_ends_in_rate_limit_error_and_loses_nothing(
    sim: SimulatorHandle, fake: FakeTime, tmp_path: Path, retry_after: str | None, allowed: int
) -> None:
    db = tmp_path / "history.db"
    with (
        SegmentsClient(sim.base_url, api_token=sim.token, max_retries=MAX_RETRIES) as client,
        HistoryStore(db) as store,
    ):
        store.sync(client, ["1"])  # segment 1 complete before the storm
    kept = _stored(db, "1")
    assert kept == _truth(sim, "1")
    new = add_counts(sim, "1", [1_000, 2_000, 3_000], "late")

    storm = ThrottlingAfter(allowed, retry_after)
    with (
        SegmentsClient(
            sim.base_url, api_token=sim.token, max_retries=MAX_RETRIES, transport=storm
        ) as client,
        HistoryStore(db) as store,
    ):
        with pytest.raises(RateLimitError) as caught:
            # Segment 2 first: a first walk of 5 pages, throttled at its start or middle.
            store.sync(client, ["2", "1"])
        limiter = client._limiter
        assert limiter is not None
        # The typed error, after exactly the retry budget, and the limiter never above its rate.
        assert caught.value.status_code == 429
        assert storm.throttled == 1 + MAX_RETRIES
        assert limiter.floor <= limiter.rate < limiter.configured_rate == RATE
    # Nothing lost: segment 1 as it was; what the walk of segment 2 stored is true records.
    assert _stored(db, "1") == kept
    partial = _stored(db, "2")
    assert set(partial) <= set(_truth(sim, "2"))
    assert len(partial) == len(set(partial))

    # The storm over, one sync completes both segments exactly, with no duplicates.
    with (
        SegmentsClient(sim.base_url, api_token=sim.token, max_retries=MAX_RETRIES) as client,
        HistoryStore(db) as store,
    ):
        store.sync(client, ["2", "1"])
    assert _stored(db, "1") == _truth(sim, "1")
    assert set(new) <= set(_stored(db, "1"))
    assert _stored(db, "2") == _truth(sim, "2")


def test_a_server_answering_429_to_everything_never_pushes_the_rate_up(
    sim: SimulatorHandle, fake: FakeTime
) -> None:
    storm = ThrottlingAfter(0, "1", fake)
    with SegmentsClient(
        sim.base_url, api_token=sim.token, max_retries=4, transport=storm
    ) as client:
        limiter = client._limiter
        assert limiter is not None
        rates = []
        for _ in range(10):
            with pytest.raises(RateLimitError):
                client.count_history_page("1")
            rates.append(limiter.rate)
        fake.now += 3600.0  # an hour of quiet: recovered, and no higher than configured
        rates.append(limiter.rate)
    assert storm.throttled == 10 * 5
    assert all(limiter.floor <= rate <= RATE for rate in rates)
    assert rates[-1] == RATE
    # Attempts on the fake clock: never closer together than the configured rate allows.
    assert all(b - a >= 1 / RATE - 1e-9 for a, b in itertools.pairwise(storm.times))
