"""The record conversion's fast path gives exactly what the field-by-field checks give.

``_records._record`` accepts a well-formed record with one combined test and falls back to
``_checked_record`` (every field checked in order, naming the first bad one) for anything
else. Both must agree on every input: the same record (``extra`` included), or the same error
and field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from activecampaign_segments._errors import ResponseValidationError
from activecampaign_segments._records import CountRecord, _checked_record, _record
from activecampaign_segments_api.models.segment_count_history_data_do import (
    SegmentCountHistoryDataDO,
)
from attrs import fields
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.documented import REQUIRED_ATTRIBUTES, complete

ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=True),
    st.text(max_size=3),
    st.just([]),
    st.just({}),
)
STAMPS = st.sampled_from(
    [
        "2025-01-01T00:00:00.250",
        "1969-12-31T23:59:59.999",
        "9999-12-31T23:00:00",
        "0001-01-01T00:00:00",
        "2024-02-29T12:00:00.001",
    ]
)
OFFSETS = st.sampled_from(["Z", "+00:00", "-05:00", "+14:00", ""])


@st.composite
def items(draw: st.DrawFn) -> dict[str, Any]:
    attributes: dict[str, Any] = {"timestamp": draw(STAMPS) + draw(OFFSETS)}
    for key in ("segment_id", "segment_hash", "run_id"):
        attributes[key] = draw(st.one_of(ODD, st.just("x")))
    attributes["result_count"] = draw(st.one_of(ODD, st.integers(0, 5), st.floats(0, 5)))
    for key in ("active_result_count", "count_updating_with_runid"):
        # Optional ones may be left out, unless the current document requires them.
        if key in REQUIRED_ATTRIBUTES or draw(st.booleans()):
            attributes[key] = draw(st.one_of(ODD, st.integers(0, 5), st.just("r")))
    complete(attributes)  # any other attribute the document requires
    # Attributes the wrapper does not model: they must reach `extra` by either path.
    unknown = draw(st.dictionaries(st.sampled_from(["list_count", "é x", "run"]), ODD, max_size=2))
    attributes.update(unknown)
    identifier = draw(st.one_of(st.just("1"), ODD))
    return {"id": identifier, "type": "SegmentCountHistory", "attributes": attributes}


def outcome(convert: Any, item: SegmentCountHistoryDataDO, raw: Any) -> tuple[Any, ...]:
    try:
        return ("record", convert(3, item, raw))
    except ResponseValidationError as exc:
        return ("error", exc.field, str(exc))


@settings(
    max_examples=600,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(raw=items())
@example(
    raw={
        "id": "1",
        "type": "SegmentCountHistory",
        "attributes": complete(
            {
                "timestamp": "2025-01-01T00:00:00.250Z",
                "segment_id": "x",
                "segment_hash": "h",
                "run_id": "r",
                "result_count": 4,
                "active_result_count": 2.0,
            }
        ),
    }
)
def test_fast_path_and_checked_path_agree(raw: dict[str, Any]) -> None:
    item = SegmentCountHistoryDataDO.from_dict(raw)
    fast, checked = outcome(_record, item, raw), outcome(_checked_record, item, raw)
    assert fast == checked
    if fast[0] == "record":
        record = fast[1]
        assert dict(record.extra) == dict(checked[1].extra)
        modelled = {f.name for f in fields(CountRecord)} | {
            "timestamp",
            "count_updating_with_runid",
        }
        assert dict(record.extra) == {
            k: v for k, v in raw["attributes"].items() if k not in modelled
        }
        since_epoch = record.recorded_at - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        assert record.epoch == since_epoch // dt.timedelta(seconds=1)
        assert record.recorded_at.tzinfo is dt.UTC
        assert type(record.result_count) is int
