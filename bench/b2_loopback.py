"""Benchmark 2: records per second over loopback HTTP with no limit and no latency.

One segment of 20,000 records on the simulator (own process, ``--rps 0``):
``SegmentsClient.count_history`` against a plain httpx + json loop on the same server. The goal
is on wall time, measured under pyperf (``bench.cpu_pyperf``): several fresh processes per
loop, calibrated, warm-ups discarded; the ratio is that of the means, with the spread between
processes beside it. On a 2-core machine the client and the simulator compete for the same
cores, so this is the noisiest figure; the spread says by how much.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable

import httpx
from activecampaign_segments import SegmentsClient
from activecampaign_simulator.process import simulator_process

from bench.cpu_pyperf import measure, ratio_figures
from bench.plain import plain_count
from bench.results import Figure

TITLE = "2. Loopback throughput (simulator without limit or latency; wall time, pyperf)"
SEGMENT = "1"


def variants(base_url: str, token: str) -> dict[str, Callable[[], int]]:
    """The two loops against one running simulator; each returns the records it saw."""

    def plain() -> int:
        with httpx.Client(base_url=base_url, headers={"Api-Token": token}) as client:
            return plain_count(client, SEGMENT)

    def wrapper() -> int:
        with SegmentsClient(base_url=base_url, api_token=token, requests_per_second=None) as client:
            return sum(1 for _ in client.count_history(SEGMENT))

    return {"plain": plain, "wrapper": wrapper}


def run(machine: str, token: str, quick: bool) -> list[Figure]:
    """Measure both loops under pyperf against one simulator process; return the figures."""
    records = 2_000 if quick else 20_000
    processes, values = (2, 1) if quick else (8, 3)
    args = ["--segments", "1", "--history", str(records), "--rps", "0", "--token", token]
    with simulator_process(*args) as sim:
        means = measure(
            "b2",
            token=token,
            records=records,
            clock="wall",
            processes=processes,
            values=values,
            base_url=sim.base_url,
        )
    return [
        Figure(
            f"plain httpx + json, {records:,} records",
            records / statistics.fmean(means["plain"]),
            "records/s",
            machine=machine,
        ),
        Figure(
            "SegmentsClient.count_history, limiter off",
            records / statistics.fmean(means["wrapper"]),
            "records/s",
            machine=machine,
        ),
        *ratio_figures(
            "time ratio wrapper / plain",
            means["wrapper"],
            means["plain"],
            1.3,
            machine,
            "loopback loops: pyperf processes per loop",
        ),
    ]
