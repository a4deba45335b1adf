"""Baseline loops the wrapper is measured against: plain httpx + json, and the generated client.

Both walk the history with the same cursor rule as the wrapper (``before = last epoch + 1``,
skipping the boundary second's records already seen), so all three make the same requests and
count the same records; the difference is the client-side cost only.
"""

from __future__ import annotations

from datetime import datetime

import httpx
from activecampaign_segments_api import AuthenticatedClient
from activecampaign_segments_api.api.count_history import (
    get_count_history_by_segment_id,
    get_count_history_with_timestamp,
)
from activecampaign_segments_api.models import SegmentCountHistoryResponseRootDO
from activecampaign_segments_api.types import Unset

PAGE_SIZE = 50


def _epoch(timestamp: str) -> int:
    return int(datetime.fromisoformat(timestamp).timestamp())


class _Cursor:
    """The lossless cursor in a few lines: which ``before`` to ask next, which records are new."""

    def __init__(self) -> None:
        self.before: int | None = None
        self.done = False
        self._seen: set[str] = set()

    def feed(self, page: list[tuple[int, str]]) -> int:
        """Take one page of (epoch, run_id); return how many records are new."""
        new = [(e, r) for e, r in page if r not in self._seen]
        if len(page) < PAGE_SIZE:
            self.done = True
            return len(new)
        last = page[-1][0]
        if not new:  # a whole page inside one second: step past it (records may be lost)
            self.before = last
            self._seen = set()
            return 0
        self.before = last + 1
        self._seen = {r for e, r in page if e == last}
        return len(new)


def plain_count(client: httpx.Client, segment_id: str) -> int:
    """Walk ``segment_id``'s history with ``client`` and ``json``; return the records seen."""
    cursor = _Cursor()
    total = 0
    base = f"/api/3/segmentsV2/{segment_id}/count-history"
    while not cursor.done:
        url = base if cursor.before is None else f"{base}/{cursor.before}"
        response = client.get(url)
        response.raise_for_status()
        data = response.json()["data"]
        page = [(_epoch(d["attributes"]["timestamp"]), d["attributes"]["run_id"]) for d in data]
        total += cursor.feed(page)
    return total


def generated_count(client: AuthenticatedClient, segment_id: str) -> int:
    """The same walk through the generated client's models."""
    cursor = _Cursor()
    total = 0
    while not cursor.done:
        if cursor.before is None:
            parsed = get_count_history_by_segment_id.sync(segment_id, client=client)
        else:
            parsed = get_count_history_with_timestamp.sync(segment_id, cursor.before, client=client)
        if not isinstance(parsed, SegmentCountHistoryResponseRootDO):
            raise RuntimeError(f"unexpected answer {type(parsed).__name__}")
        page: list[tuple[int, str]] = []
        items = [] if isinstance(parsed.data, Unset) else parsed.data
        for item in items:
            attrs = item.attributes
            if isinstance(attrs, Unset):
                raise RuntimeError("record without attributes")
            page.append((int(attrs.timestamp.timestamp()), attrs.run_id))
        total += cursor.feed(page)
    return total


def generated_client(
    base_url: str, token: str, transport: httpx.BaseTransport | None
) -> AuthenticatedClient:
    """An AuthenticatedClient sending ``Api-Token`` as ActiveCampaign expects."""
    args: dict[str, object] = {}
    if transport is not None:
        args["transport"] = transport
    return AuthenticatedClient(
        base_url=base_url, token=token, prefix="", auth_header_name="Api-Token", httpx_args=args
    )
