"""Benchmark 4: one segment, walked as parallel time windows vs page after page.

One segment of 2,500 records (``--extra-segment big=2500``) on the simulator (own process,
5 requests/s), fetched three ways in the same run: (s) page after page
(``SegmentsClient.count_history``, ``concurrency=1``), (a) the async client's default
windowed walk, (t) the sync client's windowed walk on worker threads (what ``ac-segments
history`` uses). First with 300 ms added to every answer, where a page-after-page walk waits
a round trip per page and uses only part of the account's rate; the goal is the windowed
walk's wall time at most 1.10 x (the sequential request count / 5 per second), with at most
10 % extra requests and no 429. Then with no added latency, where the rate limit alone sets
the pace; the goal is the windowed walk no slower than the sequential one (<= 1.05 x).
Every variant must yield the sequential walk's records, in its order.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from activecampaign_segments import AsyncSegmentsClient, SegmentsClient
from activecampaign_simulator.process import simulator_process

from bench.results import Figure, check

TITLE = "4. One segment, parallel windows vs page after page ({rps:g} rps)"
SEGMENT = "big"
LATENCIES_MS = (300, 0)
# Time for the simulator's bucket to refill between variants, so each starts alike.
SETTLE_SECONDS = 2.0

Run = tuple[float, list[str], int, int]  # wall, run ids, requests, 429s


def _sequential(base_url: str, token: str, rps: float) -> Run:
    with SegmentsClient(base_url=base_url, api_token=token, requests_per_second=rps) as client:
        start = time.perf_counter()
        ids = [r.run_id for r in client.count_history(SEGMENT)]
        wall = time.perf_counter() - start
        return wall, ids, client.stats.requests, client.stats.rate_limited


def _async_windows(base_url: str, token: str, rps: float) -> Run:
    async def go() -> Run:
        async with AsyncSegmentsClient(
            base_url=base_url, api_token=token, requests_per_second=rps
        ) as client:
            start = time.perf_counter()
            ids = [r.run_id async for r in client.count_history(SEGMENT)]
            wall = time.perf_counter() - start
            return wall, ids, client.stats.requests, client.stats.rate_limited

    return asyncio.run(go())


def _thread_windows(base_url: str, token: str, rps: float) -> Run:
    with SegmentsClient(base_url=base_url, api_token=token, requests_per_second=rps) as client:
        start = time.perf_counter()
        ids = [r.run_id for r in client.count_history(SEGMENT, concurrency=4)]
        wall = time.perf_counter() - start
        return wall, ids, client.stats.requests, client.stats.rate_limited


VARIANTS: dict[str, tuple[str, Callable[[str, str, float], Run]]] = {
    "s": ("(s) page after page", _sequential),
    "a": ("(a) async windows", _async_windows),
    "t": ("(t) sync windows, threads (CLI)", _thread_windows),
}


def _warm_up(base_url: str, token: str, rps: float) -> None:
    """One page with each client: the first async request of a process pays for imports.

    At the run's rate: a host's shared limiter keeps the lowest rate any client asked for.
    """

    async def one() -> None:
        async with AsyncSegmentsClient(
            base_url=base_url, api_token=token, requests_per_second=rps
        ) as client:
            await client.count_history_page(SEGMENT)

    asyncio.run(one())
    with SegmentsClient(base_url=base_url, api_token=token, requests_per_second=rps) as client:
        client.count_history_page(SEGMENT)


def _figures(latency_ms: int, rps: float, runs: dict[str, Run], machine: str) -> list[Figure]:
    seq_wall, seq_ids, seq_requests, _ = runs["s"]
    ideal = seq_requests / rps
    at = f"{latency_ms} ms"
    figures = [
        Figure(f"{at}: (s) page after page: wall", seq_wall, "s", machine=machine),
        Figure(f"{at}: (s) page after page: requests", seq_requests, "requests", machine=machine),
        Figure(
            f"{at}: (s) wall / ({seq_requests} / {rps:g} rps)",
            seq_wall / ideal,
            "x",
            machine=machine,
        ),
    ]
    for key in ("a", "t"):
        label = VARIANTS[key][0]
        wall, ids, requests, limited = runs[key]
        if ids != seq_ids:
            raise RuntimeError(f"{label} at {at} did not yield the sequential walk's records")
        extra = (requests - seq_requests) / seq_requests
        extra_goal, extra_met = check(round(extra, 3), "<=", 0.10)
        limited_goal, limited_met = check(limited, "==", 0)
        figures += [
            Figure(f"{at}: {label}: wall", wall, "s", machine=machine),
            Figure(f"{at}: {label}: requests", requests, "requests", machine=machine),
            Figure(
                f"{at}: {label}: extra requests / sequential",
                extra,
                "x",
                extra_goal,
                extra_met,
                machine,
            ),
            Figure(
                f"{at}: {label}: 429s received",
                limited,
                "responses",
                limited_goal,
                limited_met,
                machine,
            ),
        ]
        if latency_ms:
            ratio = wall / ideal
            goal, met = check(round(ratio, 3), "<=", 1.10)
            name = f"{at}: {label}: wall / ({seq_requests} / {rps:g} rps)"
        else:
            ratio = wall / seq_wall
            goal, met = check(round(ratio, 3), "<=", 1.05)
            name = f"{at}: {label}: wall / sequential wall"
        figures.append(Figure(name, ratio, "x", goal, met, machine))
    return figures


def run(machine: str, token: str, quick: bool) -> list[Figure]:
    """Run (s), (a), (t) at each latency against one simulator process; return the figures."""
    rps = 25.0 if quick else 5.0
    records = 500 if quick else 2_500
    figures: list[Figure] = []
    for latency_ms in LATENCIES_MS:
        args = ["--segments", "1", "--history", "1", "--extra-segment", f"{SEGMENT}={records}"]
        args += ["--rps", f"{rps:g}", "--latency-ms", str(latency_ms), "--token", token]
        runs: dict[str, Run] = {}
        with simulator_process(*args) as sim:
            _warm_up(sim.base_url, token, rps)
            for key, (_, variant) in VARIANTS.items():
                time.sleep(SETTLE_SECONDS)
                runs[key] = variant(sim.base_url, token, rps)
                if len(runs[key][1]) != records:
                    raise RuntimeError(f"{key} saw {len(runs[key][1])} records, not {records}")
        figures += _figures(latency_ms, rps, runs, machine)
    return figures
