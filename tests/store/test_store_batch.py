"""Batch-first sync over loopback: what the batch form shows decides which segments are
walked, counted in requests (the client's own counter), never in time."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from activecampaign_segments import (
    APIConnectionError,
    AsyncSegmentsClient,
    NotFoundError,
    PermissionDeniedError,
)
from activecampaign_segments.store import AsyncHistoryStore, HistoryStore
from activecampaign_simulator.dataset import EMPTY_SEGMENT, FORBIDDEN_SEGMENT
from activecampaign_simulator.server import SimulatorHandle

from tests.store.conftest import client_for
from tests.store.helpers import FailingAfter, add_counts, unfinished_walks, walked

MANY = 150  # two batch requests
SMALL = 3  # records per segment: one page each


def _ids(count: int) -> list[str]:
    return [str(i) for i in range(1, count + 1)]


@pytest.fixture
def many(make_sim: Callable[..., SimulatorHandle]) -> SimulatorHandle:
    """A simulator of 150 small segments (a private one: tests add counts)."""
    return make_sim(segments=MANY, history=SMALL, extra_segments={})


def _sync(
    handle: SimulatorHandle, db: Path, ids: list[str], **options: int
) -> tuple[list[tuple[str, int, int]], int]:
    """Sync ``ids``: each segment's (id, added, stored) and the requests it took."""
    with client_for(handle) as client, HistoryStore(db) as store:
        results = store.sync(client, ids, **options)
        return [(r.segment_id, r.added, r.stored) for r in results], client.stats.requests


def test_unchanged_segments_cost_one_request_per_100_and_changed_ones_one_more(
    many: SimulatorHandle, db: Path
) -> None:
    ids = _ids(MANY)
    first, requests = _sync(many, db, ids, segments_at_once=4)
    assert first == [(i, SMALL, SMALL) for i in ids]
    assert requests == 2 + MANY  # the batch, then one page per segment

    unchanged, requests = _sync(many, db, ids, segments_at_once=4)
    assert unchanged == [(i, 0, SMALL) for i in ids]
    assert requests == 2  # ⌈150/100⌉

    changed = ["7", "120", "150"]
    for segment_id in changed:
        add_counts(many, segment_id, [2000], f"new-{segment_id}")
    again, requests = _sync(many, db, ids, segments_at_once=4)
    assert requests == 2 + len(changed)
    assert {i: added for i, added, _ in again if added} == dict.fromkeys(changed, 1)
    with HistoryStore(db) as store:
        for segment_id in [*changed, "1"]:
            assert list(store.records(segment_id)) == walked(many, segment_id)
        # Every segment caught up, the unchanged ones included.
        assert all(s.synced_at is not None and s.complete for s in store.segments())


def test_ids_the_batch_form_leaves_out_are_walked_and_decide_the_error(
    sim: SimulatorHandle, db: Path
) -> None:
    comma = "a,b"  # cannot be asked in the batch form (comma-separated): walked
    add_counts(sim, comma, [0, 1000], "comma")
    ids = ["1", "2", EMPTY_SEGMENT, comma]
    first, _ = _sync(sim, db, ids)
    assert [stored for _, _, stored in first] == [130, 130, 0, 2]
    again, requests = _sync(sim, db, ids)
    # The batch request; the empty segment (no count to show) and the comma id walked.
    assert requests == 1 + 2
    assert [added for _, added, _ in again] == [0, 0, 0, 0]

    refusals: list[tuple[str, type[Exception]]] = [
        ("no-such-segment", NotFoundError),
        (FORBIDDEN_SEGMENT, PermissionDeniedError),
    ]
    for refused, error in refusals:
        with client_for(sim) as client, HistoryStore(db) as store:
            with pytest.raises(error):
                store.sync(client, ["1", refused, "2"])
            assert refused not in {s.segment_id for s in store.segments()}
            assert store.count("1") == 130


class RefusingBatch(httpx.BaseTransport):
    """Real HTTP, but the batch form answers 400 (a server that will not batch these ids)."""

    def __init__(self) -> None:
        self.refused = 0
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if "segmentIds" in request.url.params:
            self.refused += 1
            return httpx.Response(400, json={"message": "no batch today"}, request=request)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def test_a_refused_batch_request_falls_back_to_walking_each_segment(
    shared_sim: SimulatorHandle, db: Path
) -> None:
    ids = ["1", "2", "3"]
    _sync(shared_sim, db, ids)
    refusing = RefusingBatch()
    with client_for(shared_sim, transport=refusing) as client, HistoryStore(db) as store:
        results = store.sync(client, ids)
        assert [r.added for r in results] == [0, 0, 0]
        assert refusing.refused == 1
        assert client.stats.requests == 1 + len(ids)


def test_retention_that_dropped_the_newest_stored_count(sim: SimulatorHandle, db: Path) -> None:
    ids = ["1", "2"]
    _sync(sim, db, ids)
    with HistoryStore(db) as store:
        held = list(store.records("1"))
    newest_ms = sim.store.page("1", limit=1)[0][1]
    # The segment went unsynced for long: the server dropped every count the store
    # holds, and recorded new ones since.
    assert sim.store.forget_before("1", newest_ms + 1) == 130
    new = []
    for offset_ms in (60_000, 120_000):
        new.append(f"after-retention-{offset_ms}")
        sim.store.add(("1", newest_ms + offset_ms, "h", new[-1], 1, None, None))
    results, requests = _sync(sim, db, ids)
    assert requests == 1 + 1
    assert results[0] == ("1", 2, 132)
    with HistoryStore(db) as store:
        assert [r.run_id for r in store.records("1")] == new[::-1] + [r.run_id for r in held]
    # The server drops everything: the batch form shows no count, the walk finds none,
    # and the store keeps what it has.
    sim.store.forget_before("1", 2**62)
    results, requests = _sync(sim, db, ids)
    assert requests == 1 + 1
    assert results[0] == ("1", 0, 132)


