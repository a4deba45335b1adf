"""``HistoryStore.sync``: a first sync stores the whole history, later ones only what
is new (the boundary second included), and reads give back exactly what a walk yields."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from activecampaign_segments import APIConnectionError, AsyncSegmentsClient, NotFoundError
from activecampaign_segments.store import AsyncHistoryStore, HistoryStore
from activecampaign_simulator.dataset import (
    BURST_SEGMENT,
    EMPTY_SEGMENT,
    EXACTLY_50_SEGMENT,
    FORBIDDEN_SEGMENT,
    SAME_SECOND_SEGMENT,
)
from activecampaign_simulator.server import SimulatorHandle

from tests.store.conftest import BIG, client_for
from tests.store.helpers import (
    AsyncFailingAfter,
    FailingAfter,
    add_counts,
    run_cli,
    unfinished_walks,
    walked,
)

EVERY_SHAPE = ["1", BIG, EMPTY_SEGMENT, EXACTLY_50_SEGMENT, SAME_SECOND_SEGMENT, BURST_SEGMENT]


def test_first_sync_stores_what_the_walk_yields_for_every_shape(
    shared_sim: SimulatorHandle, db: Path
) -> None:
    with client_for(shared_sim) as client, HistoryStore(db) as store:
        results = store.sync(client, EVERY_SHAPE)
        assert [r.segment_id for r in results] == EVERY_SHAPE
        for segment_id, result in zip(EVERY_SHAPE, results, strict=True):
            expected = walked(shared_sim, segment_id)
            assert list(store.records(segment_id)) == expected, segment_id
            assert result.added == result.stored == len(expected)
            assert store.count(segment_id) == len(expected)
            summary = store.summary(segment_id)
            assert summary is not None and summary.complete
        assert [s.segment_id for s in store.segments()] == sorted(EVERY_SHAPE)


def test_a_sync_with_parallel_windows_stores_the_same_and_catches_up_with_one_request(
    make_sim: Callable[..., SimulatorHandle], db: Path
) -> None:
    # Latency, so the windows of the walk really overlap (what `ac-segments sync` does).
    sim = make_sim(latency=0.02)
    with client_for(sim) as client, HistoryStore(db) as store:
        results = store.sync(client, EVERY_SHAPE, concurrency=4)
        for segment_id, result in zip(EVERY_SHAPE, results, strict=True):
            assert list(store.records(segment_id)) == walked(sim, segment_id), segment_id
            assert result.added == result.stored
        add_counts(sim, BIG, [1000], "parallel")
        before = client.stats.requests
        (result,) = store.sync(client, [BIG], concurrency=4)
        assert client.stats.requests - before == 1
        assert result.added == 1
        with pytest.raises(ValueError, match="concurrency"):
            store.sync(client, [BIG], concurrency=0)


def test_a_second_sync_with_nothing_new_makes_one_request(
    shared_sim: SimulatorHandle, db: Path
) -> None:
    with client_for(shared_sim) as client, HistoryStore(db) as store:
        store.sync(client, [BIG])
        before = client.stats.requests
        (result,) = store.sync(client, [BIG])
        assert client.stats.requests - before == 1
        assert (result.added, result.stored) == (0, len(walked(shared_sim, BIG)))


def test_new_counts_are_picked_up_with_one_request_boundary_second_included(
    sim: SimulatorHandle, db: Path
) -> None:
    with client_for(sim) as client, HistoryStore(db) as store:
        store.sync(client, ["1"])
        newest_ms = sim.store.page("1", limit=1)[0][1]
        # One count in the very second of the newest stored one (a whole-second cursor
        # would step over it), one a little later.
        same_second = 999 - newest_ms % 1000
        new = add_counts(sim, "1", [same_second, 90_000], "new")
        assert same_second >= 0
        before = client.stats.requests
        (result,) = store.sync(client, ["1"])
        assert client.stats.requests - before == 1
        assert result.added == 2
        records = list(store.records("1"))
        assert records == walked(sim, "1")
        assert [r.run_id for r in records[:2]] == new[::-1]


def test_more_new_counts_than_a_page_are_all_picked_up(sim: SimulatorHandle, db: Path) -> None:
    with client_for(sim) as client, HistoryStore(db) as store:
        store.sync(client, ["2"])
        add_counts(sim, "2", [1000 * (i + 1) for i in range(120)], "burst")
        (result,) = store.sync(client, ["2"])
        assert result.added == 120
        assert list(store.records("2")) == walked(sim, "2")


def test_counts_sharing_one_millisecond_come_back_in_the_servers_order(
    sim: SimulatorHandle, db: Path
) -> None:
    with client_for(sim) as client, HistoryStore(db) as store:
        add_counts(sim, "3", [5, 5, 5, 5], "tie")  # one millisecond, four counts
        store.sync(client, ["3"])
        add_counts(sim, "3", [0, 5, 5], "tie-later")  # more in that millisecond
        store.sync(client, ["3"])
        assert list(store.records("3")) == walked(sim, "3")


def test_retention_after_a_sync_keeps_the_old_records(sim: SimulatorHandle, db: Path) -> None:
    full = walked(sim, "1")
    with client_for(sim) as client, HistoryStore(db) as store:
        store.sync(client, ["1"])
        cut_ms = int(full[60].recorded_at.timestamp() * 1000)
        assert sim.store.forget_before("1", cut_ms) > 0
        new = add_counts(sim, "1", [4000], "after-retention")
        store.sync(client, ["1"])
        records = list(store.records("1"))
        assert [r.run_id for r in records] == new + [r.run_id for r in full]
        assert len(walked(sim, "1")) < len(records)
    # The command line prints them too, after what the server still serves.
    served = run_cli(sim, "history", "1", "--format", "jsonl")
    kept = run_cli(sim, "history", "1", "--format", "jsonl", "--db", str(db))
    assert kept.stdout.startswith(served.stdout)
    assert kept.stdout.count("\n") == len(records) > served.stdout.count("\n")


@pytest.mark.parametrize("segment_id", ["ünïcødé ✓", "100% off", "with space", "a+b.c", "."])
def test_arbitrary_segment_ids_round_trip(sim: SimulatorHandle, db: Path, segment_id: str) -> None:
    add_counts(sim, segment_id, list(range(0, 60_000, 1000)), "odd")
    with client_for(sim) as client, HistoryStore(db) as store:
        (result,) = store.sync(client, [segment_id])
        assert result.stored == 60
        assert list(store.records(segment_id)) == walked(sim, segment_id)
        assert [s.segment_id for s in store.segments()] == [segment_id]


def test_since_until_and_limit_match_the_walk_with_the_same_bounds(
    shared_sim: SimulatorHandle, db: Path
) -> None:
    records = walked(shared_sim, BIG)
    since = records[400].recorded_at
    until = records[37].recorded_at  # exclusive, mid-history
    with client_for(shared_sim) as client, HistoryStore(db) as store:
        store.sync(client, [BIG])
        expected = list(client.count_history(BIG, since=since, until=until))
        assert list(store.records(BIG, since=since, until=until)) == expected
        epoch_since = int(since.timestamp())
        expected = list(client.count_history(BIG, since=epoch_since))
        assert list(store.records(BIG, since=epoch_since)) == expected
        assert list(store.records(BIG, limit=1001)) == records[:1001]
        assert store.newest(BIG) == records[0]
        assert list(store.records("never-synced")) == []
        # Bad arguments fail at once, not on the first record.
        with pytest.raises(ValueError, match="timezone-aware"):
            store.records(BIG, since=dt.datetime(2024, 1, 1))
        with pytest.raises(ValueError, match="limit"):
            store.records(BIG, limit=-1)
        with pytest.raises(ValueError, match="later than until"):
            store.records(BIG, since=until, until=since)


def test_a_failed_fetch_stores_nothing_for_an_unknown_segment(
    shared_sim: SimulatorHandle, db: Path
) -> None:
    with client_for(shared_sim) as client, HistoryStore(db) as store:
        with pytest.raises(NotFoundError):
            store.sync(client, ["no-such-segment"])
        with pytest.raises(Exception, match="403"):
            store.sync(client, [FORBIDDEN_SEGMENT])
        assert store.segments() == []
        with pytest.raises(ValueError, match="not a single string"):
            store.sync(client, "1")
        async_client = AsyncSegmentsClient(shared_sim.base_url, shared_sim.token)
        with pytest.raises(TypeError, match="AsyncHistoryStore"):
            store.sync(async_client, ["1"])  # type: ignore[arg-type]
        asyncio.run(async_client.aclose())


def test_an_interrupted_first_sync_resumes_where_it_stopped(
    shared_sim: SimulatorHandle, db: Path
) -> None:
    expected = walked(shared_sim, BIG)
    failing = FailingAfter(5)
    with client_for(shared_sim, transport=failing, retries=0) as client, HistoryStore(db) as store:
        with pytest.raises(APIConnectionError):
            store.sync(client, [BIG])
        kept = store.count(BIG)
        summary = store.summary(BIG)
        assert summary is not None and not summary.complete
    assert 0 < kept < len(expected)
    assert unfinished_walks(db) == 1
    with client_for(shared_sim) as client, HistoryStore(db) as store:
        store.sync(client, [BIG])
        resumed = client.stats.requests
        assert list(store.records(BIG)) == expected
    assert unfinished_walks(db) == 0
    with client_for(shared_sim) as client:
        full = sum(1 for _ in client.count_history_pages(BIG))
    # The resumed sync walked the rest, not the whole history again: one request to
    # catch up at the top, then the pages the first attempt did not reach (one more for
    # the boundary second it fetches again).
    assert resumed <= full - 5 + 2


def test_a_top_walk_cut_short_leaves_no_gap(sim: SimulatorHandle, db: Path) -> None:
    with client_for(sim) as client, HistoryStore(db) as store:
        store.sync(client, [BIG])
    add_counts(sim, BIG, [1000 * (i + 1) for i in range(180)], "gap")
    failing = FailingAfter(1)  # one page of the new counts, then the network fails
    with client_for(sim, transport=failing, retries=0) as client, HistoryStore(db) as store:
        with pytest.raises(APIConnectionError):
            store.sync(client, [BIG])
        # The newest records are stored, but the counts below them are not yet: a
        # sync that only fetched what is newer than the newest stored would skip them.
        assert store.count(BIG) == len(walked(sim, BIG)) - 180 + 50
    with client_for(sim) as client, HistoryStore(db) as store:
        (result,) = store.sync(client, [BIG])
        assert result.added == 130
        assert list(store.records(BIG)) == walked(sim, BIG)
    assert unfinished_walks(db) == 0


def test_the_async_store_stores_the_same(shared_sim: SimulatorHandle, tmp_path: Path) -> None:
    ids = ["1", BIG, SAME_SECOND_SEGMENT, EMPTY_SEGMENT]
    expected = {segment_id: walked(shared_sim, segment_id) for segment_id in ids}

    async def main() -> None:
        async with (
            AsyncSegmentsClient(
                shared_sim.base_url, shared_sim.token, requests_per_second=None
            ) as client,
            AsyncHistoryStore(tmp_path / "async.db") as store,
        ):
            results = await store.sync(client, ids)
            assert [r.stored for r in results] == [len(expected[s]) for s in ids]
            for segment_id in ids:
                got = [r async for r in store.records(segment_id)]
                assert got == expected[segment_id]
                assert await store.count(segment_id) == len(got)
            assert await store.newest(BIG) == expected[BIG][0]
            summary = await store.summary(BIG)
            assert summary is not None and summary.complete
            assert len(await store.segments()) == len(ids)
            again = await store.sync(client, ids)
            assert all(r.added == 0 for r in again)

    asyncio.run(main())
    # The sync store reads what the async one wrote.
    with HistoryStore(tmp_path / "async.db") as store:
        assert list(store.records("1")) == expected["1"]


def test_an_interrupted_async_sync_resumes(shared_sim: SimulatorHandle, db: Path) -> None:
    expected = {segment_id: walked(shared_sim, segment_id) for segment_id in (BIG, "1")}

    async def attempt(transport: AsyncFailingAfter | None) -> None:
        async with (
            AsyncSegmentsClient(
                shared_sim.base_url,
                shared_sim.token,
                requests_per_second=None,
                max_retries=0,
                transport=transport,
            ) as client,
            AsyncHistoryStore(db) as store,
        ):
            await store.sync(client, list(expected))

    with pytest.raises(APIConnectionError):
        asyncio.run(attempt(AsyncFailingAfter(6)))
    assert unfinished_walks(db) >= 1
    asyncio.run(attempt(None))
    with HistoryStore(db) as store:
        for segment_id, records in expected.items():
            assert list(store.records(segment_id)) == records
    assert unfinished_walks(db) == 0
