"""Benchmark 0 (issue 3): the client-side cost of the wrapper over in-process canned pages.

20,000 records (400 pages) from ``httpx.MockTransport``: (a) a plain httpx + json loop, (b) the
generated client in a loop, (c) ``SegmentsClient.count_history`` with the limiter off. No
network, so the figures are the clients' own cost, timed in process CPU time under pyperf
(``bench.cpu_pyperf``): several fresh processes per loop, calibrated, warm-ups discarded; the
ratios are those of the means, with the spread between processes beside them.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable

import httpx
from activecampaign_segments import SegmentsClient

from bench.canned import CannedPages
from bench.cpu_pyperf import measure, ratio_figures
from bench.plain import generated_client, generated_count, plain_count
from bench.results import Figure

TITLE = "0. In-process pages (MockTransport): client-side cost (process CPU time, pyperf)"
BASE_URL = "http://127.0.0.1"
SEGMENT = "42"


def variants(token: str, records: int) -> dict[str, Callable[[], int]]:
    """The three loops over one set of canned pages; each returns the records it saw."""
    transport = CannedPages(SEGMENT, records).transport()

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

    return {"plain": plain, "generated": generated, "wrapper": wrapper}


def run(machine: str, token: str, quick: bool) -> list[Figure]:
    """Measure (a), (b), (c) and their ratios; return the figures."""
    records = 2_000 if quick else 20_000
    processes, values = (2, 1) if quick else (12, 3)
    means = measure(
        "b0", token=token, records=records, clock="cpu", processes=processes, values=values
    )
    plain, generated, wrapper = (
        statistics.fmean(means[n]) for n in ("plain", "generated", "wrapper")
    )
    b_over_a = generated / plain
    return [
        Figure(
            f"(a) plain httpx + json, {records:,} records",
            records / plain,
            "records/s",
            machine=machine,
        ),
        Figure("(b) generated client loop", records / generated, "records/s", machine=machine),
        Figure(
            "(c) SegmentsClient.count_history, limiter off",
            records / wrapper,
            "records/s",
            machine=machine,
        ),
        Figure("time ratio b/a (generated vs plain)", b_over_a, "x", machine=machine),
        *ratio_figures(
            "time ratio c/b (wrapper vs generated)",
            means["wrapper"],
            means["generated"],
            1.25,
            machine,
            "in-process loops: pyperf processes per loop",
        ),
    ]
