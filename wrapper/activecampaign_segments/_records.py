"""The wrapper's own record types, and the one conversion from the generated models.

This is the only module that knows the generated model classes: regenerating the
client may rename or reshape them, and then only this file changes, never user code.

The generated ``from_dict`` methods are the parsing boundary (they decide the field
names and parse the ISO timestamps), but they check no types and fail with bare
``KeyError``/``TypeError``/``ValueError`` on bodies that break the spec. So every
failure here becomes a ``ResponseValidationError`` naming the field, and the typed
values are checked before they reach a ``CountRecord``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Final

from activecampaign_segments_api.models.segment_count_history_response_root_do import (
    SegmentCountHistoryResponseRootDO,
)
from activecampaign_segments_api.types import UNSET, Unset
from attrs import frozen

from ._errors import ResponseValidationError, Secret, redact

__all__ = ["CountPage", "CountRecord", "parse_count_history"]

UTC: Final = dt.UTC
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=UTC)
_RECORD_TYPE: Final = "SegmentCountHistory"
# The attributes the spec marks as required, in the order they are checked when a
# body fails to parse (only used to name the field in the error message).
_REQUIRED: Final = ("timestamp", "segment_id", "segment_hash", "run_id", "result_count")


@frozen
class CountRecord:
    """One evaluation of a segment: how many contacts matched, and when.

    Attributes:
        segment_id: the segment's id, as the server sent it.
        recorded_at: when the count was recorded (timezone-aware, UTC, millisecond precision).
        epoch: ``recorded_at`` in whole epoch seconds (rounded down): the unit of the cursor.
        result_count: the number of matching contacts.
        active_result_count: the matching contacts subscribed to at least one list, if sent.
        segment_hash: a hash of the segment's logic; it changes when the segment is edited.
        run_id: the id of the evaluation request, unique per record.
        updating_run_id: the run a count update is waiting on, if one is in progress.
    """

    segment_id: str
    recorded_at: dt.datetime
    epoch: int
    result_count: int
    active_result_count: int | None
    segment_hash: str
    run_id: str
    updating_run_id: str | None


@frozen
class CountPage:
    """One page of count history.

    Attributes:
        records: the page's records, newest first.
        next_before: the ``before`` cursor (epoch seconds) to pass to get the next page,
            or ``None`` when this was the last page. Resuming from it never loses a
            record; it may repeat records of that boundary second only.
    """

    records: list[CountRecord]
    next_before: int | None


def parse_count_history(content: bytes, *, secret: Secret | None = None) -> list[CountRecord]:
    """Parse the body of a 200 count-history response into records, in the order sent.

    ``secret`` (the API token) is redacted from error messages, which quote short
    strings of the body: a server may echo anything.

    Raises:
        ResponseValidationError: the body is not JSON or does not match the spec.
    """
    try:
        return _parse(content)
    except ResponseValidationError as exc:
        problem = redact(exc.problem, secret)
        if problem != exc.problem:
            raise ResponseValidationError(exc.field, problem) from None
        raise


def _parse(content: bytes) -> list[CountRecord]:
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested absurdly deep
        raise ResponseValidationError("body", "not valid JSON") from None
    if not isinstance(body, dict):
        raise ResponseValidationError("body", f"expected a JSON object, got {_kind(body)}")
    if "data" not in body:
        # Required by the effective spec (the overlay): a 200 without it answers
        # nothing, and reading it as "no records" would silently end a walk early.
        raise ResponseValidationError("data", "missing")
    if not isinstance(body["data"], list):
        raise ResponseValidationError("data", f"expected a list, got {_kind(body['data'])}")
    try:
        root = SegmentCountHistoryResponseRootDO.from_dict(body)
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
        raise _diagnose(body, exc) from None
    return [_record(index, item) for index, item in enumerate(root.data)]


def _record(index: int, item: Any) -> CountRecord:
    # The hot path (once per record): one combined test of every check below for the
    # common well-formed record, with no per-field calls or f-strings. Anything it does
    # not accept outright, including every bad record, goes through `_checked_record`,
    # which makes the same checks one field at a time and names the first bad one; so
    # the fast path changes no result and no error, only the cost.
    attrs = item.attributes
    recorded_at = attrs.timestamp
    segment_id = attrs.segment_id
    result_count = attrs.result_count
    active = attrs.active_result_count
    updating = attrs.count_updating_with_runid
    if (
        recorded_at.tzinfo is UTC
        and type(item.id) is str
        and type(segment_id) is str
        and type(result_count) is int
        and result_count >= 0
        and (active is None or active is UNSET or (type(active) is int and active >= 0))
        and type(attrs.segment_hash) is str
        and type(attrs.run_id) is str
        and (updating is None or updating is UNSET or type(updating) is str)
    ):
        # Positional, in the field order of CountRecord: a keyword call to a class
        # builds a kwargs dict, a third of the record's cost.
        return CountRecord(
            segment_id,
            recorded_at,
            _epoch(recorded_at),
            result_count,
            active if type(active) is int else None,  # active_result_count
            attrs.segment_hash,
            attrs.run_id,
            updating if type(updating) is str else None,  # updating_run_id
        )
    return _checked_record(index, item)


def _checked_record(index: int, item: Any) -> CountRecord:
    # `id` is not used (the cursor comes from the timestamp) but is typed by the spec.
    _string(item.id, f"data[{index}].id")
    where = f"data[{index}].attributes"
    attrs = item.attributes
    recorded_at = attrs.timestamp
    if recorded_at.tzinfo is None or recorded_at.utcoffset() is None:
        raise ResponseValidationError(f"{where}.timestamp", "no UTC offset")
    if recorded_at.tzinfo is not UTC:
        try:
            recorded_at = recorded_at.astimezone(UTC)
        except OverflowError:  # e.g. 9999-12-31T23:00:00-05:00
            raise ResponseValidationError(f"{where}.timestamp", "out of range") from None
    return CountRecord(
        segment_id=_string(attrs.segment_id, f"{where}.segment_id"),
        recorded_at=recorded_at,
        epoch=_epoch(recorded_at),
        result_count=_count(attrs.result_count, f"{where}.result_count"),
        active_result_count=_optional_count(
            attrs.active_result_count, f"{where}.active_result_count"
        ),
        segment_hash=_string(attrs.segment_hash, f"{where}.segment_hash"),
        run_id=_string(attrs.run_id, f"{where}.run_id"),
        updating_run_id=_optional_string(
            attrs.count_updating_with_runid, f"{where}.count_updating_with_runid"
        ),
    )


def _epoch(recorded_at: dt.datetime) -> int:
    # Whole seconds since the epoch, rounded down, exactly: a timedelta keeps
    # 0 <= seconds < 86400 and a non-negative microsecond part, so days * 86400 + seconds
    # is the floor even before 1970 (and about twice as fast as `delta // timedelta(1 s)`).
    since = recorded_at - _EPOCH
    return since.days * 86400 + since.seconds


def _string(value: Any, where: str) -> str:
    if type(value) is not str:
        raise ResponseValidationError(where, f"expected a string, got {_kind(value)}")
    return value


def _optional_string(value: Any, where: str) -> str | None:
    # An optional field may be absent or (leniently) null; both mean "not sent".
    if value is None or isinstance(value, Unset):
        return None
    return _string(value, where)


def _count(value: Any, where: str) -> int:
    # The spec says "integer, minimum 0"; JSON Schema counts 7.0 as an integer, so 7 and
    # 7.0 are accepted; 7.5, -1, NaN, true and "7" are not.
    if type(value) is float and value.is_integer():
        value = int(value)
    if type(value) is not int:
        raise ResponseValidationError(where, f"expected a whole number, got {_kind(value)}")
    if value < 0:
        raise ResponseValidationError(where, f"expected a count (>= 0), got {value!r}")
    return value


def _optional_count(value: Any, where: str) -> int | None:
    if value is None or isinstance(value, Unset):
        return None
    return _count(value, where)


def _kind(value: Any) -> str:
    if isinstance(value, bool | int | float):
        return f"{type(value).__name__} {value!r}"
    if isinstance(value, str):
        # Short strings are quoted in full (so redaction of a token can find them),
        # long ones only measured.
        return f"string {value!r}" if len(value) <= 40 else f"a string of {len(value)} characters"
    return {dict: "an object", list: "a list", type(None): "null"}.get(type(value), "a value")


def _diagnose(body: dict[str, Any], exc: Exception) -> ResponseValidationError:
    """Name the field that made the generated ``from_dict`` fail (only on the error path)."""
    for index, item in enumerate(body["data"]):
        where = f"data[{index}]"
        if not isinstance(item, dict):
            return ResponseValidationError(where, f"expected an object, got {_kind(item)}")
        if "type" in item and item["type"] != _RECORD_TYPE:
            return ResponseValidationError(
                f"{where}.type", f"expected {_RECORD_TYPE!r}, got {_kind(item['type'])}"
            )
        for name in ("id", "type", "attributes"):
            if name not in item:
                return ResponseValidationError(f"{where}.{name}", "missing")
        attrs = item["attributes"]
        if not isinstance(attrs, dict):
            return ResponseValidationError(
                f"{where}.attributes", f"expected an object, got {_kind(attrs)}"
            )
        for name in _REQUIRED:
            if name not in attrs:
                return ResponseValidationError(f"{where}.attributes.{name}", "missing")
        stamp = attrs["timestamp"]
        try:
            dt.datetime.fromisoformat(stamp)
        except (TypeError, ValueError):
            return ResponseValidationError(
                f"{where}.attributes.timestamp", f"not an ISO 8601 date-time: {_kind(stamp)}"
            )
    errors = body.get("errors", [])
    if not isinstance(errors, list) or not all(isinstance(e, dict) for e in errors):
        return ResponseValidationError("errors", "expected a list of objects")
    for index, error in enumerate(errors):
        if "source" in error and not isinstance(error["source"], dict):
            return ResponseValidationError(f"errors[{index}].source", "expected an object")
    return ResponseValidationError("body", f"{type(exc).__name__}: {exc}")
