"""A dlt source: segment count history, loaded incrementally into any dlt destination.

``count_history_source(segment_ids)`` gives two resources:

``count_history``
    One row per count record (the fields of ``CountRecord``), merged on ``run_id``.
    Batch-first: the batch form's answer (the newest record of every segment, one
    request per 100 ids, shared with ``latest_counts``) shows which segments have
    counts newer than the last loaded state; only those are walked, so a run with
    nothing new costs ⌈N/100⌉ requests. The state keeps, per segment, the newest
    loaded second and the ``run_id``\\ s loaded in it: the API's cursor is whole
    seconds, so a count recorded later in that same second is still new. A walk
    therefore re-reads that second (``since`` = the newest loaded second, inclusive),
    skips the ``run_id``\\ s it holds, and loads the rest; the merge on ``run_id`` is the
    second safety net. A segment with no state (new in the list) gets its whole
    history; one the batch form leaves out (unknown, forbidden, no count yet) is
    walked, so the per-segment form raises its error.
``latest_counts``
    The newest record of each segment (the same batch answer), merged on
    ``segment_id``.

Failures are the client's typed errors (``NotFoundError``, ``PermissionDeniedError``,
...). dlt wraps them in ``PipelineStepFailed``; the run loads nothing and commits no
state, so the next run starts from the last good state of every segment.

Settings are read the dlt way when not passed: ``base_url`` and ``api_token`` from
``[sources.activecampaign_segments]`` in ``.dlt/secrets.toml`` or from
``SOURCES__ACTIVECAMPAIGN_SEGMENTS__BASE_URL`` / ``..._API_TOKEN``.

This module is the ``dlt`` extra: it imports dlt, so nothing else in the package
imports it.
"""

from __future__ import annotations

import datetime as dt
import threading
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

import attrs

from ._errors import ActiveCampaignError
from ._extras import require
from ._records import CountRecord
from .client import SegmentsClient

require("dlt", "activecampaign_segments.dlt_source")  # one line naming the pip install

import dlt  # noqa: E402 - after the check, so a missing extra is not a bare ImportError
from dlt.common.schema.typing import TColumnSchema, TTableSchemaColumns  # noqa: E402
from dlt.extract.resource import DltResource  # noqa: E402

__all__ = [
    "SOURCE_NAME",
    "count_history_source",
    "record_columns",
    "record_row",
]

SOURCE_NAME: Final = "activecampaign_segments"
"""The source's name and config section: ``[sources.activecampaign_segments]``."""

HISTORY_RESOURCE: Final = "count_history"
LATEST_RESOURCE: Final = "latest_counts"

_STATE_KEY: Final = "segments"
# The types a CountRecord field can have, and the dlt column type each loads as.
# Anything else gets no type hint and is left to dlt's inference.
_SCALAR_TYPES: Final[dict[type, str]] = {
    bool: "bool",
    int: "bigint",
    float: "double",
    str: "text",
    dt.datetime: "timestamp",
    dt.date: "date",
}
_JSON_ORIGINS: Final = (Mapping, dict, list, tuple, Sequence)


def _column_type(annotation: object) -> str | None:
    """The dlt data type of a resolved annotation (``X | None`` as ``X``), if known."""
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) != 1:
            return None
        annotation = args[0]
        origin = typing.get_origin(annotation)
    base = origin if origin is not None else annotation
    if isinstance(base, type):
        if base in _SCALAR_TYPES:  # exact: a datetime is a date, a bool an int
            return _SCALAR_TYPES[base]
        if not issubclass(base, str | bytes) and issubclass(base, _JSON_ORIGINS):
            return "json"
    return None


def _string_column_type(annotation: str) -> str | None:
    """The same from an annotation that could not be resolved (a name under TYPE_CHECKING)."""
    if any(word in annotation for word in ("Mapping", "dict", "Dict", "list", "Sequence")):
        return "json"
    return None


