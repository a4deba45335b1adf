"""The deterministic data set: same seed, same data; boundary segments as documented."""

from __future__ import annotations

import sqlite3
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest
from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.dataset import (
    BURST_SEGMENT,
    EMPTY_SEGMENT,
    EXACTLY_50_SEGMENT,
    FORBIDDEN_SEGMENT,
    SAME_SECOND_SEGMENT,
    START_MS,
    SegmentSpec,
    generate_rows,
)
from activecampaign_simulator.store import Store, iso_timestamp

from tests.documented import OPTIONAL_ATTRIBUTES

BOUNDARY = [
    EMPTY_SEGMENT,
    EXACTLY_50_SEGMENT,
    SAME_SECOND_SEGMENT,
    BURST_SEGMENT,
    FORBIDDEN_SEGMENT,
]


def build(**options: object) -> Store:
    options.setdefault("segments", 4)
    options.setdefault("history", 200)
    return Store.build(SimulatorConfig(**options))  # type: ignore[arg-type]


def seconds(records: list[dict]) -> list[str]:
    return [r["timestamp"][:19] for r in records]


def test_same_seed_same_data_other_seed_other_data() -> None:
    a, b, c = build(seed=1), build(seed=1), build(seed=2)
    for segment_id in a.segment_ids():
        assert a.records(segment_id) == b.records(segment_id)
    assert a.records("1") != c.records("1")


def test_adding_segments_does_not_change_the_others() -> None:
    assert build(segments=2).records("2") == build(segments=9).records("2")


def test_segment_ids_ordinary_then_boundary_then_extra() -> None:
    store = build(segments=3, extra_segments={"big": 10})
    assert store.segment_ids() == ["1", "2", "3", *BOUNDARY, "big"]
    assert store.record_count("big") == 10
    assert store.record_count("nope") == 0


def test_ordinary_segments_are_realistic() -> None:
    store = build(history=300)
    for segment_id in ["1", "2", "3", "4"]:
        records = store.records(segment_id)
        assert len(records) == 300
        stamps = [r["timestamp"] for r in records]
        assert stamps == sorted(stamps, reverse=True) and len(set(stamps)) == 300
        assert all(r["result_count"] >= 0 for r in records)
        assert 2 <= len({r["segment_hash"] for r in records}) <= 4
        assert len({r["run_id"] for r in records}) == 300
        # Some counts lack an active count while the document lets them (the simulator
        # sends every attribute the document requires).
        present = ["active_result_count" in r for r in records]
        assert any(present)
        assert all(present) != ("active_result_count" in OPTIONAL_ATTRIBUTES)
        assert any("count_updating_with_runid" in r for r in records)
        shared = [n for n in Counter(seconds(records)).values() if n > 1]
        assert shared, "some records should share a second"
        # The hash changes at a few points, not on every record.
        changes = sum(a["segment_hash"] != b["segment_hash"] for a, b in pairwise(records))
        assert 1 <= changes <= 3


def test_run_ids_are_uuid4_strings() -> None:
    import uuid

    for record in build().records("1")[:50]:
        parsed = uuid.UUID(record["run_id"])
        assert parsed.version == 4 and str(parsed) == record["run_id"]


def test_boundary_segments_are_shaped_as_documented() -> None:
    store = build()
    assert store.records(EMPTY_SEGMENT) == []
    assert store.status(EMPTY_SEGMENT) == "ok"

    fifty = store.records(EXACTLY_50_SEGMENT)
    assert len(fifty) == 50 and len(set(seconds(fifty))) == 50

    same = seconds(store.records(SAME_SECOND_SEGMENT))
    assert len(same) == 60
    assert len(set(same[47:53])) == 1
    assert same[46] != same[47] and same[52] != same[53]
    assert Counter(same).most_common(1)[0][1] == 6

    burst = seconds(store.records(BURST_SEGMENT))
    assert len(burst) == 70 and len(set(burst[5:65])) == 1 and burst[4] != burst[5]

    assert store.status(FORBIDDEN_SEGMENT) == "forbidden"
    assert len(store.records(FORBIDDEN_SEGMENT)) == 10
    assert store.status("nope") == "missing"


def test_page_query_matches_the_ground_truth() -> None:
    store = build(history=300)
    truth = store.records("1")
    assert [r[3] for r in store.page("1")] == [r["run_id"] for r in truth[:50]]
    assert len(store.page("1", limit=51)) == 51
    assert store.page("1", 0) == []
    # An absurd cursor must not overflow SQLite's 64-bit integers.
    assert len(store.page("1", 2**63 - 1, inclusive=True)) == 50


def test_iso_timestamp_format() -> None:
    assert iso_timestamp(1_709_294_400_123) == "2024-03-01T12:00:00.123Z"
    assert iso_timestamp(5) == "1970-01-01T00:00:00.005Z"


def test_long_histories_stay_after_2000() -> None:
    rows = list(generate_rows(0, SegmentSpec("long", 1_000_000 // 50)))
    assert rows[-1][1] > START_MS


def test_200k_record_segment_builds_and_streams() -> None:
    store = build(segments=0, extra_segments={"big": 200_000})
    assert store.record_count("big") == 200_000
    rows = store.iter_rows("big")
    first = next(rows)
    assert first[0] == "big"
    assert sum(1 for _ in rows) == 199_999


def test_file_database_is_reused_when_it_matches(tmp_path: Path) -> None:
    path = str(tmp_path / "sim.db")
    first = build(db_path=path)
    truth = first.records("2")
    first.close()
    again = build(db_path=path)
    assert again.records("2") == truth
    again.close()
    other = build(db_path=path, seed=5)  # other data set: rebuilt, not mixed
    assert other.records("2") != truth
    assert other.record_count("2") == 200
    other.close()


def test_foreign_database_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mine.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE precious (x)")
    with pytest.raises(ValueError, match="not the simulator's"):
        build(db_path=str(path))
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("precious",)]


def test_extra_segment_colliding_with_a_boundary_id_is_refused() -> None:
    with pytest.raises(ValueError, match="already used"):
        build(extra_segments={EMPTY_SEGMENT: 3})


def test_file_from_another_generator_version_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from activecampaign_simulator import store as store_module

    path = str(tmp_path / "sim.db")
    build(db_path=path).close()
    monkeypatch.setattr(store_module, "DATASET_VERSION", 99)
    rebuilt = build(db_path=path)
    assert rebuilt.record_count("1") == 200
    rebuilt.close()
    with sqlite3.connect(path) as db:
        (fingerprint,) = db.execute("SELECT value FROM meta").fetchone()
    assert '"dataset": 99' in fingerprint
