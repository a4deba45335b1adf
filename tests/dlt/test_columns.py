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
class RecordBefore:
    """A record class as it is today: no ``extra``."""

    segment_id: str
    recorded_at: dt.datetime
    active_result_count: int | None
    run_id: str


@attrs.frozen
class RecordWithExtra:
    """The same class once ``extra`` has been added."""

    segment_id: str
    recorded_at: dt.datetime
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
    assert columns["run_id"]["data_type"] == "text"
    assert columns["epoch"]["data_type"] == "bigint"
    assert columns["active_result_count"]["data_type"] == "bigint"  # int | None
    # Nullable, all of them: a column added later must fit the rows already loaded.
    assert all(column["nullable"] is True for column in columns.values())


def test_a_mapping_field_is_a_json_column() -> None:
    assert record_columns(RecordWithExtra)["extra"] == {
        "name": "extra",
        "nullable": True,
        "data_type": "json",
    }
    # Annotations naming something not importable at runtime are read as text.
    fallback = record_columns(UnresolvableAnnotations)
    assert fallback["extra"]["data_type"] == "json"
    assert "data_type" not in fallback["note"]  # left to dlt


AT = dt.datetime(2024, 6, 1, 12, 0, 0, 123000, tzinfo=dt.UTC)


def test_a_read_only_mapping_becomes_a_plain_dict() -> None:
    nested = MappingProxyType({"source": MappingProxyType({"kind": "api", "tags": ("a", "b")})})
    row = record_row(RecordWithExtra("7", AT, None, "r1", nested))
    assert type(row["extra"]) is dict
    assert type(row["extra"]["source"]) is dict
    assert row["extra"] == {"source": {"kind": "api", "tags": ["a", "b"]}}
    assert json.loads(json.dumps(row["extra"])) == row["extra"]


def test_a_field_added_later_becomes_a_json_column_of_the_existing_table(
    tmp_path: Path, sim: SimulatorHandle
) -> None:
    warehouse = Warehouse(tmp_path, sim, name="extra_columns")
    loads: list[tuple[type[Any], list[Any]]] = [
        # Loaded before `extra` existed.
        (RecordBefore, [RecordBefore("7", AT, 5, "r0")]),
        # Then with it: an empty mapping stays an empty object, not NULL, not dropped.
        (
            RecordWithExtra,
            [
                RecordWithExtra("7", AT, None, "r1", MappingProxyType({})),
                RecordWithExtra("7", AT, 3, "r2", {"channel": "email", "n": [1, 2]}),
            ],
        ),
    ]
    for record_type, records in loads:
        resource = dlt.resource(
            [record_row(r) for r in records],
            name="count_history",
            primary_key="run_id",
            write_disposition="merge",
            columns=record_columns(record_type),
        )
        warehouse.pipeline().run(resource)
    assert warehouse.column_types("count_history")["extra"] == "JSON"
    tables = warehouse.query("SELECT table_name FROM information_schema.tables")
    assert not [name for (name,) in tables if name.startswith("count_history__")]  # no child
    loaded = {row["run_id"]: row["extra"] for row in warehouse.table("count_history")}
    assert {run_id: value and json.loads(value) for run_id, value in loaded.items()} == {
        "r0": None,  # loaded before the field existed
        "r1": {},
        "r2": {"channel": "email", "n": [1, 2]},
    }
