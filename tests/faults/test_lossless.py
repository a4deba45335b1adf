"""Lose nothing when the network and the server misbehave.

The simulator injects 10 % 503/520 answers and 5 % 429 with ``Retry-After: 1``; the fault
proxy in front of it resets 3 % of responses mid-body and stalls 2 % past the client's read
timeout. Time is compressed: a 0.5 s client timeout, and the transport's retry sleep hook
(``_transport.async_sleep`` / ``_transport.sleep``) scaled down 100x, so ``Retry-After: 1``
costs 10 ms. The limiter is off (``requests_per_second=None``): its own waits are deliberately
not routed through the hook, and this suite is about retries, not pacing.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from activecampaign_segments import (
    ActiveCampaignError,
    APIConnectionError,
    APITimeoutError,
    AsyncSegmentsClient,
    CountRecord,
    RateLimitError,
    SegmentsClient,
    ServerError,
    _transport,
)
from activecampaign_simulator.server import SimulatorHandle

from tests.faults.conftest import FigureSink
from tests.faults.proxy import serve_proxy

SEGMENTS = 10
HISTORY = 1_000
TIME_SCALE = 0.01  # retry waits are slept at 1/100 of their length
CLIENT_TIMEOUT = 0.5
# With ~20 % of attempts failing, 8 retries make exhausting them ~5e-7 per request.
MAX_RETRIES = 8


@pytest.fixture
def compressed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scale the transport's retry waits down and seed its jitter."""
    real_async_sleep = asyncio.sleep
    monkeypatch.setattr(_transport, "async_sleep", lambda s: real_async_sleep(s * TIME_SCALE))
    monkeypatch.setattr(_transport, "sleep", _scaled_sync_sleep)
    monkeypatch.setattr(_transport, "jitter_random", random.Random(6))


def _scaled_sync_sleep(seconds: float) -> None:
    import time

    time.sleep(seconds * TIME_SCALE)


def _compare(sim: SimulatorHandle, segment_id: str, got: list[CountRecord]) -> dict[str, int]:
    """Figures for one segment; asserts order and completeness against the simulator's store."""
    expected = [r["run_id"] for r in sim.store.records(segment_id)]
    fetched = [r.run_id for r in got]
    lost = len(set(expected) - set(fetched))
    duplicates = len(fetched) - len(set(fetched))
    assert fetched == expected, f"segment {segment_id}: lost {lost}, duplicated {duplicates}"
    stamps = [r.recorded_at for r in got]
    assert stamps == sorted(stamps, reverse=True), "not newest first"
    return {"records": len(fetched), "lost": lost, "duplicates": duplicates}


@pytest.mark.slow
@pytest.mark.anyio
@pytest.mark.timeout(120)
@pytest.mark.usefixtures("compressed_time")
async def test_concurrent_fetch_under_faults_yields_every_record_once(
    simulator_factory: Callable[..., SimulatorHandle], fault_figures: FigureSink
) -> None:
    sim = simulator_factory(
        segments=SEGMENTS, history=HISTORY, rps=0, error_rate=0.10, throttle_rate=0.05, seed=3
    )
    ids = [str(i) for i in range(1, SEGMENTS + 1)]
    with serve_proxy(
        sim.base_url, reset_rate=0.03, stall_rate=0.02, seed=11, stall_seconds=5
    ) as proxy:
        async with AsyncSegmentsClient(
            base_url=proxy.base_url,
            api_token=sim.token,
            timeout=CLIENT_TIMEOUT,
            max_retries=MAX_RETRIES,
            requests_per_second=None,
        ) as client:

            async def fetch(segment_id: str) -> list[CountRecord]:
                return [record async for record in client.count_history(segment_id)]

            results = await asyncio.gather(*(fetch(s) for s in ids))
            stats = client.stats.as_dict()

    totals: Counter[str] = Counter()
    for segment_id, got in zip(ids, results, strict=True):
        totals.update(_compare(sim, segment_id, got))
    injected = dict(sim.app.state.faults.counts)
    fault_figures(
        f"lossless under faults: {SEGMENTS} segments x {HISTORY} records, concurrent",
        {
            "requests (client attempts)": stats["requests"],
            "requests seen by the proxy": proxy.stats.requests,
            "faults injected by the simulator": injected,
            "faults injected by the proxy": {
                k: v for k, v in proxy.stats.faults.items() if k != "ok"
            },
            "retries": stats["retries"],
            "client saw (status)": stats["by_status"],
            "client saw (exception)": stats["by_exception"],
            "records fetched": totals["records"],
            "records lost": totals["lost"],
            "duplicates": totals["duplicates"],
        },
    )
    assert totals["records"] == SEGMENTS * HISTORY
    assert totals["lost"] == 0 and totals["duplicates"] == 0
    # The faults really happened (otherwise this test proves nothing).
    assert proxy.stats.faults["reset"] > 0 and proxy.stats.faults["stall"] > 0
    assert injected.get("throttle", 0) > 0
    assert injected.get("error_503", 0) + injected.get("error_520", 0) > 0
    assert isinstance(stats["retries"], int) and stats["retries"] > 0


