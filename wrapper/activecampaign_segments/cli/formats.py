"""Streaming writers for the output formats: table, csv, jsonl and json.

JSON and JSON lines carry a record's ``extra`` attributes (what the server sent beyond the
modelled fields) under ``"extra"`` when it has any; CSV and the table keep fixed columns.

Each writer takes one record at a time and writes it with a single ``write`` call, so
whatever stops the stream (Ctrl-C, an error) leaves whole records behind, never half a
line. Nothing holds more than the current record: a history of any length streams in
flat memory, the JSON array included (``[``, the items, ``]``).
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import json
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, TextIO

from rich.console import Console
from rich.text import Text


class OutputFormat(enum.StrEnum):
    """The output formats of ``history`` and ``latest``."""

    TABLE = "table"
    CSV = "csv"
    JSONL = "jsonl"
    JSON = "json"


_SUFFIXES = {".csv": OutputFormat.CSV, ".jsonl": OutputFormat.JSONL, ".json": OutputFormat.JSON}


def choose_format(
    requested: OutputFormat | None, output_name: str | None, stdout: TextIO
) -> OutputFormat:
    """The explicit format, else one from the output file's suffix, else by the terminal.

    A person at a terminal gets a table; a pipe or a file gets JSON lines, which every
    tool can consume record by record.
    """
    if requested is not None:
        return requested
    if output_name is not None:
        for suffix, fmt in _SUFFIXES.items():
            if output_name.lower().endswith(suffix):
                return fmt
        return OutputFormat.JSONL
    isatty = getattr(stdout, "isatty", None)
    return OutputFormat.TABLE if isatty is not None and isatty() else OutputFormat.JSONL


class RecordLike(Protocol):
    """What the writers read from a record (``activecampaign_segments.CountRecord``)."""

    @property
    def segment_id(self) -> str: ...
    @property
    def recorded_at(self) -> dt.datetime: ...
    @property
    def epoch(self) -> int: ...
    @property
    def result_count(self) -> int: ...
    @property
    def active_result_count(self) -> int | None: ...
    @property
    def segment_hash(self) -> str: ...
    @property
    def run_id(self) -> str: ...
    @property
    def updating_run_id(self) -> str | None: ...


FIELDS = (
    "segment_id",
    "recorded_at",
    "epoch",
    "result_count",
    "active_result_count",
    "segment_hash",
    "run_id",
    "updating_run_id",
)


def iso_utc(when: dt.datetime) -> str:
    """``2024-05-01T12:30:00.123Z``: millisecond precision, as the API sends it."""
    return when.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record_to_dict(record: RecordLike, *, with_extra: bool = True) -> dict[str, Any]:
    """The record as plain JSON-able values, in the order of ``FIELDS``.

    With ``with_extra`` (JSON and JSON lines), a record that was sent attributes beyond
    ``FIELDS`` (``CountRecord.extra``) gets them under ``"extra"``, exactly as sent; a
    record with none gets no ``"extra"`` key, so the output of today's API is unchanged.
    """
    row: dict[str, Any] = {
        "segment_id": record.segment_id,
        "recorded_at": iso_utc(record.recorded_at),
        "epoch": record.epoch,
        "result_count": record.result_count,
        "active_result_count": record.active_result_count,
        "segment_hash": record.segment_hash,
        "run_id": record.run_id,
        "updating_run_id": record.updating_run_id,
    }
    # Read with getattr: any RecordLike will do (a record read back from a file has none).
    extra = getattr(record, "extra", None)
    if with_extra and isinstance(extra, Mapping) and extra:
        row["extra"] = dict(extra)
    return row


class RecordWriter(Protocol):
    """Writes records to a text stream: ``start``, any number of ``write``, ``finish``."""

    def start(self) -> None:
        """Write whatever precedes the first record (a header, ``[``)."""

    def write(self, record: RecordLike) -> None:
        """Write one whole record."""

    def finish(self) -> None:
        """Write whatever closes the output (``]``) so it is well formed."""


class JsonLinesWriter:
    """One JSON object per line."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def start(self) -> None:
        """Nothing precedes JSON lines."""

    def write(self, record: RecordLike) -> None:
        """One object, one line."""
        self._stream.write(json.dumps(record_to_dict(record)) + "\n")

    def finish(self) -> None:
        """Nothing closes JSON lines."""


