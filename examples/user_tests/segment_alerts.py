"""A user's code: which segments shrank, and a nightly report of their sizes."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable
from itertools import islice

from activecampaign_segments import AsyncSegmentsClient, SegmentsClient


def shrunk(client: SegmentsClient, segment_ids: Iterable[str], *, drop: float = 0.1) -> list[str]:
    """The segments whose newest count is at least ``drop`` (a fraction) below the one before.

    A count taken after the segment's definition changed (another ``segment_hash``) is
    not compared: a new definition is not a loss of contacts.
    """
    alerts = []
    for segment_id in segment_ids:
        pair = list(islice(client.count_history(segment_id), 2))
        if len(pair) < 2 or pair[0].segment_hash != pair[1].segment_hash:
            continue
        newest, before = pair
        if before.result_count and newest.result_count <= before.result_count * (1 - drop):
            alerts.append(segment_id)
    return alerts


async def sizes(client: AsyncSegmentsClient, segment_ids: list[str]) -> dict[str, int]:
    """The latest size of each segment, its whole history fetched concurrently (max seen)."""

    async def largest(segment_id: str) -> int:
        return max([r.result_count async for r in client.count_history(segment_id)], default=0)

    values = await asyncio.gather(*(largest(s) for s in segment_ids))
    return dict(zip(segment_ids, values, strict=True))


def nightly_report(segment_ids: list[str]) -> str:
    """One line per segment, from the account in the environment (a cron job's entry point)."""
    with SegmentsClient.from_env() as client:
        latest = client.latest_counts(segment_ids)
    return "\n".join(
        f"{segment_id}: {latest[segment_id].result_count}"
        if segment_id in latest
        else f"{segment_id}: unknown"
        for segment_id in segment_ids
    )


if __name__ == "__main__":
    print(nightly_report(sys.argv[1:]))