def _one_page(base_url: str, token: str, flavour: str) -> tuple[BaseException, int, int]:
    """Fetch one page with max_retries=2; return the error and the attempts and retries made."""
    options: dict[str, Any] = {
        "base_url": base_url,
        "api_token": token,
        "timeout": CLIENT_TIMEOUT,
        "max_retries": 2,
        "requests_per_second": None,
    }
    if flavour == "sync":
        with SegmentsClient(**options) as client:
            try:
                client.count_history_page("1")
            except ActiveCampaignError as exc:
                return exc, client.stats.requests, client.stats.retries
        raise AssertionError("no error raised")

    async def fetch() -> tuple[BaseException, int, int]:
        async with AsyncSegmentsClient(**options) as client:
            try:
                await client.count_history_page("1")
            except ActiveCampaignError as exc:
                return exc, client.stats.requests, client.stats.retries
        raise AssertionError("no error raised")

    return asyncio.run(fetch())


@pytest.mark.parametrize("flavour", ["sync", "async"])
@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("reset", APIConnectionError),
        ("stall", APITimeoutError),
        ("error", ServerError),
        ("throttle", RateLimitError),
    ],
)
@pytest.mark.timeout(60)
@pytest.mark.usefixtures("compressed_time")
def test_faults_outlasting_max_retries_raise_the_documented_error(
    simulator_factory: Callable[..., SimulatorHandle],
    kind: str,
    error: type[Exception],
    flavour: str,
) -> None:
    rates = {"error": {"error_rate": 1.0}, "throttle": {"throttle_rate": 1.0}}.get(kind, {})
    sim = simulator_factory(segments=1, history=60, rps=0, **rates)
    with serve_proxy(
        sim.base_url,
        stall_seconds=5,
        reset_rate=1.0 if kind == "reset" else 0.0,
        stall_rate=1.0 if kind == "stall" else 0.0,
    ) as proxy:
        exc, attempts, retries = _one_page(proxy.base_url, sim.token, flavour)
    assert isinstance(exc, error), repr(exc)
    assert (attempts, retries) == (3, 2)  # one attempt and max_retries retries, no more
    assert proxy.stats.requests == 3
    if kind == "stall":
        assert isinstance(exc, APIConnectionError)  # the documented parent class


@pytest.mark.timeout(60)
@pytest.mark.usefixtures("compressed_time")
def test_resuming_from_next_before_after_an_outage_loses_nothing(
    simulator_factory: Callable[..., SimulatorHandle], fault_figures: FigureSink
) -> None:
    sim = simulator_factory(segments=3, history=1_000, rps=0, seed=5)
    segment = "2"
    got: list[CountRecord] = []
    cursor: int | None = None
    with (
        serve_proxy(sim.base_url) as proxy,
        SegmentsClient(
            base_url=proxy.base_url,
            api_token=sim.token,
            timeout=CLIENT_TIMEOUT,
            max_retries=2,
            requests_per_second=None,
        ) as client,
    ):
        pages = client.count_history_pages(segment)
        with pytest.raises(APIConnectionError):
            for n, page in enumerate(pages):
                got += page.records
                cursor = page.next_before
                if n == 6:  # an outage longer than the retries begins
                    proxy.set_rates(reset_rate=1.0, stall_rate=0.0)
        assert cursor is not None
        interrupted_at = len(got)
        proxy.set_rates(reset_rate=0.0, stall_rate=0.0)
        for page in client.count_history_pages(segment, before=cursor):
            got += page.records

    # Resuming may repeat records of the boundary second only (the cursor is whole seconds).
    seen: set[str] = set()
    merged: list[CountRecord] = []
    for record in got:
        if record.run_id in seen:
            assert record.epoch == cursor - 1, "a repeat outside the boundary second"
            continue
        seen.add(record.run_id)
        merged.append(record)
    figures = _compare(sim, segment, merged)
    fault_figures(
        "resume after an outage outlasting max_retries",
        {
            "records before the outage": interrupted_at,
            "boundary-second repeats dropped on resume": len(got) - len(merged),
            "records lost": figures["lost"],
            "duplicates after merge": figures["duplicates"],
        },
    )
