"""An in-memory stand-in for the count-history API, served through ``httpx.MockTransport``.

It implements the documented semantics (50 records per page, newest first, the
cursor exclusive in whole epoch seconds, unknown segments 404) so the client's
paging can be checked against ground truth, and it records every request.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

import httpx
from activecampaign_segments import AsyncSegmentsClient, CountPage, CountRecord, SegmentsClient

from tests.documented import complete

BASE_URL = "https://acct.api-us1.com"
# Distinctive, so a leak anywhere (message, repr, log) is found by a substring search.
TOKEN = "tok-SECRET-4f9e2b7c-d00d"
PAGE_SIZE = 50
START_MS = 1_700_000_000_000  # 2023-11-14T22:13:20Z


def iso_ms(epoch_ms: int) -> str:
    """The API's timestamp format: ISO 8601 with milliseconds and a Z."""
    when = dt.datetime.fromtimestamp(epoch_ms / 1000, tz=dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def record(segment: str, epoch_ms: int, run: str, /, **overrides: Any) -> dict[str, Any]:
    """One record as the API serialises ``attributes`` (``overrides`` replace fields)."""
    attributes: dict[str, Any] = {
        "timestamp": iso_ms(epoch_ms),
        "segment_id": segment,
        "segment_hash": "97f75f368e99",
        "run_id": run,
        "result_count": 1000 + epoch_ms % 997,
        "active_result_count": 900,
    }
    complete(attributes)  # whatever else the current document requires
    attributes.update(overrides)
    return attributes


def history(segment_id: str, count: int, *, start_ms: int = START_MS, step_ms: int = 7_250):
    """``count`` records, newest first, ``step_ms`` apart (distinct seconds by default)."""
    return [
        record(segment_id, start_ms - i * step_ms, f"{segment_id}-run-{i}") for i in range(count)
    ]


def crowded_history(segment_id: str, *, before: int, crowd: int, after: int) -> list[dict]:
    """``before`` records in distinct seconds, then ``crowd`` sharing one second, then ``after``.

    The crowded second is ``START_MS // 1000 - 100`` (milliseconds 999 down), records
    above and below it are whole seconds apart from it.
    """
    crowded_second = START_MS // 1000 - 100
    newer = [
        record(segment_id, (crowded_second + before - i) * 1000 + 500, f"new-{i}")
        for i in range(before)
    ]
    crowd_records = [
        record(segment_id, crowded_second * 1000 + 999 - i, f"crowd-{i}") for i in range(crowd)
    ]
    older = [
        record(segment_id, (crowded_second - 1 - i) * 1000 + 250, f"old-{i}") for i in range(after)
    ]
    return newer + crowd_records + older


def epoch_of(attributes: dict[str, Any]) -> int:
    return int(dt.datetime.fromisoformat(attributes["timestamp"]).timestamp() // 1)


def body(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A 200 body around ``attributes`` dicts (which may be deliberately broken)."""
    return {
        "data": [{"type": "SegmentCountHistory", "id": _id(r), "attributes": r} for r in records]
    }


def _id(attributes: dict[str, Any]) -> str:
    try:
        return str(epoch_of(attributes))
    except (KeyError, TypeError, ValueError):
        return "0"


class FakeApi:
    """The API's three operations over in-memory histories (newest first)."""

    def __init__(
        self,
        histories: dict[str, list[dict[str, Any]]] | None = None,
        *,
        ignore_cursor: bool = False,
    ) -> None:
        self.histories = histories or {}
        self.ignore_cursor = ignore_cursor
        self.requests: list[httpx.Request] = []
        self._epoch_cache: dict[str, list[int]] = {}

    @property
    def cursors(self) -> list[int | None]:
        """The ``before`` of every count-history request, ``None`` for the first page."""
        out: list[int | None] = []
        for request in self.requests:
            segments = self.path_segments(request)
            if len(segments) >= 5 and segments[4] == "count-history":
                out.append(int(segments[5]) if len(segments) == 6 else None)
        return out

    @staticmethod
    def path_segments(request: httpx.Request) -> list[str]:
        """The path split at "/" *before* percent-decoding, each part then decoded."""
        raw = request.url.raw_path.split(b"?", 1)[0].decode("ascii")
        return [unquote(part) for part in raw.split("/")[1:]]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("Api-Token") != TOKEN:
            return httpx.Response(401, json={"errors": [{"title": "Unauthorized"}]})
        parts = self.path_segments(request)
        if "api" in parts:  # a base URL may carry a path prefix (a proxy)
            parts = parts[parts.index("api") :]
        if parts[:3] != ["api", "3", "segmentsV2"]:
            return httpx.Response(404, json={"errors": [{"title": "no route"}]})
        if parts[3:] == ["count-history"]:
            ids = request.url.params["segmentIds"].split(",")
            latest = [self.histories[i][0] for i in ids if self.histories.get(i)]
            return httpx.Response(200, json=body(latest))
        segment_id, rest = parts[3], parts[4:]
        if segment_id not in self.histories:
            return httpx.Response(404, json={"errors": [{"title": "Not Found"}]})
        records = self.histories[segment_id]
        if len(rest) == 2 and not self.ignore_cursor:
            before = int(rest[1])
            epochs = self._epochs(segment_id)
            start = next((i for i, e in enumerate(epochs) if e < before), len(records))
            records = records[start:]
        return httpx.Response(200, json=body(records[:PAGE_SIZE]))

    def _epochs(self, segment_id: str) -> list[int]:
        if segment_id not in self._epoch_cache:
            self._epoch_cache[segment_id] = [epoch_of(r) for r in self.histories[segment_id]]
        return self._epoch_cache[segment_id]


def respond(status: int, **kwargs: Any) -> Callable[[httpx.Request], httpx.Response]:
    """A handler answering every request with the same response."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, **kwargs)

    return handler


class Api:
    """The same calls over a sync or an async client, so each case is written once.

    Async calls run to completion in ``asyncio.run``; results come back as plain
    lists, so assertions do not care which client produced them.
    """

    def __init__(self, kind: str, handler: Callable[..., Any], **options: Any) -> None:
        self.kind = kind
        options.setdefault("max_retries", 0)
        options.setdefault("requests_per_second", None)
        options.setdefault("transport", httpx.MockTransport(handler))
        base_url = options.pop("base_url", BASE_URL)
        token = options.pop("api_token", TOKEN)
        cls = SegmentsClient if kind == "sync" else AsyncSegmentsClient
        self.client: Any = cls(base_url, token, **options)

    def _run(self, make: Callable[[], Any]) -> Any:
        if self.kind == "sync":
            return make()
        return asyncio.run(make())

    def history(self, segment_id: str, **kwargs: Any) -> list[CountRecord]:
        if self.kind == "sync":
            return list(self.client.count_history(segment_id, **kwargs))

        async def collect() -> list[CountRecord]:
            return [r async for r in self.client.count_history(segment_id, **kwargs)]

        return asyncio.run(collect())

    def first(self, segment_id: str, count: int) -> list[CountRecord]:
        """Only the first ``count`` records, abandoning the iterator (laziness)."""
        if self.kind == "sync":
            iterator = self.client.count_history(segment_id)
            return [next(iterator) for _ in range(count)]

        async def collect() -> list[CountRecord]:
            iterator = self.client.count_history(segment_id)
            out = [await anext(iterator) for _ in range(count)]
            await iterator.aclose()
            return out

        return asyncio.run(collect())

    def pages(self, segment_id: str, **kwargs: Any) -> list[CountPage]:
        if self.kind == "sync":
            return list(self.client.count_history_pages(segment_id, **kwargs))

        async def collect() -> list[CountPage]:
            return [p async for p in self.client.count_history_pages(segment_id, **kwargs)]

        return asyncio.run(collect())

    def page(self, segment_id: str, **kwargs: Any) -> CountPage:
        return self._run(lambda: self.client.count_history_page(segment_id, **kwargs))

    def latest(self, ids: Any) -> dict[str, CountRecord]:
        return self._run(lambda: self.client.latest_counts(ids))

    def close(self) -> None:
        self._run(self.client.close if self.kind == "sync" else self.client.aclose)
