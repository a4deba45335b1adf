"""A pure-Python model of the count-history API, and the audit driven over it with no I/O.

For the audit's property tests: a history is a list of records newest first; `respond` answers an
`Ask` the way the document says (the 50 newest records older than the cursor; the batch form the
newest record of each asked segment), and `Defect` bends exactly one behaviour, like the
simulator's quirks but written independently of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from activecampaign_segments.contract.audit import Ask, AuditPlan, Exchange

BASE = "http://127.0.0.1:8765"
PAGE = 50


def iso(ts_ms: int) -> str:
    moment = datetime.fromtimestamp(ts_ms / 1000, UTC)
    return moment.isoformat(timespec="milliseconds")  # "+00:00", not the simulator's "Z"


def record(segment_id: str, ts_ms: int, run_id: str) -> dict[str, Any]:
    return {
        "id": str(ts_ms // 1000),
        "type": "SegmentCountHistory",
        "attributes": {
            "timestamp": iso(ts_ms),
            "segment_id": segment_id,
            "segment_hash": "h",
            "run_id": run_id,
            "result_count": 7,
        },
    }


@dataclass
class Defect:
    """One way to break the API (all off: a conforming server)."""

    skip_at_page_boundary: bool = False
    cursor_off_by_one: bool = False
    page_size: int = PAGE
    unstable_run_id: bool = False
    batch_previous: bool = False
    foreign_segment_id: bool = False


def respond(
    histories: dict[str, list[dict[str, Any]]], ask: Ask, defect: Defect | None = None
) -> dict[str, Any]:
    """The body a server with `defect` answers to `ask` (every history newest first)."""
    defect = defect or Defect()
    if ask.form == "batch":
        data = []
        for segment_id in ask.ids:
            history = histories.get(segment_id, [])
            if history:
                previous = defect.batch_previous and len(history) > 1
                data.append(history[1] if previous else history[0])
        return {"data": data}
    history = histories.get(ask.segment_id, [])
    if ask.cursor is None:
        return {"data": history[: defect.page_size]}
    cursor = ask.cursor - (1 if defect.cursor_off_by_one else 0)
    older = [r for r in history if int(r["id"]) < cursor]
    limit = defect.page_size + (1 if defect.skip_at_page_boundary else 0)
    page = [dict(r, attributes=dict(r["attributes"])) for r in older[:limit]]
    if defect.skip_at_page_boundary and len(page) > 1:
        del page[1]
    for item in page:
        if defect.unstable_run_id:
            item["attributes"]["run_id"] += f"-{ask.cursor}"
        if defect.foreign_segment_id:
            item["attributes"]["segment_id"] += "-other"
    return {"data": page}


def audit(
    histories: dict[str, list[dict[str, Any]]],
    defect: Defect | None = None,
    *,
    new_record_after: int | None = None,
) -> list[Exchange]:
    """Drive `AuditPlan` over the model; the exchanges, as the driver would collect them.

    ``new_record_after``: after that many requests, each segment records a new count (newer
    than every other), as a live account does during a run.
    """
    plan = AuditPlan(list(histories))
    exchanges: list[Exchange] = []
    while (ask := plan.next_ask()) is not None:
        if new_record_after is not None and len(exchanges) == new_record_after:
            for segment_id, history in histories.items():
                newest = max((_ms(r) for r in history), default=1_600_000_000_000)
                history.insert(0, record(segment_id, newest + 1234, f"new-{segment_id}"))
        body = respond(histories, ask, defect)
        exchange = Exchange(ask, BASE + ask.target, 200, body, "", len(exchanges))
        exchanges.append(exchange)
        plan.feed(exchange)
    return exchanges


def _ms(item: dict[str, Any]) -> int:
    moment = datetime.fromisoformat(item["attributes"]["timestamp"])
    return round(moment.timestamp() * 1000)