def test_a_late_count_is_fetched_with_the_segments_next_new_count(
    sim: SimulatorHandle, db: Path
) -> None:
    ids = ["1", "2"]
    base_ms = sim.store.page("1", limit=1)[0][1] // 1000 * 1000 + 60_000
    add_counts(sim, "1", [base_ms + 500 - sim.store.page("1", limit=1)[0][1]], "newest")
    _sync(sim, db, ids)
    # Recorded late: in the newest stored second, but before the newest count.
    sim.store.add(("1", base_ms + 100, "hash-late", "late", 5, None, None))
    results, requests = _sync(sim, db, ids)
    assert (requests, results[0][1]) == (1, 0)  # the batch form shows nothing new
    new = add_counts(sim, "1", [5000], "next")
    results, requests = _sync(sim, db, ids)
    assert (requests, results[0][1]) == (2, 2)  # the next walk re-reads that second
    with HistoryStore(db) as store:
        assert list(store.records("1")) == walked(sim, "1")
        assert [r.run_id for r in store.records("1", limit=3)] == [*new, "newest-0", "late"]


def test_segments_at_once_are_resumable_and_store_nothing_twice(
    make_sim: Callable[..., SimulatorHandle], db: Path
) -> None:
    sim = make_sim(latency=0.01)
    ids = ["1", "2", "3", "big"]
    expected = {segment_id: walked(sim, segment_id) for segment_id in ids}
    failing = FailingAfter(8)  # the batch, then some pages of several segments
    with (
        client_for(sim, transport=failing, retries=0) as client,
        HistoryStore(db) as store,
        pytest.raises(APIConnectionError),
    ):
        store.sync(client, ids, segments_at_once=4)
    assert unfinished_walks(db) >= 1
    results, _ = _sync(sim, db, ids, segments_at_once=4, concurrency=2)
    assert [stored for _, _, stored in results] == [len(expected[i]) for i in ids]
    with HistoryStore(db) as store:
        for segment_id in ids:
            assert list(store.records(segment_id)) == expected[segment_id]
    assert unfinished_walks(db) == 0
    reader = sqlite3.connect(db)
    try:
        rows, distinct = reader.execute(
            "SELECT COUNT(*), COUNT(DISTINCT segment_id || ' ' || run_id) FROM records"
        ).fetchone()
    finally:
        reader.close()
    assert rows == distinct == sum(len(r) for r in expected.values())


def test_bad_options_fail_before_any_request(shared_sim: SimulatorHandle, db: Path) -> None:
    with client_for(shared_sim) as client, HistoryStore(db) as store:
        for bad in (0, -1, 1.5, True):
            with pytest.raises(ValueError, match="segments_at_once"):
                store.sync(client, ["1", "2"], segments_at_once=bad)  # type: ignore[arg-type]
            with pytest.raises(ValueError, match="concurrency"):
                store.sync_each(client, ["1", "2"], concurrency=bad)  # type: ignore[arg-type]
        assert client.stats.requests == 0


def test_the_async_store_is_batch_first_too(many: SimulatorHandle, db: Path) -> None:
    ids = _ids(MANY)

    async def sync() -> tuple[list[int], int]:
        async with (
            AsyncSegmentsClient(many.base_url, many.token, requests_per_second=None) as client,
            AsyncHistoryStore(db) as store,
        ):
            results = await store.sync(client, ids)
            return [r.added for r in results], client.stats.requests

    added, requests = asyncio.run(sync())
    assert (added, requests) == ([SMALL] * MANY, 2 + MANY)
    add_counts(many, "42", [1000], "async-new")
    added, requests = asyncio.run(sync())
    assert requests == 2 + 1
    assert [i for i, n in zip(ids, added, strict=True) if n] == ["42"]
    with HistoryStore(db) as store:
        assert list(store.records("42")) == walked(many, "42")


def test_a_malformed_batch_answer_is_a_typed_error_and_stores_nothing(
    make_sim: Callable[..., SimulatorHandle], db: Path
) -> None:
    from activecampaign_segments import ResponseValidationError

    sim = make_sim(quirks={"batch_duplicates"})  # two records for one id
    _sync(sim, db, ["1"])  # one id: no batch request
    with client_for(sim) as client, HistoryStore(db) as store:
        with pytest.raises(ResponseValidationError, match="answered twice"):
            store.sync(client, ["1", "2"])
        assert [s.segment_id for s in store.segments()] == ["1"]
        assert store.count("1") == 130


def test_a_lenient_server_is_synced_batch_first_as_well(
    make_sim: Callable[..., SimulatorHandle], db: Path
) -> None:
    # The other reading of the document: an unknown id has a history of its own, or,
    # if numeric, an empty one (200, not 404): left out of the batch, walked, no error.
    sim = make_sim(profile="lenient")
    ids = ["1", "2", "not-in-the-data-set", "424242"]
    first, _ = _sync(sim, db, ids, segments_at_once=2)
    assert all(added == stored > 0 for _, added, stored in first[:3])
    assert first[3] == ("424242", 0, 0)
    again, requests = _sync(sim, db, ids, segments_at_once=2)
    assert (requests, [added for _, added, _ in again]) == (1 + 1, [0, 0, 0, 0])
    with HistoryStore(db) as store:
        for segment_id in ids:
            assert list(store.records(segment_id)) == walked(sim, segment_id)
