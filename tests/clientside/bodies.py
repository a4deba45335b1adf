"""Hypothesis strategies for response bodies: valid under the spec, and broken in one place.

Valid bodies come from hypothesis-jsonschema and the spec's own 200 schema (`spec_schemas`).
About `format: date-time`: hypothesis-jsonschema 0.23.1 writes RFC 3339 date-times as
`YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+HH:MM|-HH:MM)` (years 0001-9999, no leap seconds, upper-case
`T`/`Z`), and Python 3.11's `datetime.fromisoformat` (what the generated models use) accepts all of
them; they do not round-trip to the same *string* (`Z` becomes `+00:00`, `.5` becomes `.500000`),
only to the same instant. RFC 3339 also allows a lower-case `z` and leap second `60`, which
`fromisoformat` rejects: the generator never produces those, and `test_models.py` pins them down
explicitly. ActiveCampaign itself sends `YYYY-MM-DDTHH:MM:SS.mmmZ` (the spec's example), which
`ac_timestamps` produces for the realistic bodies the wrapper tests start from.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from tests import documented
from tests.clientside.spec_schemas import distinct_response_schemas

SEGMENT_ID = "7"


@cache
def valid_bodies(operations: str) -> st.SearchStrategy[Any]:
    """Any body the spec allows for these operations' 200, extra properties included."""
    return from_schema(distinct_response_schemas()[operations])


@cache
def record_rich_bodies(operations: str) -> st.SearchStrategy[Any]:
    """Bodies the spec allows that do hold records with attributes (most random ones hold none)."""
    schema = copy.deepcopy(distinct_response_schemas()[operations])
    schema["required"] = ["data"]
    schema["properties"]["data"]["minItems"] = 1
    schema["properties"]["data"]["maxItems"] = 5
    schema["properties"]["data"]["items"]["required"] = ["id", "type", "attributes"]
    return from_schema(schema)


def ac_timestamps() -> st.SearchStrategy[str]:
    """Timestamps as ActiveCampaign sends them: UTC, millisecond precision, `Z`."""
    moments = st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    )
    return moments.map(lambda moment: moment.isoformat(timespec="milliseconds")[:-6] + "Z")


def _attributes() -> st.SearchStrategy[dict[str, Any]]:
    # Which attributes a record always carries is the current document's say (an attribute
    # ActiveCampaign makes required is then always sent); the values are ActiveCampaign's.
    text = st.text(min_size=1, max_size=20)
    counts = st.integers(min_value=0, max_value=10**9)
    known: dict[str, st.SearchStrategy[Any]] = {
        "timestamp": ac_timestamps(),
        "segment_id": st.just(SEGMENT_ID),
        "segment_hash": text,
        "run_id": st.uuids().map(str),
        "result_count": counts,
        "active_result_count": counts,
        "count_updating_with_runid": text,
    }
    properties = documented.ATTRIBUTES_SCHEMA.get("properties", {})
    required = {
        name: known.get(name, st.just(documented.example(properties.get(name, {}))))
        for name in documented.REQUIRED_ATTRIBUTES
    }
    optional = {name: value for name, value in known.items() if name not in required}
    return st.fixed_dictionaries(required, optional=optional)


def _newest_first(attributes: list[dict[str, Any]]) -> dict[str, Any]:
    ordered = sorted(attributes, key=lambda a: a["timestamp"], reverse=True)
    data = []
    for item in ordered:
        moment = datetime.fromisoformat(item["timestamp"])
        epoch = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(seconds=1)
        data.append({"id": str(epoch), "type": "SegmentCountHistory", "attributes": item})
    return {"data": data}


def realistic_bodies() -> st.SearchStrategy[dict[str, Any]]:
    """A first page of segment 7 as ActiveCampaign would send it (1-5 records, newest first)."""
    # run_id identifies an evaluation: unique per record (the pager relies on that to drop the
    # records of a boundary second it has already yielded).
    records = st.lists(_attributes(), min_size=1, max_size=5, unique_by=lambda a: a["run_id"])
    return records.map(_newest_first)


# -- one-place breakage ---------------------------------------------------------------------------

NOT_A_STRING: st.SearchStrategy[Any] = st.one_of(
    st.integers(), st.booleans(), st.none(), st.just([]), st.just({})
)
NOT_A_NUMBER: st.SearchStrategy[Any] = st.one_of(
    st.text(max_size=5), st.booleans(), st.none(), st.just([]), st.just({})
)
NOT_AN_OBJECT: st.SearchStrategy[Any] = st.one_of(
    st.integers(), st.text(max_size=5), st.none(), st.just([1])
)
NOT_A_LIST: st.SearchStrategy[Any] = st.one_of(
    st.integers(), st.text(max_size=5), st.none(), st.just({})
)
NOT_A_DATE_TIME = st.sampled_from(
    ["", "yesterday", "2024-13-01T00:00:00Z", "2024-05-31", "1717196910", "2024-05-31T25:00:00Z"]
)
REQUIRED = documented.REQUIRED_ATTRIBUTES
BREAKAGES = (
    "body", "data", "record", "attributes", "type", "missing", "wrong_string", "wrong_number",
    "optional_number", "optional_string", "timestamp",
)  # fmt: skip


@st.composite
def broken_bodies(draw: st.DrawFn) -> tuple[Any, str]:
    """A realistic body broken in exactly one place, and the field the error should name."""
    body = draw(realistic_bodies())
    index = draw(st.integers(0, len(body["data"]) - 1))
    record = body["data"][index]
    where = f"data[{index}]"
    kind = draw(st.sampled_from(BREAKAGES))
    if kind == "body":
        return draw(st.one_of(NOT_AN_OBJECT, st.just([body]))), "body"
    if kind == "data":
        body["data"] = draw(NOT_A_LIST)
        return body, "data"
    if kind == "record":
        body["data"][index] = draw(NOT_AN_OBJECT)
        return body, where
    if kind == "attributes":
        record["attributes"] = draw(NOT_AN_OBJECT)
        return body, f"{where}.attributes"
    if kind == "type":
        record["type"] = draw(st.text(max_size=20).filter(lambda t: t != "SegmentCountHistory"))
        return body, f"{where}.type"
    attributes = record["attributes"]
    if kind == "missing":
        name = draw(st.sampled_from(REQUIRED))
        del attributes[name]
    elif kind == "wrong_string":
        name = draw(st.sampled_from(["timestamp", "segment_id", "segment_hash", "run_id"]))
        attributes[name] = draw(NOT_A_STRING)
    elif kind == "wrong_number":
        name = "result_count"
        attributes[name] = draw(NOT_A_NUMBER)
    elif kind == "optional_number":
        name = "active_result_count"
        attributes[name] = draw(NOT_A_NUMBER.filter(lambda v: v is not None))
    elif kind == "optional_string":
        name = "count_updating_with_runid"
        attributes[name] = draw(NOT_A_STRING.filter(lambda v: v is not None))
    else:
        name = "timestamp"
        attributes[name] = draw(NOT_A_DATE_TIME)
    return body, f"{where}.attributes.{name}"
