"""Consecutive runs of the source into one DuckDB file, against the simulator's ground truth.

One fixture plays a scheduled job's life (first load, a run with nothing new, a new
count, counts recorded in the newest loaded second, a late count found with the
segment's next new count, a run on a fresh machine) and keeps what each run did;
each test checks one promise against it. The runs depend on each other by nature, so
they are made once, in order, and not per test.
"""

from __future__ import annotations

import datetime as dt
import shutil
from typing import Any

import attrs
import pytest
from activecampaign_segments import CountRecord
from activecampaign_simulator.server import SimulatorHandle

from .conftest import ODD_SEGMENTS
from .helpers import RunResult, Warehouse, iso_ms

# Ordinary, page boundary inside one second, exactly one page, empty, and odd ids.
SEGMENTS = ["1", "900006", "900050", "900000", *ODD_SEGMENTS]
NEW_COUNT_SEGMENT = "1"
SAME_SECOND_LATER = "spa ce"  # a count later in the newest loaded second
SAME_SECOND_EARLIER = "50% off"  # a late-arriving count, earlier in that same second
# Batch-first: one batch request for the ids (fewer than 100), plus one walk of each id
# the batch form leaves out (900000 has no count, so it is walked every run).
BATCH = 1
LEFT_OUT = 1


@attrs.frozen
class Life:
    """What each run did, and the tables after the runs that matter."""

    first: RunResult
    unchanged: RunResult
    new_count: RunResult
    same_second: RunResult
    next_change: RunResult
    fresh_machine: RunResult
    after_first: list[dict[str, Any]]
    after_unchanged: list[dict[str, Any]]
    after_new_count: list[dict[str, Any]]
    after_same_second: list[dict[str, Any]]
    after_next_change: list[dict[str, Any]]
    latest_after_new_count: list[dict[str, Any]]
    new_rows: list[tuple[Any, ...]]  # what Store.add was given, in order
    warehouse: Warehouse


def _add_same_second(
    sim: SimulatorHandle, segment_id: str, *, later: bool, tag: str
) -> tuple[Any, ...]:
    newest = sim.store.records(segment_id)[0]
    at = dt.datetime.fromisoformat(newest["timestamp"])
    newest_ms = int(at.timestamp() * 1000)
    second_ms = newest_ms - newest_ms % 1000
    ts_ms = second_ms + 999 if later else second_ms
    row = (segment_id, ts_ms, newest["segment_hash"], f"run-{tag}", 4242, None, None)
    sim.store.add(row)
    return row


@pytest.fixture(scope="module")
def life(sim: SimulatorHandle, tmp_path_factory: pytest.TempPathFactory) -> Life:
    warehouse = Warehouse(tmp_path_factory.mktemp("incremental"), sim)
    first = warehouse.run(SEGMENTS)
    after_first = warehouse.table("count_history")
    unchanged = warehouse.run(SEGMENTS)
    after_unchanged = warehouse.table("count_history")

    newest = sim.store.records(NEW_COUNT_SEGMENT)[0]
    newest_ms = int(dt.datetime.fromisoformat(newest["timestamp"]).timestamp() * 1000)
    new_row = (NEW_COUNT_SEGMENT, newest_ms + 3_600_123, "hash-edited", "run-new", 777, 700, None)
    sim.store.add(new_row)
    new_count = warehouse.run(SEGMENTS)
    after_new_count = warehouse.table("count_history")
    latest_after_new_count = warehouse.table("latest_counts")

    later = _add_same_second(sim, SAME_SECOND_LATER, later=True, tag="same-second-later")
    earlier = _add_same_second(sim, SAME_SECOND_EARLIER, later=False, tag="same-second-earlier")
    same_second = warehouse.run(SEGMENTS)
    after_same_second = warehouse.table("count_history")

    # The late count is found with the segment's next new count: that walk re-reads
    # the newest loaded second.
    later_newest = sim.store.records(SAME_SECOND_EARLIER)[0]
    later_ms = int(dt.datetime.fromisoformat(later_newest["timestamp"]).timestamp() * 1000)
    next_row = (SAME_SECOND_EARLIER, later_ms + 7_200_000, "h", "run-next-change", 9, None, None)
    sim.store.add(next_row)
    next_change = warehouse.run(SEGMENTS)
    after_next_change = warehouse.table("count_history")

    # A fresh worker (Airflow, CI): no local pipeline dir; dlt restores the state
    # from the warehouse, so the run is still incremental.
    shutil.rmtree(warehouse.pipelines_dir)
    fresh_machine = warehouse.run(SEGMENTS)
    return Life(
        first,
        unchanged,
        new_count,
        same_second,
        next_change,
        fresh_machine,
        after_first,
        after_unchanged,
        after_new_count,
        after_same_second,
        after_next_change,
        latest_after_new_count,
        [new_row, later, earlier, next_row],
        warehouse,
    )


def _as_served(row: dict[str, Any]) -> dict[str, Any]:
    """A loaded row in the simulator's ``attributes`` shape (absent optionals left out)."""
    served = {
        "timestamp": iso_ms(row["recorded_at"]),
        "segment_id": row["segment_id"],
        "segment_hash": row["segment_hash"],
        "run_id": row["run_id"],
        "result_count": row["result_count"],
    }
    if row["active_result_count"] is not None:
        served["active_result_count"] = row["active_result_count"]
    if row["updating_run_id"] is not None:
        served["count_updating_with_runid"] = row["updating_run_id"]
    return served


