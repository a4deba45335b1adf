"""``CountRecord`` <-> a row of the ``records`` table, losslessly.

Timestamps are stored as whole microseconds since the epoch: a ``datetime`` holds no
more, so reading a record back gives an equal ``CountRecord`` (same ``recorded_at``,
same ``epoch``), and the CLI prints it byte for byte as it prints a fetched one.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Final

from .._paging import Timepoint, to_instant
from .._records import CountRecord, extra_mapping

_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND: Final = dt.timedelta(microseconds=1)
_US_PER_SECOND: Final = 1_000_000

Row = tuple[str, str, int, int, int, int | None, str, str | None, str | None]
"""``(segment_id, run_id, recorded_us, tiebreak, result_count, active_result_count,
segment_hash, updating_run_id, extra)``: the column order of ``records`` (``extra`` a
JSON object, or ``None`` when the record has none)."""

COLUMNS: Final = (
    "segment_id, run_id, recorded_us, tiebreak, result_count, "
    "active_result_count, segment_hash, updating_run_id, extra"
)


def to_us(instant: dt.datetime) -> int:
    """Whole microseconds since the epoch (exact: a datetime has no finer unit)."""
    return (instant - _EPOCH) // _MICROSECOND


def bound_us(value: Timepoint | None, name: str) -> int | None:
    """A ``since``/``until`` argument as microseconds (``ValueError`` if it is not one)."""
    return None if value is None else to_us(to_instant(value, name))


def second_of(us: int) -> int:
    """The whole epoch second (rounded down) of a microsecond timestamp: the cursor unit."""
    return us // _US_PER_SECOND


def to_row(record: CountRecord, tiebreak: int) -> Row:
    """The ``records`` row of ``record``."""
    return (
        record.segment_id,
        record.run_id,
        to_us(record.recorded_at),
        tiebreak,
        record.result_count,
        record.active_result_count,
        record.segment_hash,
        record.updating_run_id,
        # Key order kept (the CLI's JSON output prints it as sent); non-ASCII as is.
        json.dumps(dict(record.extra), ensure_ascii=False) if record.extra else None,
    )


def from_row(row: Row) -> CountRecord:
    """The ``CountRecord`` a row holds (equal to the one it was made from)."""
    (
        segment_id,
        run_id,
        recorded_us,
        _tiebreak,
        result_count,
        active,
        segment_hash,
        updating,
        extra,
    ) = row
    return CountRecord(
        segment_id=segment_id,
        recorded_at=_EPOCH + dt.timedelta(microseconds=recorded_us),
        epoch=second_of(recorded_us),
        result_count=result_count,
        active_result_count=active,
        segment_hash=segment_hash,
        run_id=run_id,
        updating_run_id=updating,
        extra=extra_mapping(json.loads(extra) if extra is not None else {}),
    )


def from_us(us: int) -> dt.datetime:
    """The aware UTC datetime of a microsecond timestamp."""
    return _EPOCH + dt.timedelta(microseconds=us)
