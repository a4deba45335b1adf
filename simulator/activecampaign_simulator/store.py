"""SQLite storage for the simulated count history, and the three queries the API needs.

One connection, shared by the server's event loop and the tests' thread, guarded by
a lock (sqlite3 connections are not safe to use from two threads at once). Pages
come straight from the index on ``(segment_id, ts_ms)``; ``seq`` (the rowid) breaks
ties so the order is total.
"""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Final, Literal

from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.dataset import (
    DATASET_VERSION,
    PAGE_SIZE,
    Row,
    generate_rows,
    segment_specs,
)

SCHEMA_VERSION = 1
_TABLES = {"meta", "segments", "records"}

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE segments (
    segment_id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    forbidden INTEGER NOT NULL
);
CREATE TABLE records (
    seq INTEGER PRIMARY KEY,
    segment_id TEXT NOT NULL,
    ts_ms INTEGER NOT NULL,
    segment_hash TEXT NOT NULL,
    run_id TEXT NOT NULL,
    result_count INTEGER NOT NULL,
    active_result_count INTEGER,
    count_updating_with_runid TEXT
);
"""
# Built after the bulk insert: much faster than maintaining it row by row.
_INDEX = "CREATE INDEX records_by_segment_ts ON records (segment_id, ts_ms)"

_COLUMNS = (
    "segment_id, ts_ms, segment_hash, run_id, result_count, "
    "active_result_count, count_updating_with_runid"
)
# SQLite integers are 64-bit: clamp cursors so ``before * 1000`` never overflows.
_MAX_MS = 2**62

SegmentStatus = Literal["ok", "missing", "forbidden"]


def iso_timestamp(ts_ms: int) -> str:
    """``2024-03-01T12:00:00.123Z``: ISO 8601, UTC, milliseconds, as ActiveCampaign writes it."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts_ms // 1000)) + (
        f".{ts_ms % 1000:03d}Z"
    )


def _documented_required() -> frozenset[str]:
    """The attributes the effective document requires in every record (empty if not found).

    Looked up beside a checkout (``openapi/segments.json``) or in the installed wheel (the
    contract suite ships it), without importing the client: when ActiveCampaign makes an
    attribute required, the simulator sends it on every record, as ActiveCampaign would.
    """
    places = [Path(__file__).resolve().parents[2] / "openapi" / "segments.json"]
    spec = importlib.util.find_spec("activecampaign_segments")
    if spec is not None and spec.submodule_search_locations:
        places += [Path(p) / "contract" / "segments.json" for p in spec.submodule_search_locations]
    for place in places:
        try:
            doc = json.loads(place.read_text(encoding="utf-8"))
            schema = doc["components"]["schemas"]["SegmentCountHistoryAttributeDO"]
            return frozenset(schema.get("required", ()))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return frozenset()


_REQUIRED: Final = _documented_required()


def to_attributes(row: Row) -> dict[str, Any]:
    """The ``attributes`` object of one record; optional fields absent when unset.

    An optional field the document now requires is sent anyway (``active_result_count``
    falls back to the result count, ``count_updating_with_runid`` to the run id).
    """
    segment_id, ts_ms, segment_hash, run_id, result_count, active, updating = row
    if active is None and "active_result_count" in _REQUIRED:
        active = result_count
    if updating is None and "count_updating_with_runid" in _REQUIRED:
        updating = run_id
    attributes: dict[str, Any] = {
        "timestamp": iso_timestamp(ts_ms),
        "segment_id": segment_id,
        "segment_hash": segment_hash,
        "run_id": run_id,
        "result_count": result_count,
    }
    if active is not None:
        attributes["active_result_count"] = active
    if updating is not None:
        attributes["count_updating_with_runid"] = updating
    return attributes


def _fingerprint(config: SimulatorConfig) -> str:
    # Only what shapes the data: a file built with these can be reused as is.
    return json.dumps(
        {
            "schema": SCHEMA_VERSION,
            "dataset": DATASET_VERSION,
            "seed": config.seed,
            "segments": config.segments,
            "history": config.history,
            "extra": sorted(config.extra_segments.items()),
        },
        sort_keys=True,
    )


