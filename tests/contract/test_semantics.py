"""The semantic rules on plain bodies: each must pass good data and name what is wrong in bad."""

from __future__ import annotations

from typing import Any

import pytest
from activecampaign_segments.contract import semantics


def record(ts: str, segment: str = "7", record_id: str | None = None) -> dict[str, Any]:
    epoch = semantics.epoch_of(semantics.parse_timestamp(ts))  # type: ignore[arg-type]
    return {
        "id": record_id if record_id is not None else str(epoch),
        "type": "SegmentCountHistory",
        "attributes": {"timestamp": ts, "segment_id": segment},
    }


NEWER = "2024-05-31T23:08:30.999Z"
SAME_SECOND = "2024-05-31T23:08:30.001Z"
OLDER = "2024-05-31T22:00:00.000Z"


@pytest.mark.parametrize("body", [None, [], {"errors": []}, {"data": "x"}, {"data": [1]}])
def test_bodies_without_records_are_left_to_the_schema_check(body: Any) -> None:
    assert semantics.records_of(body) is None


def test_epoch_is_the_floor_of_the_second() -> None:
    assert semantics.epoch_of(semantics.parse_timestamp(NEWER)) == 1717196910  # type: ignore[arg-type]
    offset = semantics.parse_timestamp("2024-06-01T01:08:30.999+02:00")
    assert semantics.epoch_of(offset) == 1717196910  # type: ignore[arg-type]


def test_a_timestamp_without_offset_is_not_accepted() -> None:
    assert semantics.parse_timestamp("2024-05-31T23:08:30") is None
    assert semantics.parse_timestamp(1717196910) is None
    assert semantics.id_problems([{"id": "1", "attributes": {"timestamp": "yesterday"}}])


def test_page_size() -> None:
    assert semantics.page_size_problems([record(OLDER)] * 50) == []
    (problem,) = semantics.page_size_problems([record(OLDER)] * 51)
    assert "51 records" in problem and "at most 50" in problem


def test_order_allows_equal_and_rejects_ascending() -> None:
    assert semantics.ordering_problems([record(NEWER), record(NEWER), record(OLDER)]) == []
    (problem,) = semantics.ordering_problems([record(OLDER), record(NEWER)])
    assert "not newest first" in problem and "record 1" in problem


def test_cursor_is_exclusive_at_the_second() -> None:
    cursor = 1717196910
    assert semantics.cursor_problems([record(OLDER)], cursor) == []
    (problem,) = semantics.cursor_problems([record(SAME_SECOND)], cursor)
    assert "not strictly before the cursor 1717196910" in problem
    assert semantics.cursor_problems([record(SAME_SECOND)], cursor + 1) == []


def test_id_must_be_the_epoch_second() -> None:
    assert semantics.id_problems([record(NEWER)]) == []
    (problem,) = semantics.id_problems([record(NEWER, record_id="1717196911")])
    assert "'1717196911'" in problem and "1717196910" in problem


def test_segment_history_holds_only_that_segment() -> None:
    assert semantics.segment_problems([record(NEWER, "7")], "7") == []
    assert semantics.segment_problems([record(NEWER, "8")], "7")


def test_batch_only_requested_ids_at_most_once() -> None:
    assert semantics.batch_problems([record(NEWER, "1"), record(NEWER, "2")], {"1", "2", "9"}) == []
    (extra,) = semantics.batch_problems([record(NEWER, "3")], {"1", "2"})
    assert "'3'" in extra and "not requested" in extra
    (twice,) = semantics.batch_problems([record(NEWER, "1"), record(OLDER, "1")], {"1"})
    assert "more than once" in twice


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(5, 5), ("17", 17), ("-1", None), ("1.5", None), ("١٢", None), (True, None), (None, None)],
)
def test_cursor_parsing(raw: Any, expected: int | None) -> None:
    assert semantics.parse_cursor(raw) == expected
