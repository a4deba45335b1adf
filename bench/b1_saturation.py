"""Benchmark 1: wall time at ActiveCampaign's rate limit, over real loopback HTTP.

The simulator (own process) enforces 5 requests per second and adds 50 ms to each answer;
8 segments of 300 records (7 pages each, 56 requests) are fetched three ways: (a) one
``AsyncSegmentsClient`` walking all segments concurrently, (b) the same with the limiter off
and only retries (burst, get 429, back off), (c) one segment after another with
``SegmentsClient``. The ideal is requests / rate.
"""

from __future__ import annotations

import asyncio
import time

from activecampaign_segments import AsyncSegmentsClient, SegmentsClient
from activecampaign_simulator.process import simulator_process

from bench.results import Figure, check

TITLE = "1. Rate-limit saturation (loopback HTTP, simulator at {rps:g} rps + 50 ms latency)"
SEGMENTS = 8
LATENCY_MS = 50
# Time for the simulator's bucket to refill between variants, so each starts alike.
SETTLE_SECONDS = 2.0


async def _walk_concurrently(client: AsyncSegmentsClient, ids: list[str]) -> int:
    async def one(segment_id: str) -> int:
        return sum([1 async for _ in client.count_history(segment_id)])

    return sum(await asyncio.gather(*(one(s) for s in ids)))


def _async_variant(
    base_url: str, token: str, ids: list[str], rps: float | None
) -> tuple[float, int, int, int, int]:
    async def go() -> tuple[float, int, int, int, int]:
        # Limiter off means "how most clients behave": generous retries on 429.
        retries = 4 if rps is not None else 30
        async with AsyncSegmentsClient(
            base_url=base_url, api_token=token, requests_per_second=rps, max_retries=retries
        ) as client:
            start = time.perf_counter()
            records = await _walk_concurrently(client, ids)
            wall = time.perf_counter() - start
            return (
                wall,
                records,
                client.stats.requests,
                client.stats.retries,
                client.stats.rate_limited,
            )

    return asyncio.run(go())


def _sync_variant(
    base_url: str, token: str, ids: list[str], rps: float
) -> tuple[float, int, int, int, int]:
    with SegmentsClient(base_url=base_url, api_token=token, requests_per_second=rps) as client:
        start = time.perf_counter()
        records = sum(1 for s in ids for _ in client.count_history(s))
        wall = time.perf_counter() - start
        return wall, records, client.stats.requests, client.stats.retries, client.stats.rate_limited


def run(machine: str, token: str, quick: bool) -> list[Figure]:
    """Run (a), (b), (c) against one simulator process; return the figures."""
    rps = 25.0 if quick else 5.0
    history = 100 if quick else 300
    ids = [str(i) for i in range(1, SEGMENTS + 1)]
    args = ["--segments", str(SEGMENTS), "--history", str(history), "--rps", f"{rps:g}"]
    args += ["--latency-ms", str(LATENCY_MS), "--token", token]
    figures: list[Figure] = []
    with simulator_process(*args) as sim:
        results = {
            "a": _async_variant(sim.base_url, token, ids, rps),
        }
        time.sleep(SETTLE_SECONDS)
        results["b"] = _async_variant(sim.base_url, token, ids, None)
        time.sleep(SETTLE_SECONDS)
        results["c"] = _sync_variant(sim.base_url, token, ids, rps)
    labels = {
        "a": "(a) async, concurrent, limiter on",
        "b": "(b) async, concurrent, limiter off (retries only)",
        "c": "(c) sync, one segment after another",
    }
    expected = SEGMENTS * history
    for key, (wall, records, requests, retries, rate_limited) in results.items():
        if records != expected:
            raise RuntimeError(f"{labels[key]} saw {records} records, expected {expected}")
        # The ideal: the requests that were needed (every attempt minus the retries) spaced
        # at the limit.
        needed = requests - retries
        ideal = needed / rps
        ratio = wall / ideal
        if key == "a":
            ratio_goal, ratio_met = check(round(ratio, 3), "<=", 1.05)
            limited_goal, limited_met = check(rate_limited, "==", 0)
        else:
            ratio_goal, ratio_met, limited_goal, limited_met = "", None, "", None
        label = labels[key]
        figures += [
            Figure(f"{label}: wall", wall, "s", machine=machine),
            # Names stay the same from run to run (the docs cite them); values vary.
            Figure(f"{label}: requests sent", requests, "requests", machine=machine),
            Figure(
                f"{label}: requests needed (sent - retries)", needed, "requests", machine=machine
            ),
            Figure(f"{label}: ideal (needed / rps)", ideal, "s", machine=machine),
            Figure(f"{label}: wall / ideal", ratio, "x", ratio_goal, ratio_met, machine),
            Figure(
                f"{label}: 429s received",
                rate_limited,
                "responses",
                limited_goal,
                limited_met,
                machine,
            ),
        ]
    return figures
