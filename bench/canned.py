"""Canned count-history pages served in-process through ``httpx.MockTransport``.

The records have one distinct second each (newest first), so every cursor rule (the
documented ``before = last epoch`` and the wrapper's lossless ``last epoch + 1``) walks the
same data. Page bodies are serialised once per cursor and cached, so the timed loops measure
the client side only.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from datetime import UTC, datetime

import httpx

from tests.documented import complete

PAGE_SIZE = 50
SEGMENT_HASH = "97f75f368e9908fd88f4543a9c61a2812915b62e70bf3a7edef01acdeb81b4c5"
PREFIX = "/api/3/segmentsV2/"
NEWEST_EPOCH = 1_750_000_000


def make_records(segment_id: str, count: int) -> list[dict[str, object]]:
    """``count`` API ``data`` items, newest first, one per second, ending at NEWEST_EPOCH."""
    items: list[dict[str, object]] = []
    for i in range(count):
        epoch = NEWEST_EPOCH - i
        stamp = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S") + ".250Z"
        items.append(
            {
                "id": str(epoch),
                "type": "SegmentCountHistory",
                # Plus whatever else the current document requires (tests/documented.py).
                "attributes": complete(
                    {
                        "timestamp": stamp,
                        "segment_id": segment_id,
                        "segment_hash": SEGMENT_HASH,
                        "run_id": f"run-{segment_id}-{i:07d}",
                        "result_count": 1000 + (i % 97),
                        "active_result_count": 900 + (i % 89),
                    }
                ),
            }
        )
    return items


class CannedPages:
    """A MockTransport handler serving one segment's history with the API's cursor rules."""

    def __init__(self, segment_id: str, count: int) -> None:
        self.segment_id = segment_id
        self._items = make_records(segment_id, count)
        # Ascending epochs for bisect: position of the first record strictly older than a cursor.
        self._ascending = [NEWEST_EPOCH - i for i in range(count)][::-1]
        self._cache: dict[int | None, bytes] = {}
        self.requests = 0

    def _page(self, before: int | None) -> bytes:
        body = self._cache.get(before)
        if body is None:
            if before is None:
                start = 0
            else:
                # Records are newest first: count how many are >= before and skip them.
                start = len(self._ascending) - bisect_left(self._ascending, before)
            page = self._items[start : start + PAGE_SIZE]
            body = json.dumps({"data": page}).encode()
            self._cache[before] = body
        return body

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        path = request.url.path
        base = f"{PREFIX}{self.segment_id}/count-history"
        if path == base:
            before: int | None = None
        elif path.startswith(base + "/"):
            before = int(path[len(base) + 1 :])
        else:
            return httpx.Response(404, json={"errors": [{"title": "Not Found"}]})
        return httpx.Response(
            200, content=self._page(before), headers={"content-type": "application/json"}
        )

    def transport(self) -> httpx.MockTransport:
        """A fresh MockTransport over this handler."""
        return httpx.MockTransport(self)
