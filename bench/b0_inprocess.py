"""Benchmark 0 (issue 3): the client-side cost of the wrapper over in-process canned pages.

20,000 records (400 pages) from ``httpx.MockTransport``: (a) a plain httpx + json loop, (b) the
generated client in a loop, (c) ``SegmentsClient.count_history`` with the limiter off. No
network, so the figures are the clients' own cost; it is timed in process CPU time (best of 7,
interleaved), which other processes on a shared machine disturb far less than wall time.
"""

from __future__ import annotations

import httpx
from activecampaign_segments import SegmentsClient

from bench.canned import CannedPages
from bench.plain import generated_client, generated_count, plain_count
from bench.results import Figure, check
from bench.timing import best_times

TITLE = "0. In-process pages (MockTransport): client-side cost (process CPU time)"
BASE_URL = "http://127.0.0.1"
SEGMENT = "42"


def run(machine: str, token: str, quick: bool) -> list[Figure]:
    """Measure (a), (b), (c) and their ratios; return the figures."""
    records = 2_000 if quick else 20_000
    repeats = 2 if quick else 7
    canned = CannedPages(SEGMENT, records)
    transport = canned.transport()

    def plain() -> int:
        with httpx.Client(
            base_url=BASE_URL, transport=transport, headers={"Api-Token": token}
        ) as client:
            return plain_count(client, SEGMENT)

    def generated() -> int:
        with generated_client(BASE_URL, token, transport) as client:
            return generated_count(client, SEGMENT)

    def wrapper() -> int:
        with SegmentsClient(
            base_url=BASE_URL, api_token=token, requests_per_second=None, transport=transport
        ) as client:
            return sum(1 for _ in client.count_history(SEGMENT))

    variants = {"plain": plain, "generated": generated, "wrapper": wrapper}
    for fn in variants.values():  # warm up: page cache, imports, first-call costs
        fn()
    _, best = best_times(variants, records, repeats)
    b_over_a = best["generated"] / best["plain"]
    c_over_b = best["wrapper"] / best["generated"]
    goal, met = check(round(c_over_b, 3), "<=", 1.25)
    return [
        Figure(
            f"(a) plain httpx + json, {records:,} records",
            records / best["plain"],
            "records/s",
            machine=machine,
        ),
        Figure(
            "(b) generated client loop", records / best["generated"], "records/s", machine=machine
        ),
        Figure(
            "(c) SegmentsClient.count_history, limiter off",
            records / best["wrapper"],
            "records/s",
            machine=machine,
        ),
        Figure("time ratio b/a (generated vs plain)", b_over_a, "x", machine=machine),
        Figure("time ratio c/b (wrapper vs generated)", c_over_b, "x", goal, met, machine),
    ]