def _ground_truth(sim: SimulatorHandle) -> list[dict[str, Any]]:
    return [record for segment_id in SEGMENTS for record in sim.store.records(segment_id)]


def _key(record: dict[str, Any]) -> tuple[str, str]:
    return record["segment_id"], record["run_id"]


def test_first_load_holds_every_record_once(life: Life, sim: SimulatorHandle) -> None:
    truth = [r for r in _ground_truth(sim) if not r["run_id"].startswith("run-")]
    loaded = [_as_served(row) for row in life.after_first]
    assert len(loaded) == len({_key(r) for r in loaded})  # once each
    assert sorted(loaded, key=_key) == sorted(truth, key=_key)  # every field of every record
    assert life.first.history_rows == len(truth)
    assert {r["segment_id"] for r in loaded} == set(SEGMENTS) - {"900000"}  # 900000 is empty


def test_rows_have_the_columns_of_count_record_with_utc_timestamps(life: Life) -> None:
    types = life.warehouse.column_types("count_history")
    fields = [field.name for field in attrs.fields(CountRecord)]
    assert [name for name in types if not name.startswith("_dlt_")] == fields
    assert types["recorded_at"] == "TIMESTAMP WITH TIME ZONE"
    not_null = life.warehouse.query(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = 'activecampaign' AND is_nullable = 'NO'"
        " AND table_name IN ('count_history', 'latest_counts')"
    )
    keys = sorted((table, column) for table, column in not_null if not column.startswith("_dlt_"))
    assert keys == [("count_history", "run_id"), ("latest_counts", "segment_id")]
    for row in life.after_first:
        assert row["recorded_at"].utcoffset() == dt.timedelta(0)
        assert row["epoch"] == int(row["recorded_at"].timestamp() // 1)


def test_a_run_with_nothing_new_loads_nothing(life: Life) -> None:
    assert life.unchanged.history_rows == 0
    assert life.after_unchanged == life.after_first


def test_a_run_with_nothing_new_makes_only_the_batch_request(life: Life) -> None:
    assert life.first.requests > len(SEGMENTS) + 1  # the first load walked every page
    assert life.unchanged.requests == BATCH + LEFT_OUT


def test_a_new_count_adds_exactly_that_row(life: Life) -> None:
    assert life.new_count.history_rows == 1
    added = [r for r in life.after_new_count if _key(r) not in {_key(o) for o in life.after_first}]
    segment_id, ts_ms, segment_hash, run_id, count, active, _ = life.new_rows[0]
    assert [_key(r) for r in added] == [(segment_id, run_id)]
    assert added[0]["recorded_at"] == dt.datetime.fromtimestamp(ts_ms / 1000, dt.UTC)
    assert (added[0]["segment_hash"], added[0]["result_count"]) == (segment_hash, count)
    assert added[0]["active_result_count"] == active
    assert len(life.after_new_count) == len(life.after_first) + 1
    assert life.new_count.requests == BATCH + LEFT_OUT + 1  # the batch, 900000, segment 1


def test_latest_counts_holds_the_newest_record_of_each_segment(
    life: Life, sim: SimulatorHandle
) -> None:
    by_segment = {row["segment_id"]: row for row in life.latest_after_new_count}
    assert len(by_segment) == len(life.latest_after_new_count)  # merged: one row each
    assert set(by_segment) == set(SEGMENTS) - {"900000"}
    assert by_segment[NEW_COUNT_SEGMENT]["run_id"] == "run-new"
    for segment_id, row in by_segment.items():
        if segment_id != NEW_COUNT_SEGMENT:
            truth = sim.store.records(segment_id)
            newest = next(r for r in truth if not r["run_id"].startswith("run-"))
            assert _as_served(row) == newest


def test_a_count_later_in_the_newest_loaded_second_is_picked_up_at_once(life: Life) -> None:
    before = {_key(r) for r in life.after_new_count}
    added = sorted(_key(r) for r in life.after_same_second if _key(r) not in before)
    later = life.new_rows[1]
    assert added == [(later[0], later[3])]
    assert life.same_second.history_rows == 1
    assert life.same_second.requests == BATCH + LEFT_OUT + 1
    keys = [_key(r) for r in life.after_same_second]
    assert len(keys) == len(set(keys))


def test_a_late_count_earlier_in_that_second_comes_with_the_next_new_count(life: Life) -> None:
    # The batch form shows the segment's newest count, already loaded: the late count
    # (an earlier millisecond of the newest loaded second) is not looked for then...
    earlier, next_row = life.new_rows[2], life.new_rows[3]
    assert (earlier[0], earlier[3]) not in {_key(r) for r in life.after_same_second}
    # ...but the segment's next new count makes a walk that re-reads that second.
    before = {_key(r) for r in life.after_same_second}
    added = sorted(_key(r) for r in life.after_next_change if _key(r) not in before)
    assert added == sorted([(earlier[0], earlier[3]), (next_row[0], next_row[3])])
    assert life.next_change.history_rows == 2
    assert life.next_change.requests == BATCH + LEFT_OUT + 1
    keys = [_key(r) for r in life.after_next_change]
    assert len(keys) == len(set(keys))


def test_a_fresh_machine_restores_the_state_from_the_warehouse(life: Life) -> None:
    assert life.fresh_machine.history_rows == 0
    assert life.fresh_machine.requests == BATCH + LEFT_OUT
