"""The windowed walk over real loopback HTTP: the simulator's boundary segments with latency,
and injected faults (503/520, 429, connection resets, stalls), with nothing lost or repeated.

Both drivers are checked: the async client's default walk, and the sync client's worker
threads (``concurrency=4``, what the CLI uses). The limiter is off, so the windows run
whatever the latency; a transport that counts requests in flight shows that they overlap.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from activecampaign_segments import AsyncSegmentsClient, CountRecord, SegmentsClient, _transport
from activecampaign_simulator.server import SimulatorHandle

from tests.faults.conftest import FigureSink
from tests.faults.proxy import serve_proxy

KINDS = ["async", "sync-threads"]
BIG = "big"
BOUNDARY = ["900000", "900050", "900006", "900060", "1", "2", BIG]
TIME_SCALE = 0.01


class InFlight:
    """Counts requests in flight at once, from threads or tasks."""

    def __init__(self) -> None:
        self.now = self.most = 0
        self._lock = threading.Lock()

    def enter(self) -> None:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def leave(self) -> None:
        with self._lock:
            self.now -= 1


class CountingAsyncTransport(httpx.AsyncHTTPTransport):
    def __init__(self, counter: InFlight) -> None:
        super().__init__()
        self.counter = counter

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.counter.enter()
        try:
            # Until the answer's headers: the simulator's latency comes before them.
            return await super().handle_async_request(request)
        finally:
            self.counter.leave()


class CountingTransport(httpx.HTTPTransport):
    def __init__(self, counter: InFlight) -> None:
        super().__init__()
        self.counter = counter

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.counter.enter()
        try:
            return super().handle_request(request)
        finally:
            self.counter.leave()


def walk(kind: str, base_url: str, token: str, segment_id: str, **options: Any) -> list[str]:
    """The run ids of the windowed walk of ``kind`` (limiter off)."""
    options.setdefault("requests_per_second", None)
    counter: InFlight | None = options.pop("counter", None)
    if kind == "sync-threads":
        if counter is not None:
            options["transport"] = CountingTransport(counter)
        with SegmentsClient(base_url, token, **options) as client:
            return [r.run_id for r in client.count_history(segment_id, concurrency=4)]

    async def collect() -> list[str]:
        if counter is not None:
            options["transport"] = CountingAsyncTransport(counter)
        async with AsyncSegmentsClient(base_url, token, **options) as client:
            return [r.run_id async for r in client.count_history(segment_id)]

    return asyncio.run(collect())


def sequential(base_url: str, token: str, segment_id: str) -> list[CountRecord]:
    with SegmentsClient(base_url, token, requests_per_second=None) as client:
        return list(client.count_history(segment_id))


def reachable(sim: SimulatorHandle, segment_id: str) -> list[str]:
    """The simulator's records the API can serve: all, but for the crowded second of
    900060 (60 records, of which the whole-second cursor reaches the 50 newest)."""
    ids = [r["run_id"] for r in sim.store.records(segment_id)]
    return ids[:55] + ids[65:] if segment_id == "900060" else ids


@pytest.fixture(scope="module")
def latent_sim() -> Any:
    from activecampaign_simulator.config import SimulatorConfig
    from activecampaign_simulator.server import serve_in_thread

    config = SimulatorConfig(
        segments=2, history=300, rps=0, latency=0.02, extra_segments={BIG: 2_500}
    )
    with serve_in_thread(config) as handle:
        yield handle


@pytest.fixture(scope="module")
def sequential_walks(latent_sim: SimulatorHandle) -> dict[str, list[str]]:
    """What the page-after-page walk yields for every boundary segment (fetched once)."""
    return {
        segment_id: [
            r.run_id for r in sequential(latent_sim.base_url, latent_sim.token, segment_id)
        ]
        for segment_id in BOUNDARY
    }


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.timeout(120)
def test_boundary_segments_with_latency_come_out_as_sequentially(
    latent_sim: SimulatorHandle, sequential_walks: dict[str, list[str]], kind: str
) -> None:
    for segment_id in BOUNDARY:
        counter = InFlight()
        got = walk(kind, latent_sim.base_url, latent_sim.token, segment_id, counter=counter)
        assert got == sequential_walks[segment_id], segment_id
        assert got == reachable(latent_sim, segment_id), segment_id
        if segment_id == BIG:
            assert counter.most >= 3  # the windows really overlapped


@pytest.fixture
def compressed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry waits at 1/100 of their length, seeded jitter (as in test_lossless)."""
    real_async_sleep = asyncio.sleep
    monkeypatch.setattr(_transport, "async_sleep", lambda s: real_async_sleep(s * TIME_SCALE))
    monkeypatch.setattr(_transport, "sleep", lambda s: time.sleep(s * TIME_SCALE))
    monkeypatch.setattr(_transport, "jitter_random", random.Random(8))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.timeout(120)
@pytest.mark.usefixtures("compressed_time")
def test_windows_under_faults_lose_and_repeat_nothing(
    simulator_factory: Callable[..., SimulatorHandle], fault_figures: FigureSink, kind: str
) -> None:
    sim = simulator_factory(
        segments=1,
        history=10,
        rps=0,
        latency=0.005,
        error_rate=0.10,
        throttle_rate=0.05,
        seed=4,
        extra_segments={BIG: 2_500},
    )
    totals = {"records": 0, "lost": 0, "duplicates": 0}
    with serve_proxy(
        sim.base_url, reset_rate=0.03, stall_rate=0.02, seed=13, stall_seconds=5
    ) as proxy:
        for segment_id in (BIG, "900006", "900060", "900050"):
            got = walk(kind, proxy.base_url, sim.token, segment_id, timeout=0.5, max_retries=8)
            expected = reachable(sim, segment_id)
            lost = len(set(expected) - set(got))
            duplicates = len(got) - len(set(got))
            assert got == expected, f"{segment_id}: lost {lost}, duplicated {duplicates}"
            totals["records"] += len(got)
            totals["lost"] += lost
            totals["duplicates"] += duplicates
    injected = dict(sim.app.state.faults.counts)
    fault_figures(
        f"windowed walk ({kind}) under faults: 2,500 records + boundary segments",
        {
            "requests seen by the proxy": proxy.stats.requests,
            "faults injected by the simulator": injected,
            "faults injected by the proxy": {
                k: v for k, v in proxy.stats.faults.items() if k != "ok"
            },
            **totals,
        },
    )
    # The faults really happened (otherwise this test proves nothing).
    assert injected.get("throttle", 0) > 0
    assert injected.get("error_503", 0) + injected.get("error_520", 0) > 0
    assert proxy.stats.faults["reset"] > 0
