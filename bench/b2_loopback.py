"""Benchmark 2: records per second over loopback HTTP with no limit and no latency.

One segment of 20,000 records on the simulator (own process, ``--rps 0``):
``SegmentsClient.count_history`` against a plain httpx + json loop on the same server. The goal
is on wall time; the client's own CPU time ratio is shown beside it, because on a 2-core machine
the client and the simulator compete for the same cores and other load moves the wall ratio.
"""

from __future__ import annotations

import httpx
from activecampaign_segments import SegmentsClient
from activecampaign_simulator.process import simulator_process

from bench.plain import plain_count
from bench.results import Figure, check
from bench.timing import best_times

TITLE = "2. Loopback throughput (simulator without limit or latency)"
SEGMENT = "1"


def run(machine: str, token: str, quick: bool) -> list[Figure]:
    """Measure both loops (best of 5 wall times, interleaved); return the figures."""
    records = 2_000 if quick else 20_000
    repeats = 1 if quick else 5
    args = ["--segments", "1", "--history", str(records), "--rps", "0", "--token", token]
    with simulator_process(*args) as sim:

        def plain() -> int:
            with httpx.Client(base_url=sim.base_url, headers={"Api-Token": token}) as client:
                return plain_count(client, SEGMENT)

        def wrapper() -> int:
            with SegmentsClient(
                base_url=sim.base_url, api_token=token, requests_per_second=None
            ) as client:
                return sum(1 for _ in client.count_history(SEGMENT))

        variants = {"plain": plain, "wrapper": wrapper}
        for fn in variants.values():  # warm up both sides (the simulator's caches too)
            fn()
        best, cpu = best_times(variants, records, repeats)
    ratio = best["wrapper"] / best["plain"]
    goal, met = check(round(ratio, 3), "<=", 1.3)
    return [
        Figure(
            f"plain httpx + json, {records:,} records",
            records / best["plain"],
            "records/s",
            machine=machine,
        ),
        Figure(
            "SegmentsClient.count_history, limiter off",
            records / best["wrapper"],
            "records/s",
            machine=machine,
        ),
        Figure("time ratio wrapper / plain", ratio, "x", goal, met, machine),
        Figure(
            "client CPU time ratio wrapper / plain",
            cpu["wrapper"] / cpu["plain"],
            "x",
            machine=machine,
        ),
    ]