class JsonArrayWriter:
    """A JSON array written item by item: ``[``, the items separated by commas, ``]``."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._first = True

    def start(self) -> None:
        """Open the array."""
        self._stream.write("[")

    def write(self, record: RecordLike) -> None:
        """The separator and the item go out in the same write: an item is never half there."""
        prefix = "\n  " if self._first else ",\n  "
        self._first = False
        self._stream.write(prefix + json.dumps(record_to_dict(record)))

    def finish(self) -> None:
        """Close the array."""
        self._stream.write("]\n" if self._first else "\n]\n")


class CsvWriter:
    """RFC 4180 CSV with a header row; empty cells for missing values."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        # Each row is formatted into a scratch buffer first so it reaches the real
        # stream in one write.
        self._buffer = io.StringIO()
        self._csv = csv.writer(self._buffer, lineterminator="\n")

    def _emit(self, row: Iterable[Any]) -> None:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._csv.writerow(row)
        self._stream.write(self._buffer.getvalue())

    def start(self) -> None:
        """The header row."""
        self._emit(FIELDS)

    def write(self, record: RecordLike) -> None:
        """One row, the fixed columns only (``extra`` has no fixed shape)."""
        self._emit(record_to_dict(record, with_extra=False).values())

    def finish(self) -> None:
        """Nothing closes CSV."""


class _Column:
    def __init__(self, title: str, width: int, *, right: bool = False) -> None:
        self.title = title
        self.width = width
        self.right = right

    def cell(self, text: str) -> str:
        if len(text) > self.width:
            text = text[: self.width - 1] + "…"
        return text.rjust(self.width) if self.right else text.ljust(self.width)


_TABLE = (
    _Column("segment", 10),
    _Column("recorded_at (UTC)", 23),
    _Column("result_count", 12, right=True),
    _Column("active_count", 12, right=True),
    _Column("segment_hash", 12),
    _Column("updating", 8),
)


class TableWriter:
    """A fixed-width text table for people, one line per record.

    The column widths are fixed up front (the records' fields have known shapes) so the
    table streams; a rich ``Table`` would need every row before printing the first, and
    renders two orders of magnitude slower per row. On a terminal rich prints the header in bold.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def _line(self, cells: Iterable[str]) -> str:
        return "  ".join(cells).rstrip() + "\n"

    def start(self) -> None:
        """The header and a rule."""
        header = self._line(col.cell(col.title) for col in _TABLE)
        rule = self._line("─" * col.width for col in _TABLE)
        # rich decides whether the stream is a terminal that takes styles (NO_COLOR,
        # TERM=dumb, pipes); the rows are plain text either way.
        console = Console(file=self._stream, soft_wrap=True, highlight=False)
        console.print(Text(header.rstrip(), style="bold"))
        self._stream.write(rule)

    def write(self, record: RecordLike) -> None:
        """One aligned row."""
        active = record.active_result_count
        row = (
            record.segment_id,
            record.recorded_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
            f"{record.result_count:,}",
            "" if active is None else f"{active:,}",
            record.segment_hash[:12],
            "yes" if record.updating_run_id else "",
        )
        self._stream.write(
            self._line(col.cell(text) for col, text in zip(_TABLE, row, strict=True))
        )

    def finish(self) -> None:
        """Nothing closes the table."""


def make_writer(fmt: OutputFormat, stream: TextIO) -> RecordWriter:
    """The writer for ``fmt`` on ``stream``."""
    if fmt is OutputFormat.CSV:
        return CsvWriter(stream)
    if fmt is OutputFormat.JSON:
        return JsonArrayWriter(stream)
    if fmt is OutputFormat.JSONL:
        return JsonLinesWriter(stream)
    return TableWriter(stream)
