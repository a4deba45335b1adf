"""A warehouse for the dlt tests: run the source into DuckDB, count requests, read back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import attrs
import dlt
import duckdb
from activecampaign_segments.dlt_source import count_history_source
from activecampaign_simulator.server import SimulatorHandle

DATASET = "activecampaign"


@attrs.frozen
class RunResult:
    """What one pipeline run did: rows it loaded per table, requests the server answered."""

    history_rows: int
    latest_rows: int
    requests: int


def requests_served(sim: SimulatorHandle) -> int:
    """Every response the simulator has sent so far, whatever its status."""
    return sum(sim.app.state.status_counts.values())


def iso_ms(instant: dt.datetime) -> str:
    """An aware datetime as the simulator writes timestamps: ``...T12:00:00.123Z``."""
    utc = instant.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class Warehouse:
    """One DuckDB file and one dlt pipeline dir: what a scheduled job keeps between runs."""

    def __init__(self, root: Path, sim: SimulatorHandle, name: str = "segments") -> None:
        self.root = root
        self.sim = sim
        self.name = name
        self.duckdb_path = root / "warehouse.duckdb"
        self.pipelines_dir = root / "pipelines"

    def pipeline(self) -> dlt.Pipeline:
        """A new pipeline object each time, as in a new process: state comes from disk."""
        return dlt.pipeline(
            pipeline_name=self.name,
            destination=dlt.destinations.duckdb(str(self.duckdb_path)),
            dataset_name=DATASET,
            pipelines_dir=str(self.pipelines_dir),
        )

    def run(self, segment_ids: list[str], **source_args: Any) -> RunResult:
        """Load ``segment_ids`` from the simulator; raises what ``pipeline.run`` raises."""
        source_args.setdefault("base_url", self.sim.base_url)
        source_args.setdefault("api_token", self.sim.token)
        source_args.setdefault("requests_per_second", None)
        return self.run_source(count_history_source(segment_ids, **source_args))

    def run_source(self, source: Any) -> RunResult:
        """Run an already built source and count what it did."""
        pipeline = self.pipeline()
        before = requests_served(self.sim)
        pipeline.run(source)
        requests = requests_served(self.sim) - before
        trace = pipeline.last_trace
        assert trace is not None and trace.last_normalize_info is not None
        counts = trace.last_normalize_info.row_counts
        return RunResult(counts.get("count_history", 0), counts.get("latest_counts", 0), requests)

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Rows of a query on the DuckDB file, opened read-only (as another tool would)."""
        with duckdb.connect(str(self.duckdb_path), read_only=True) as db:
            return db.execute(sql, list(params)).fetchall()

    def table(self, name: str) -> list[dict[str, Any]]:
        """Every row of a table of the dataset, as dicts (dlt's own columns included)."""
        with duckdb.connect(str(self.duckdb_path), read_only=True) as db:
            cursor = db.execute(f'SELECT * FROM {DATASET}."{name}"')  # test-chosen names
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def column_types(self, name: str) -> dict[str, str]:
        """The DuckDB type of every column of a table."""
        rows = self.query(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = ? AND table_name = ?",
            DATASET,
            name,
        )
        return {column: data_type for column, data_type in rows}
