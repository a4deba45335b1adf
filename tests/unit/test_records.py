"""parse_count_history never lets anything but ResponseValidationError escape."""

from __future__ import annotations

import json

from activecampaign_segments import CountRecord, ResponseValidationError
from activecampaign_segments._records import parse_count_history
from hypothesis import given, settings
from hypothesis import strategies as st

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
timestamps = st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()) | scalars
attributes = st.fixed_dictionaries(
    {},
    optional={
        "timestamp": timestamps,
        "segment_id": st.text(max_size=5) | scalars,
        "segment_hash": st.text(max_size=5) | scalars,
        "run_id": st.text(max_size=5) | scalars,
        "result_count": st.integers() | scalars,
        "active_result_count": st.integers() | scalars,
        "count_updating_with_runid": st.text(max_size=5) | scalars,
    },
)
items = (
    st.fixed_dictionaries(
        {}, optional={"type": st.just("SegmentCountHistory") | scalars, "attributes": attributes}
    )
    | json_values
)
bodies = st.fixed_dictionaries({}, optional={"data": st.lists(items, max_size=3) | json_values})


def parse_or_refuse(content: bytes) -> None:
    try:
        records = parse_count_history(content)
    except ResponseValidationError as exc:
        assert exc.field
        return
    assert all(isinstance(r, CountRecord) for r in records)
    for r in records:
        assert r.recorded_at.utcoffset() is not None
        assert type(r.result_count) is int


@settings(max_examples=300, deadline=None)
@given(bodies)
def test_structured_bodies_parse_or_raise_the_typed_error(value):
    parse_or_refuse(json.dumps(value).encode())


@settings(max_examples=200, deadline=None)
@given(json_values | st.binary(max_size=40))
def test_arbitrary_bodies_parse_or_raise_the_typed_error(value):
    parse_or_refuse(value if isinstance(value, bytes) else json.dumps(value).encode())