def record_columns(record_type: type[Any] = CountRecord) -> TTableSchemaColumns:
    """dlt column hints for rows of an attrs record class, from its fields' types.

    Built from ``attrs.fields`` so a field added to ``CountRecord`` becomes a column
    with no change here: a mapping (``extra``) is a ``json`` column rather than being
    split by dlt into a child table, a datetime a (UTC) ``timestamp``.

    Every column is nullable, whatever the field's type: a field added to the record
    later becomes a column added to a table that already has rows, which have no value
    for it (a ``NOT NULL`` column could not be added to it).

    Args:
        record_type: an attrs class; ``CountRecord`` by default.

    Returns:
        The column hints, keyed by field name, in field order.
    """
    try:
        hints: dict[str, Any] = typing.get_type_hints(record_type)
    except Exception:  # a name that cannot be resolved: fall back to the strings
        hints = {}
    columns: TTableSchemaColumns = {}
    for field in attrs.fields(record_type):
        annotation = hints.get(field.name, field.type)
        if isinstance(annotation, str):
            data_type = _string_column_type(annotation)
        else:
            data_type = _column_type(annotation)
        column: TColumnSchema = {"name": field.name, "nullable": True}
        if data_type is not None:
            column["data_type"] = data_type  # type: ignore[typeddict-item]
        columns[field.name] = column
    return columns


def _keyed_columns(key: str) -> TTableSchemaColumns:
    """CountRecord's columns, the primary key ``NOT NULL`` (it is there from the start)."""
    columns = record_columns()
    columns[key] = {**columns[key], "nullable": False}
    return columns