class Store:
    """The simulator's data: build it with :meth:`build`, query it from any thread."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection
        self._lock = threading.Lock()

    @classmethod
    def build(cls, config: SimulatorConfig) -> Store:
        """Open ``config.db_path`` (or memory) and fill it with the data set.

        A file already holding this exact data set (same seed and sizes) is reused;
        a file of an older build is rebuilt; a file holding anything else is refused
        rather than overwritten.
        """
        connection = sqlite3.connect(config.db_path or ":memory:", check_same_thread=False)
        try:
            store = cls(connection)
            store._fill(config)
        except BaseException:
            connection.close()
            raise
        return store

    def _fill(self, config: SimulatorConfig) -> None:
        db = self._db
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        fingerprint = _fingerprint(config)
        if tables == _TABLES:
            row = db.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
            if row is not None and row[0] == fingerprint:
                return
            for table in sorted(_TABLES):
                db.execute(f"DROP TABLE {table}")  # fixed names, not input
        elif tables:
            raise ValueError(
                f"{config.db_path} holds tables {sorted(tables)} that are not the simulator's;"
                " choose another --db path"
            )
        specs = segment_specs(config)
        # Bulk load: no journal sync per row, one transaction, index at the end.
        db.execute("PRAGMA synchronous = OFF")
        with db:
            db.executescript(_SCHEMA)
            db.executemany(
                "INSERT INTO segments VALUES (?, ?, ?)",
                ((s.segment_id, i, int(s.forbidden)) for i, s in enumerate(specs)),
            )
            for spec in specs:
                db.executemany(
                    f"INSERT INTO records ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                    generate_rows(config.seed, spec),
                )
            db.execute(_INDEX)
            db.execute("INSERT INTO meta VALUES ('fingerprint', ?)", (fingerprint,))

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    def segment_ids(self) -> list[str]:
        """Every segment id, forbidden ones included: ordinary, boundary, then extra."""
        with self._lock:
            rows = self._db.execute("SELECT segment_id FROM segments ORDER BY position")
            return [r[0] for r in rows]

    def status(self, segment_id: str) -> SegmentStatus:
        """Whether the segment exists and the token may read it."""
        with self._lock:
            row = self._db.execute(
                "SELECT forbidden FROM segments WHERE segment_id = ?", (segment_id,)
            ).fetchone()
        if row is None:
            return "missing"
        return "forbidden" if row[0] else "ok"

    def page(
        self,
        segment_id: str,
        before: int | None = None,
        *,
        limit: int = PAGE_SIZE,
        inclusive: bool = False,
    ) -> list[Row]:
        """Up to ``limit`` records newest first, strictly before epoch second ``before``.

        ``inclusive`` also returns records of that second (a quirk, not the API).
        """
        bound = _MAX_MS if before is None else min(_MAX_MS, (before + inclusive) * 1000)
        with self._lock:
            return self._db.execute(
                f"SELECT {_COLUMNS} FROM records WHERE segment_id = ? AND ts_ms < ?"  # noqa: S608
                " ORDER BY ts_ms DESC, seq DESC LIMIT ?",
                (segment_id, bound, limit),
            ).fetchall()

    def latest(self, segment_ids: Iterable[str], *, per_segment: int = 1) -> list[Row]:
        """The newest record(s) of each readable existing segment, in the order asked."""
        out: list[Row] = []
        for segment_id in segment_ids:
            if self.status(segment_id) == "ok":
                out.extend(self.page(segment_id, limit=per_segment))
        return out

    def iter_rows(self, segment_id: str) -> Iterator[Row]:
        """Every record of a segment, newest first, fetched in chunks."""
        before_ms, before_seq = _MAX_MS, 2**62
        while True:
            with self._lock:
                chunk = self._db.execute(
                    f"SELECT {_COLUMNS}, seq FROM records WHERE segment_id = ?"  # noqa: S608
                    " AND (ts_ms < ? OR (ts_ms = ? AND seq < ?))"
                    " ORDER BY ts_ms DESC, seq DESC LIMIT 5000",
                    (segment_id, before_ms, before_ms, before_seq),
                ).fetchall()
            if not chunk:
                return
            for row in chunk:
                yield row[:-1]
            before_ms, before_seq = chunk[-1][1], chunk[-1][-1]

    def records(self, segment_id: str) -> list[dict[str, Any]]:
        """Ground truth for tests: every record's ``attributes``, newest first."""
        return [to_attributes(row) for row in self.iter_rows(segment_id)]

    def record_count(self, segment_id: str) -> int:
        """How many records the segment holds (0 for an unknown one)."""
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) FROM records WHERE segment_id = ?", (segment_id,)
            ).fetchone()
        return int(row[0])

    def add(self, row: Row) -> None:
        """Record a new count, as ActiveCampaign does when it evaluates a segment.

        For tests of incremental readers (the history store, the dlt source): the
        record is served from the next request on. An unknown segment is created.
        """
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO segments VALUES"
                " (?, (SELECT COALESCE(MAX(position), -1) + 1 FROM segments), 0)",
                (row[0],),
            )
            self._db.execute(
                f"INSERT INTO records ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                row,
            )

    def forget_before(self, segment_id: str, ts_ms: int) -> int:
        """Stop serving a segment's records older than ``ts_ms`` (retention); how many went."""
        with self._lock, self._db:
            cursor = self._db.execute(
                "DELETE FROM records WHERE segment_id = ? AND ts_ms < ?", (segment_id, ts_ms)
            )
        return cursor.rowcount

    def clear(self) -> None:
        """Forget every segment and record, boundary segments included: an empty account.

        For the testing fixtures (``activecampaign_segments.testing``), whose accounts
        start with no segment at all and hold only what a test adds.
        """
        with self._lock, self._db:
            self._db.execute("DELETE FROM records")
            self._db.execute("DELETE FROM segments")
