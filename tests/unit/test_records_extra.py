"""`CountRecord.extra`, and the run-time defence at the boundary with the generated models.

`extra` holds the attributes a record was sent beyond the modelled fields, exactly as sent,
read-only; the CLI's JSON outputs carry it. Whatever the generated models raise or lack while
a body is read becomes `ResponseValidationError` naming the field, never a bare exception.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import pickle
from typing import Any

import httpx
import pytest
from activecampaign_segments import CountRecord, ResponseValidationError, SegmentsClient
from activecampaign_segments._records import parse_count_history
from activecampaign_segments.cli.formats import FIELDS, OutputFormat, make_writer
from activecampaign_segments_api.models.segment_count_history_attribute_do import (
    SegmentCountHistoryAttributeDO,
)
from activecampaign_segments_api.models.segment_count_history_data_do import (
    SegmentCountHistoryDataDO,
)
from activecampaign_segments_api.models.segment_count_history_response_root_do import (
    SegmentCountHistoryResponseRootDO,
)

from tests.documented import complete

ATTRIBUTES = complete(
    {
        "timestamp": "2025-03-01T10:00:00.250Z",
        "segment_id": "4",
        "segment_hash": "h",
        "run_id": "r-1",
        "result_count": 12,
    }
)
UNMODELLED = {
    "list_count": 7,
    "ünïcode key": "välue",
    "nested": {"a": [1, 2.5, None, True]},
    "nothing": None,
    "ratio": 0.5,
}


def body(**attributes: Any) -> bytes:
    item = {"id": "1740823200", "type": "SegmentCountHistory", "attributes": attributes}
    return json.dumps({"data": [item]}).encode()


def one(**attributes: Any) -> CountRecord:
    (record,) = parse_count_history(body(**attributes))
    return record


def test_extra_is_what_was_sent_beyond_the_modelled_fields() -> None:
    record = one(**{**ATTRIBUTES, "active_result_count": 3}, **UNMODELLED)
    assert dict(record.extra) == UNMODELLED
    assert record.extra["nested"] == {"a": [1, 2.5, None, True]}
    assert record.active_result_count == 3 and "active_result_count" not in record.extra


def test_extra_is_empty_when_nothing_else_was_sent() -> None:
    assert dict(one(**ATTRIBUTES).extra) == {}
    assert len(one(**{**ATTRIBUTES, "active_result_count": None}).extra) == 0
    assert one(**ATTRIBUTES).extra == {}


def test_extra_is_read_only() -> None:
    extra = one(**ATTRIBUTES, **UNMODELLED).extra
    with pytest.raises(TypeError):
        extra["list_count"] = 8  # type: ignore[index]
    with pytest.raises(AttributeError):
        extra.update({"x": 1})  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        one(**ATTRIBUTES).extra = {}  # type: ignore[misc]


def test_records_compare_with_extra_and_hash_without_it() -> None:
    plain, rich = one(**ATTRIBUTES), one(**ATTRIBUTES, **UNMODELLED)
    assert plain != rich  # the server sent them different things
    assert rich == one(**ATTRIBUTES, **UNMODELLED)
    assert hash(plain) == hash(rich)  # equal records hash equal; extra is just left out
    assert len({plain, rich, one(**ATTRIBUTES)}) == 2
    # A record made without extra (tests, user code) equals one parsed with none.
    fields = {name: getattr(plain, name) for name in FIELDS}
    assert CountRecord(**fields) == plain


def test_records_with_extra_pickle_and_copy() -> None:
    record = one(**ATTRIBUTES, **UNMODELLED)
    for again in (pickle.loads(pickle.dumps(record)), copy.deepcopy(record), copy.copy(record)):
        assert again == record and dict(again.extra) == UNMODELLED
    assert "extra={'list_count': 7" in repr(record)


def test_a_record_sent_as_a_list_of_pairs_is_refused() -> None:
    # The generated model reads [["id", ...], ...] as an object; the spec says object.
    pairs = [["id", "1"], ["type", "SegmentCountHistory"], ["attributes", ATTRIBUTES]]
    with pytest.raises(ResponseValidationError) as caught:
        parse_count_history(json.dumps({"data": [pairs]}).encode())
    assert caught.value.field == "data[0]"


# ------------------------------------------------------------------ the CLI's outputs


def written(fmt: OutputFormat, records: list[CountRecord]) -> str:
    stream = io.StringIO()
    writer = make_writer(fmt, stream)
    writer.start()
    for record in records:
        writer.write(record)
    writer.finish()
    return stream.getvalue()


def test_json_outputs_carry_extra_when_there_is_some() -> None:
    records = [one(**ATTRIBUTES, **UNMODELLED), one(**ATTRIBUTES)]
    lines = [json.loads(line) for line in written(OutputFormat.JSONL, records).splitlines()]
    assert lines[0]["extra"] == UNMODELLED and "extra" not in lines[1]
    assert list(lines[1]) == list(FIELDS)
    array = json.loads(written(OutputFormat.JSON, records))
    assert array == lines


def test_csv_keeps_its_fixed_columns() -> None:
    records = [one(**ATTRIBUTES, **UNMODELLED), one(**ATTRIBUTES)]
    rows = list(csv.reader(io.StringIO(written(OutputFormat.CSV, records))))
    assert rows[0] == list(FIELDS)
    assert [len(row) for row in rows] == [len(FIELDS)] * 3
    assert rows[1] == rows[2]


# ------------------------------------------------- whatever the generated models do


@pytest.fixture
def lacking(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Make the generated attributes model lack one attribute (a mismatched regeneration)."""

    def lack(name: str) -> None:
        real = SegmentCountHistoryAttributeDO.from_dict.__func__  # type: ignore[attr-defined]

        def from_dict(cls: type, src: Any) -> Any:
            model = real(cls, src)
            delattr(model, name)
            return model

        monkeypatch.setattr(SegmentCountHistoryAttributeDO, "from_dict", classmethod(from_dict))

    return lack