def _plain(value: Any) -> Any:
    """A mapping (possibly read-only, possibly nested) as plain dicts and lists for JSON."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def record_row(record: Any) -> dict[str, Any]:
    """One row: every attrs field of ``record`` by name, mappings as plain dicts.

    Args:
        record: a ``CountRecord`` (or any attrs instance).

    Returns:
        A dict ready for dlt (datetimes stay aware UTC datetimes).
    """
    return {field.name: _plain(getattr(record, field.name)) for field in attrs.fields(type(record))}


def _segment_ids(segment_ids: object) -> list[str]:
    """Check the ids now, before any request: one clear ``ValueError`` for bad input."""
    if isinstance(segment_ids, str | bytes) or not isinstance(segment_ids, Iterable):
        raise ValueError(
            f"segment_ids must be a list of segment ids (strings), got {segment_ids!r}"
        )
    unique: dict[str, None] = {}
    for segment_id in segment_ids:
        if not isinstance(segment_id, str) or not segment_id.strip():
            raise ValueError(f"a segment id must be a non-empty string, got {segment_id!r}")
        if "," in segment_id:
            # latest_counts sends the ids comma-separated: such an id cannot be asked for.
            raise ValueError(f"a segment id cannot contain a comma: {segment_id!r}")
        unique[segment_id] = None
    return list(unique)


@attrs.define
class _SegmentProgress:
    """What has been loaded of one segment: its newest second and the run_ids in it."""

    newest_epoch: int | None = None
    newest_run_ids: set[str] = attrs.field(factory=set)

    @classmethod
    def from_state(cls, saved: Any) -> _SegmentProgress:
        if not isinstance(saved, Mapping) or not isinstance(saved.get("newest_epoch"), int):
            return cls()  # no state (a new segment): its whole history
        return cls(saved["newest_epoch"], set(saved.get("newest_run_ids", ())))

    def to_state(self) -> dict[str, Any]:
        return {"newest_epoch": self.newest_epoch, "newest_run_ids": sorted(self.newest_run_ids)}

    def is_loaded(self, record: CountRecord) -> bool:
        return record.epoch == self.newest_epoch and record.run_id in self.newest_run_ids

    def holds_newest(self, newest: CountRecord) -> bool:
        """Whether nothing newer than ``newest`` (the server's newest record) is unloaded.

        True when ``newest`` is loaded, or older than the newest loaded second (the
        server dropped what was newer; a count recorded that late is not looked for).
        """
        if self.newest_epoch is None:
            return False
        return newest.epoch < self.newest_epoch or self.is_loaded(newest)

    def add(self, record: CountRecord) -> None:
        if self.newest_epoch is None or record.epoch > self.newest_epoch:
            self.newest_epoch = record.epoch
            self.newest_run_ids = {record.run_id}
        elif record.epoch == self.newest_epoch:
            self.newest_run_ids.add(record.run_id)


class _LatestOnce:
    """The batch form's answer for one run, fetched once and shared by both resources."""

    def __init__(self, segment_ids: list[str]) -> None:
        self._ids = segment_ids
        self._lock = threading.Lock()
        self._answer: dict[str, CountRecord] | None = None

    def get(self, client: SegmentsClient) -> dict[str, CountRecord]:
        """The newest record of each segment the server shows (one request per 100 ids)."""
        with self._lock:
            if self._answer is None:
                self._answer = client.latest_counts(self._ids)
            return self._answer


def _history_rows(
    make_client: Callable[[], SegmentsClient], segment_ids: list[str], latest: _LatestOnce
) -> Iterator[list[dict[str, Any]]]:
    """The new records of each segment, one list of rows per page; state per segment."""
    saved: dict[str, Any] = dlt.current.resource_state(HISTORY_RESOURCE).setdefault(_STATE_KEY, {})
    with make_client() as client:
        newest = latest.get(client)
        for segment_id in segment_ids:
            before = _SegmentProgress.from_state(saved.get(segment_id))
            if segment_id in newest and before.holds_newest(newest[segment_id]):
                continue  # nothing new: no request
            after = _SegmentProgress(before.newest_epoch, set(before.newest_run_ids))
            # `since` is inclusive: the newest loaded second is read again, for counts
            # recorded in it after the last run; the ones already loaded are skipped.
            pages = client.count_history_pages(segment_id, since=before.newest_epoch)
            try:
                for page in pages:
                    fresh = [record for record in page.records if not before.is_loaded(record)]
                    for record in fresh:
                        after.add(record)
                    if fresh:
                        yield [record_row(record) for record in fresh]
            except ActiveCampaignError as exc:
                # The client's message shows the id URL-encoded; name it as given.
                exc.add_note(f"while loading the count history of segment {segment_id!r}")
                raise
            # Saved only once the walk is complete: it is newest first, so a newest
            # second saved mid-walk would, if that state were ever committed, make the
            # next run skip the older records not yet loaded.
            if after.newest_epoch is not None:
                saved[segment_id] = after.to_state()


def _latest_rows(
    make_client: Callable[[], SegmentsClient], segment_ids: list[str], latest: _LatestOnce
) -> Iterator[list[dict[str, Any]]]:
    """The newest record of each segment the server knows (the run's one batch answer)."""
    with make_client() as client:
        answer = latest.get(client)
    rows = [record_row(answer[segment_id]) for segment_id in segment_ids if segment_id in answer]
    if rows:
        yield rows


@dlt.source(name=SOURCE_NAME, section=SOURCE_NAME)
def count_history_source(
    segment_ids: Sequence[str],
    *,
    base_url: str = dlt.secrets.value,
    api_token: str = dlt.secrets.value,
    requests_per_second: float | None = 5.0,
) -> list[DltResource]:
    """Count history of ActiveCampaign segments, as a dlt source.

    Args:
        segment_ids: the segments to load (strings; duplicates are ignored). A segment
            added later gets its whole history on its first run.
        base_url: the account's API URL; else ``base_url`` in
            ``[sources.activecampaign_segments]`` (``secrets.toml``) or
            ``SOURCES__ACTIVECAMPAIGN_SEGMENTS__BASE_URL``.
        api_token: the API token; else ``api_token`` there or
            ``SOURCES__ACTIVECAMPAIGN_SEGMENTS__API_TOKEN``.
        requests_per_second: the client's rate limit (``None``: off); configurable
            the same way.

    Returns:
        The resources ``count_history`` (merged on ``run_id``, incremental per segment)
        and ``latest_counts`` (merged on ``segment_id``).

    Raises:
        ValueError: bad segment ids or settings (before any request).
        dlt.common.configuration.exceptions.ConfigFieldMissingException: ``base_url``
            or ``api_token`` neither passed nor configured.
    """
    ids = _segment_ids(segment_ids)

    def make_client() -> SegmentsClient:
        return SegmentsClient(base_url, api_token, requests_per_second=requests_per_second)

    make_client().close()  # checks the settings now: a ValueError here, not mid-run
    latest_once = _LatestOnce(ids)
    history = dlt.resource(
        _history_rows(make_client, ids, latest_once),
        name=HISTORY_RESOURCE,
        primary_key="run_id",
        write_disposition="merge",
        columns=_keyed_columns("run_id"),
    )
    latest = dlt.resource(
        _latest_rows(make_client, ids, latest_once),
        name=LATEST_RESOURCE,
        primary_key="segment_id",
        write_disposition="merge",
        columns=_keyed_columns("segment_id"),
    )
    return [history, latest]
