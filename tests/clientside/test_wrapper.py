"""The wrapper on bodies from Hypothesis: it reads what ActiveCampaign sends, and a body that
breaks the spec raises `ResponseValidationError` naming the broken field, never anything else.

Driven through the public client over `httpx.MockTransport` (no network, no retries, no limiter),
for the paged form and the batch form, which share the parser.

Scope, stated plainly: the broken bodies (`bodies.broken_bodies`) break the spec where the wrapper
reads it (body and `data` shape, `id`'s type, `type`, every attribute). The wrapper does not look
inside `errors` of a 200, so a body whose only fault is there (`"errors": [{"code": 5}]`) is read
without complaint, and it reads an optional attribute sent as `null` as "not sent" on purpose.
The other way round, since the overlay made `data`, a record's `id`/`type`/`attributes` required
and the counts whole numbers, the wrapper refuses only two kinds of spec-valid body: a lower-case
`z` offset (below) and timestamps that overflow when converted to UTC (year 1 or 9999).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx
import pytest
from activecampaign_segments import ResponseValidationError, SegmentsClient
from hypothesis import given
from hypothesis import strategies as st

from tests.clientside import bodies
from tests.clientside.validation import SCHEMAS, deterministic, is_valid, valid_somewhere
from tests.documented import complete_body

SETTINGS = deterministic(max_examples=80)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


def client_answering(content: bytes) -> SegmentsClient:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=content, headers={"Content-Type": "application/json"})

    return SegmentsClient(
        "https://acct.api-us1.com",
        "token-for-tests",
        transport=httpx.MockTransport(answer),
        requests_per_second=None,
        max_retries=0,
    )


def fetch(form: str, content: bytes) -> Any:
    with client_answering(content) as client:
        if form == "page":
            return client.count_history_page(bodies.SEGMENT_ID).records
        return list(client.latest_counts([bodies.SEGMENT_ID]).values())


@pytest.mark.parametrize("form", ["page", "batch"])
@SETTINGS
@given(body=bodies.realistic_bodies())
def test_reads_activecampaign_shaped_bodies(form: str, body: dict[str, Any]) -> None:
    assert all(is_valid(schema, body) for schema in SCHEMAS)
    if form == "batch":
        body = {"data": body["data"][:1]}  # one record per requested id
    records = fetch(form, json.dumps(body).encode())
    assert [str(record.epoch) for record in records] == [item["id"] for item in body["data"]]
    for record, item in zip(records, body["data"], strict=True):
        attributes = item["attributes"]
        assert record.recorded_at == datetime.fromisoformat(attributes["timestamp"])
        assert record.result_count == attributes["result_count"]
        assert record.active_result_count == attributes.get("active_result_count")
        assert record.run_id == attributes["run_id"]


@pytest.mark.parametrize("form", ["page", "batch"])
@SETTINGS
@given(broken=bodies.broken_bodies())
def test_a_body_that_breaks_the_spec_raises_response_validation_error(
    form: str, broken: tuple[Any, str]
) -> None:
    body, field = broken
    assert not valid_somewhere(body)
    with pytest.raises(ResponseValidationError) as caught:
        fetch(form, json.dumps(body).encode())
    # The error points at the broken spot or inside it ("data[0]" sent as "" is reported as
    # "data[0].attributes: missing", since the generated model reads "" as an empty object).
    assert caught.value.field.startswith(field), (caught.value.field, field)


@pytest.mark.parametrize("form", ["page", "batch"])
@SETTINGS
@given(body=JSON)
def test_any_json_is_read_or_refused_with_response_validation_error(form: str, body: Any) -> None:
    try:
        fetch(form, json.dumps(body).encode())
    except ResponseValidationError:
        pass
    else:
        # Only a body the spec allows may be read.
        assert valid_somewhere(body)


@pytest.mark.parametrize("form", ["page", "batch"])
@pytest.mark.parametrize(
    "content",
    [b"", b"not json", b"\xff\xfe", b"[" * 100_000, b'{"data": [', b'{"data": NaN}'],
    ids=["empty", "text", "not-utf8", "deeply-nested", "truncated", "nan"],
)
def test_bytes_that_are_not_a_json_body_raise_response_validation_error(
    form: str, content: bytes
) -> None:
    with pytest.raises(ResponseValidationError):
        fetch(form, content)


@pytest.mark.parametrize("form", ["page", "batch"])
def test_a_lower_case_z_timestamp_is_refused_not_crashed_on(form: str) -> None:
    # Valid RFC 3339 that Python's fromisoformat rejects (see test_models.py): a typed error.
    body = complete_body({"data": [{"id": "1586733650", "type": "SegmentCountHistory",
                                    "attributes": {
        "timestamp": "2020-04-12T23:20:50.523z", "segment_id": "7", "segment_hash": "h",
        "run_id": "r", "result_count": 3,
    }}]})  # fmt: skip
    with pytest.raises(ResponseValidationError) as caught:
        fetch(form, json.dumps(body).encode())
    assert caught.value.field == "data[0].attributes.timestamp"