@pytest.mark.parametrize(
    "name",
    ["timestamp", "segment_id", "result_count", "active_result_count", "run_id",
     "count_updating_with_runid"],
)  # fmt: skip
def test_an_attribute_the_generated_model_lacks_is_named(lacking: Any, name: str) -> None:
    lacking(name)
    with pytest.raises(ResponseValidationError) as caught:
        parse_count_history(body(**{**ATTRIBUTES, "active_result_count": 1}))
    assert caught.value.field == f"data[0].attributes.{name}"
    assert "generated model has no such attribute" in str(caught.value)


def test_a_failing_generated_attribute_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    class Exploding:
        def __init__(self, real: Any) -> None:
            self._real = real

        def __getattr__(self, name: str) -> Any:
            if name == "run_id":
                raise RuntimeError("boom")
            return getattr(self._real, name)

    real = SegmentCountHistoryDataDO.from_dict.__func__  # type: ignore[attr-defined]

    def from_dict(cls: type, src: Any) -> Any:
        model = real(cls, src)
        model.attributes = Exploding(model.attributes)
        return model

    monkeypatch.setattr(SegmentCountHistoryDataDO, "from_dict", classmethod(from_dict))
    with pytest.raises(ResponseValidationError) as caught:
        parse_count_history(body(**ATTRIBUTES))
    assert caught.value.field == "data[0].attributes.run_id"
    assert "RuntimeError: boom" in str(caught.value)


@pytest.mark.parametrize("error", [NotImplementedError("new"), LookupError("x"), OverflowError()])
def test_anything_from_dict_raises_becomes_the_typed_error(
    monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def from_dict(cls: type, src: Any) -> Any:
        raise error

    monkeypatch.setattr(SegmentCountHistoryResponseRootDO, "from_dict", classmethod(from_dict))
    with pytest.raises(ResponseValidationError) as caught:
        parse_count_history(body(**ATTRIBUTES))
    assert caught.value.field == "body" and type(error).__name__ in str(caught.value)


def test_a_key_a_newer_generated_model_requires_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    # A client generated from a document with a new required attribute, against a server
    # that does not send it yet.
    real = SegmentCountHistoryAttributeDO.from_dict.__func__  # type: ignore[attr-defined]

    def from_dict(cls: type, src: Any) -> Any:
        if "list_count" not in src:
            raise KeyError("list_count")
        return real(cls, src)

    monkeypatch.setattr(SegmentCountHistoryAttributeDO, "from_dict", classmethod(from_dict))
    with pytest.raises(ResponseValidationError) as caught:
        parse_count_history(body(**ATTRIBUTES))
    assert caught.value.field == "data[0].attributes.list_count"
    assert caught.value.problem == "missing"


def test_the_client_raises_only_the_typed_error(lacking: Any) -> None:
    # The run-time crash, through the public client: AttributeError no more.
    lacking("active_result_count")
    content = body(**{**ATTRIBUTES, "active_result_count": 2})
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=content))
    with (
        SegmentsClient(
            "https://acct.api-us1.com",
            "token",
            transport=transport,
            requests_per_second=None,
            max_retries=0,
        ) as client,
        pytest.raises(ResponseValidationError) as caught,
    ):
        list(client.count_history("4"))
    assert caught.value.field == "data[0].attributes.active_result_count"
