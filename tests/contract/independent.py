"""A count-history server that is not the simulator: plain ASGI, its own data and its own choices.

It conforms to the document but differs from the simulator wherever it may: timestamps written
``+00:00`` with microseconds, ids of any shape (unicode, ``%``, spaces, ``/``), histories of
0, 1, 50 and 51 records and seconds holding many records, records in the batch form in reverse
order of the request. Its `Variant` adds what a real deployment may do: gzip bodies, a
``charset`` parameter, ``Connection: close``, undocumented attributes and a top-level ``meta``,
latency; and, for the bad-input tests, answers that are garbage, errors, or late.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote

from starlette.types import Receive, Scope, Send

TOKEN = "independent-token"
API = ["api", "3", "segmentsV2"]


def iso(ts_ms: int) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, UTC).isoformat(timespec="microseconds")


def history(
    segment_id: str, count: int, *, start_ms: int, gap_ms: int = 2500
) -> list[dict[str, Any]]:
    """``count`` records newest first, ``gap_ms`` apart (0: all in one millisecond)."""
    return [
        {
            "id": str((start_ms - i * gap_ms) // 1000),
            "type": "SegmentCountHistory",
            "attributes": {
                "timestamp": iso(start_ms - i * gap_ms),
                "segment_id": segment_id,
                "segment_hash": f"hash-{segment_id}",
                "run_id": f"{segment_id}/run/{i}",
                "result_count": 1000 + i,
            },
        }
        for i in range(count)
    ]


def crowded(segment_id: str) -> list[dict[str, Any]]:
    """130 records: 48 spread, then 60 in one second (cut by the page boundary), then 22."""
    start = 1_710_000_000_000
    records = history(segment_id, 48, start_ms=start)
    records += history(segment_id, 60, start_ms=start - 500_000, gap_ms=0)  # one millisecond
    records += history(segment_id, 22, start_ms=start - 900_000, gap_ms=7)
    for index, record in enumerate(records):
        record["attributes"]["run_id"] = f"{segment_id}/run/{index}"
    return records


def default_histories() -> dict[str, list[dict[str, Any]]]:
    start = 1_712_345_678_901
    data = {
        sid: history(sid, n, start_ms=start - n)
        for sid, n in [("0", 0), ("1", 1), ("50", 50), ("51", 51), ("é 100%/x", 120)]
    }
    data["crowded"] = crowded("crowded")
    return data


@dataclass
class Variant:
    """How this deployment differs (all off: plain JSON, keep-alive, documented fields only)."""

    gzip: bool = False
    charset: bool = False
    close: bool = False
    undocumented: bool = False
    latency: float = 0.0
    broken: str = ""
    """For bad-input tests, what the timestamp form answers: ``garbage``, ``error``, ``late``."""
    late_seconds: float = 2.0
    throttle_first: int = 0
    """Answer the first N requests 429 with ``Retry-After: 0``."""
    numeric_batch: bool = False
    """Refuse (400) a batch request naming an id that is not a number."""


@dataclass
class IndependentServer:
    """The ASGI app. ``requests`` counts what it was sent."""

    histories: dict[str, list[dict[str, Any]]] = field(default_factory=default_histories)
    variant: Variant = field(default_factory=Variant)
    requests: int = 0
    state: SimpleNamespace = field(
        default_factory=lambda: SimpleNamespace(config=SimpleNamespace(token=TOKEN))
    )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        self.requests += 1
        status, body, cursor_form = self.answer(scope)
        if self.variant.latency:
            await asyncio.sleep(self.variant.latency)
        if cursor_form and self.variant.broken == "late":
            await asyncio.sleep(self.variant.late_seconds)
        await self.send(send, status, body, cursor_form)

    def answer(self, scope: Scope) -> tuple[int, Any, bool]:
        headers = dict(scope["headers"])
        if headers.get(b"api-token") != TOKEN.encode():
            return 401, {"errors": [{"title": "Unauthorized"}]}, False
        if self.requests <= self.variant.throttle_first:
            return 429, {"errors": [{"title": "Too Many Requests"}]}, False
        parts = scope["raw_path"].decode("ascii").split("/")[1:]
        if parts[:3] != API or scope["method"] != "GET":
            return 404, {"errors": [{"title": "Not Found"}]}, False
        rest = parts[3:]
        if rest == ["count-history"]:
            body = self.batch(scope["query_string"].decode("ascii"))
            return (400 if body is None else 200), body or {"errors": [{"title": "Bad"}]}, False
        if len(rest) in (2, 3) and rest[1] == "count-history":
            segment_id = unquote(rest[0])
            if segment_id not in self.histories:
                return 404, {"errors": [{"title": "Not Found"}]}, False
            records = self.histories[segment_id]
            if len(rest) == 3:
                if not rest[2].isdigit():
                    return 400, {"errors": [{"title": "Bad Request"}]}, False
                cursor = int(rest[2])
                records = [r for r in records if int(r["id"]) < cursor]
            return 200, {"data": records[:50]}, len(rest) == 3
        return 404, {"errors": [{"title": "Not Found"}]}, False

    def batch(self, query: str) -> dict[str, Any] | None:
        asked: list[str] = []
        for pair in query.split("&"):
            name, _, value = pair.partition("=")
            if name == "segmentIds":
                asked += [unquote(part) for part in value.split(",") if part]
        if self.variant.numeric_batch and not all(s.isdigit() for s in asked):
            return None
        data = [self.histories[s][0] for s in asked if self.histories.get(s)]
        return {"data": data[::-1]}

    async def send(self, send: Send, status: int, body: Any, cursor_form: bool) -> None:
        variant = self.variant
        if status == 200 and variant.undocumented:
            body = {**body, "meta": {"total": len(body["data"])}}
            body["data"] = [
                {**r, "attributes": {**r["attributes"], "contact_delta": 2}} for r in body["data"]
            ]
        content = json.dumps(body).encode()
        kind = b"application/json; charset=utf-8" if variant.charset else b"application/json"
        headers = [(b"content-type", kind)]
        if cursor_form and variant.broken == "garbage":
            content, headers = b"<html>upstream timed out</html>", [(b"content-type", b"text/html")]
        if cursor_form and variant.broken == "error":
            status = 500
        if status == 429:
            headers.append((b"retry-after", b"0"))
        if variant.gzip:
            content = gzip.compress(content)
            headers.append((b"content-encoding", b"gzip"))
        if variant.close:
            headers.append((b"connection", b"close"))
        headers.append((b"content-length", str(len(content)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})
