"""Rows and column hints come from the record class's fields, so new fields need no change.

``CountRecord`` is about to gain ``extra``, a read-only mapping of attributes the
spec does not model; these tests load a record class that has it, to show it lands
as one JSON column (not a child table, not dropped when empty) with no code change.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import attrs
import dlt
from activecampaign_segments import CountRecord
from activecampaign_segments.dlt_source import record_columns, record_row
from activecampaign_simulator.server import SimulatorHandle

from .helpers import Warehouse


@attrs.frozen
class RecordWithExtra:
    segment_id: str
    recorded_at: dt.datetime
    epoch: int
    result_count: int
    active_result_count: int | None
    run_id: str
    extra: Mapping[str, Any]


@attrs.frozen
class UnresolvableAnnotations:
    run_id: str
    extra: Mapping[str, NotImportedHere]  # type: ignore[name-defined]  # noqa: F821
    note: str | None


def test_count_record_columns_follow_its_fields() -> None:
    columns = record_columns()
    assert list(columns) == [field.name for field in attrs.fields(CountRecord)]
    assert columns["recorded_at"]["data_type"] == "timestamp"
    assert (columns["run_id"]["data_type"], columns["run_id"]["nullable"]) == ("text", False)
    assert (columns["epoch"]["data_type"], columns["epoch"]["nullable"]) == ("bigint", False)
    active = columns["active_result_count"]
    assert (active["data_type"], active["nullable"]) == ("bigint", True)


def test_a_mapping_field_is_a_json_column() -> None:
    assert record_columns(RecordWithExtra)["extra"] == {
        "name": "extra",
        "nullable": False,
        "data_type": "json",
    }
    # Annotations naming something not importable at runtime are read as text.
    fallback = record_columns(UnresolvableAnnotations)
    assert fallback["extra"]["data_type"] == "json"
    assert fallback["note"]["nullable"] is True


def _record(run_id: str, extra: Mapping[str, Any]) -> RecordWithExtra:
    at = dt.datetime(2024, 6, 1, 12, 0, 0, 123000, tzinfo=dt.UTC)
    return RecordWithExtra("7", at, int(at.timestamp()), 10, None, run_id, extra)


def test_a_read_only_mapping_becomes_a_plain_dict() -> None:
    nested = MappingProxyType({"source": MappingProxyType({"kind": "api", "tags": ("a", "b")})})
    row = record_row(_record("r1", nested))
    assert type(row["extra"]) is dict
    assert type(row["extra"]["source"]) is dict
    assert row["extra"] == {"source": {"kind": "api", "tags": ["a", "b"]}}
    assert json.loads(json.dumps(row["extra"])) == row["extra"]


def test_extra_loads_as_one_json_column(tmp_path: Path, sim: SimulatorHandle) -> None:
    warehouse = Warehouse(tmp_path, sim, name="extra_columns")
    # The first load has only empty mappings: the column must exist all the same.
    first = [_record("r1", MappingProxyType({})), _record("r2", MappingProxyType({}))]
    later = [_record("r3", MappingProxyType({"channel": "email", "nested": {"n": [1, 2]}}))]
    for records in (first, later):
        resource = dlt.resource(
            [record_row(r) for r in records],
            name="count_history",
            primary_key="run_id",
            write_disposition="merge",
            columns=record_columns(RecordWithExtra),
        )
        warehouse.pipeline().run(resource)
    assert warehouse.column_types("count_history")["extra"] == "JSON"
    tables = {
        name for (name,) in warehouse.query("SELECT table_name FROM information_schema.tables")
    }
    assert not any(name.startswith("count_history__") for name in tables)  # no child table
    loaded = {row["run_id"]: row["extra"] for row in warehouse.table("count_history")}
    assert {run_id: json.loads(value) for run_id, value in loaded.items()} == {
        "r1": {},
        "r2": {},
        "r3": {"channel": "email", "nested": {"n": [1, 2]}},
    }
