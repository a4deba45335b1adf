"""How the commands fetch one segment's history: the windowed parallel walk.

``history`` and ``plot`` walk one segment, where a page-after-page walk waits a whole
round trip per page; several time windows at once keep the account's rate limit busy
instead (see ``docs/parallel-walk.md``). The records and their order are those of the
page-after-page walk.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Generator

from activecampaign_segments import CountRecord, SegmentsClient
from activecampaign_segments.cli.common import CLI_CONCURRENCY

__all__ = ["fetch_history"]


def fetch_history(
    client: SegmentsClient,
    segment_id: str,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int | None = None,
    concurrency: int = CLI_CONCURRENCY,
) -> Generator[CountRecord]:
    """The segment's records, newest first; at most ``limit`` of them.

    ``concurrency`` time windows are walked at once (1: page after page). Arguments
    are checked when the first record is asked for. When the limit is
    reached (or the caller closes this iterator), the walk is closed at once, so no
    request outlives it and none beyond the limit is sent later.
    """
    records = client.count_history(segment_id, since=since, until=until, concurrency=concurrency)
    try:
        yield from records if limit is None else itertools.islice(records, limit)
    finally:
        close = getattr(records, "close", None)
        if close is not None:
            close()
