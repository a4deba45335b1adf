"""The wrapper's own record types, and the one conversion from the generated models.

This is the only module that knows the generated model classes: regenerating the
client may rename or reshape them, and then only this file changes, never user code.

The typed boundary: ``_GeneratedRoot``, ``_GeneratedRecord`` and ``_GeneratedAttributes``
say exactly what this module reads from the generated models, and the generated objects
are assigned to them where they are read. After a regeneration, ``mypy --strict`` (``make
lint``) compares the two, so a renamed, removed or retyped attribute fails the type check
with a note naming it (``... is missing following "_GeneratedAttributes" protocol member:
active_result_count``; ``segment_id: expected "str", got "int"``), before any code runs.

At run time the generated ``from_dict`` methods are the parsing boundary (they decide the
field names and parse the ISO timestamps), but they check no types and fail with bare
``KeyError``/``TypeError``/``ValueError`` on bodies that break the spec. So every failure
here, whatever the generated models raise or lack (``AttributeError`` included), becomes a
``ResponseValidationError`` naming the field, and the typed values are checked before they
reach a ``CountRecord``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Final, NoReturn, Protocol

from activecampaign_segments_api.models.segment_count_history_attribute_do import (
    SegmentCountHistoryAttributeDO,
)
from activecampaign_segments_api.models.segment_count_history_data_do import (
    SegmentCountHistoryDataDO,
)
from activecampaign_segments_api.models.segment_count_history_response_root_do import (
    SegmentCountHistoryResponseRootDO,
)
from activecampaign_segments_api.types import UNSET, Unset
from attrs import field, frozen

from ._errors import ResponseValidationError, Secret, redact

__all__ = ["CountPage", "CountRecord", "extra_mapping", "parse_count_history"]

UTC: Final = dt.UTC
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=UTC)
_RECORD_TYPE: Final = "SegmentCountHistory"
# The attributes the spec marks as required, in the order they are checked when a
# body fails to parse (only used to name the field in the error message).
_REQUIRED: Final = ("timestamp", "segment_id", "segment_hash", "run_id", "result_count")
# Every attribute a CountRecord models; whatever else a record's attributes hold is `extra`.
_MODELLED: Final = frozenset(
    (*_REQUIRED, "active_result_count", "count_updating_with_runid"),
)


class _GeneratedAttributes(Protocol):
    """What this module reads from a record's generated attributes model.

    Read-only properties, so a narrower type in the generated model still fits (a
    ``float`` that became an ``int``), and anything else is a type error naming the member.
    """

    @property
    def timestamp(self) -> dt.datetime: ...
    @property
    def segment_id(self) -> str: ...
    @property
    def segment_hash(self) -> str: ...
    @property
    def run_id(self) -> str: ...
    @property
    def result_count(self) -> int: ...
    @property
    def active_result_count(self) -> int | Unset: ...
    @property
    def count_updating_with_runid(self) -> str | Unset: ...


class _GeneratedRecord(Protocol):
    """What this module reads from a generated record (its attributes: see above)."""

    @property
    def id(self) -> str: ...


class _GeneratedRoot(Protocol):
    """What this module reads from the generated body of a 200."""

    @property
    def data(self) -> Sequence[SegmentCountHistoryDataDO]: ...


class _Extra(Mapping[str, object]):
    """A read-only mapping of the attributes a record was sent beyond the modelled ones.

    Not a ``types.MappingProxyType``: that one cannot be pickled or deep-copied, and a
    ``CountRecord`` can. Equal to any mapping with the same items; unhashable, like the
    JSON values it holds (``CountRecord`` leaves it out of its hash).
    """

    __slots__ = ("_items",)

    def __init__(self, sent: Mapping[str, object]) -> None:
        self._items = {key: value for key, value in sent.items() if key not in _MODELLED}

    def __getitem__(self, key: str) -> object:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return repr(self._items)


_NO_EXTRA: Final = _Extra({})


def extra_mapping(values: Mapping[str, object]) -> Mapping[str, object]:
    """``values`` as a ``CountRecord.extra``: read-only, the modelled names left out.

    For code that rebuilds records from elsewhere (the history store reads them back).
    """
    return _Extra(values) if values else _NO_EXTRA


@frozen
class CountRecord:
    """One evaluation of a segment: how many contacts matched, and when.

    The promise: the modelled fields below are typed and stable (a change of
    ActiveCampaign's document that would change them fails this project's type check
    before a release, see ``make update-spec``); ``extra`` is whatever the server sent
    beyond them, so an attribute ActiveCampaign adds reaches you the day it appears.

    Attributes:
        segment_id: the segment's id, as the server sent it.
        recorded_at: when the count was recorded (timezone-aware, UTC, millisecond precision).
        epoch: ``recorded_at`` in whole epoch seconds (rounded down): the unit of the cursor.
        result_count: the number of matching contacts.
        active_result_count: the matching contacts subscribed to at least one list, if sent.
        segment_hash: a hash of the segment's logic; it changes when the segment is edited.
        run_id: the id of the evaluation request, unique per record.
        updating_run_id: the run a count update is waiting on, if one is in progress.
        extra: a read-only mapping of the record's attributes that the fields above do not
            model, name to value exactly as sent (JSON values: ``str``, ``int``, ``float``,
            ``bool``, ``None``, ``list``, ``dict``); empty when there are none. It takes part
            in ``==`` but not in ``hash()``.
    """

    segment_id: str
    recorded_at: dt.datetime
    epoch: int
    result_count: int
    active_result_count: int | None
    segment_hash: str
    run_id: str
    updating_run_id: str | None
    extra: Mapping[str, object] = field(default=_NO_EXTRA, hash=False)


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
    sent: object = body["data"]
    if not isinstance(sent, list):
        raise ResponseValidationError("data", f"expected a list, got {_kind(sent)}")
    try:
        root: _GeneratedRoot = SegmentCountHistoryResponseRootDO.from_dict(body)
        items = root.data
    except Exception as exc:  # the generated models check nothing: anything may come out
        raise _diagnose(body, exc) from None
    if len(items) != len(sent):
        raise ResponseValidationError("data", "the generated model lost or added records")
    try:
        return [_record(index, item, sent[index]) for index, item in enumerate(items)]
    except ResponseValidationError:
        raise
    except Exception:
        # The fast path read something the generated models lack or mistype (an attribute
        # gone after a regeneration, a property that raises): redo it field by field,
        # which names the field in a ResponseValidationError.
        return [_checked_record(index, item, sent[index]) for index, item in enumerate(items)]


def _record(index: int, item: SegmentCountHistoryDataDO, raw: object) -> CountRecord:
    # The hot path (once per record): one combined test of every check below for the
    # common well-formed record, with no per-field calls or f-strings. Anything it does
    # not accept outright, including every bad record, goes through `_checked_record`,
    # which makes the same checks one field at a time and names the first bad one; so
    # the fast path changes no result and no error, only the cost.
    generated: _GeneratedRecord = item  # the typed boundary (module docstring)
    attrs: _GeneratedAttributes = item.attributes
    recorded_at = attrs.timestamp
    segment_id = attrs.segment_id
    result_count = attrs.result_count
    # `object`: the generated model checks no types, and an optional field sent as null
    # arrives as None, which its declared type does not admit.
    active: object = attrs.active_result_count
    updating: object = attrs.count_updating_with_runid
    segment_hash = attrs.segment_hash
    run_id = attrs.run_id
    # The attributes as sent, for `extra` (the generated models keep only what the
    # generator knew of, and parse some of it).
    sent = raw.get("attributes") if type(raw) is dict else None
    if (
        type(sent) is dict
        and recorded_at.tzinfo is UTC
        and type(generated.id) is str
        and type(segment_id) is str
        and type(result_count) is int
        and result_count >= 0
        and (active is None or active is UNSET or (type(active) is int and active >= 0))
        and type(segment_hash) is str
        and type(run_id) is str
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
            segment_hash,
            run_id,
            updating if type(updating) is str else None,  # updating_run_id
            _NO_EXTRA if _MODELLED.issuperset(sent) else _Extra(sent),
        )
    return _checked_record(index, item, raw)


def _checked_record(index: int, item: SegmentCountHistoryDataDO, raw: object) -> CountRecord:
    where = f"data[{index}]"
    if not isinstance(raw, dict):  # the generated model reads a list of pairs as an object
        raise ResponseValidationError(where, f"expected an object, got {_kind(raw)}")
    sent = raw.get("attributes")
    if not isinstance(sent, dict):
        raise ResponseValidationError(
            f"{where}.attributes", f"expected an object, got {_kind(sent)}"
        )
    # Each field is read from the generated model inside `_Reading`, which turns whatever
    # the model raises instead (an attribute it lacks, a property that fails) into the
    # typed error naming that field.
    with _Reading(where, "id"):
        generated: _GeneratedRecord = item
        _string(generated.id, f"{where}.id")  # not used (the cursor is the timestamp)
    where = f"{where}.attributes"
    with _Reading(where, ""):
        attrs: _GeneratedAttributes = item.attributes
    with _Reading(where, "timestamp"):
        recorded_at = _timestamp(attrs.timestamp, f"{where}.timestamp")
    with _Reading(where, "segment_id"):
        segment_id = _string(attrs.segment_id, f"{where}.segment_id")
    with _Reading(where, "result_count"):
        result_count = _count(attrs.result_count, f"{where}.result_count")
    with _Reading(where, "active_result_count"):
        active = _optional_count(attrs.active_result_count, f"{where}.active_result_count")
    with _Reading(where, "segment_hash"):
        segment_hash = _string(attrs.segment_hash, f"{where}.segment_hash")
    with _Reading(where, "run_id"):
        run_id = _string(attrs.run_id, f"{where}.run_id")
    with _Reading(where, "count_updating_with_runid"):
        updating = _optional_string(
            attrs.count_updating_with_runid, f"{where}.count_updating_with_runid"
        )
    return CountRecord(
        segment_id=segment_id,
        recorded_at=recorded_at,
        epoch=_epoch(recorded_at),
        result_count=result_count,
        active_result_count=active,
        segment_hash=segment_hash,
        run_id=run_id,
        updating_run_id=updating,
        extra=_NO_EXTRA if _MODELLED.issuperset(sent) else _Extra(sent),
    )


class _Reading:
    """Turns anything but our own error raised while reading one field into one naming it."""

    __slots__ = ("_field",)

    def __init__(self, where: str, name: str) -> None:
        self._field = f"{where}.{name}" if name else where

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, _: object
    ) -> None:
        # Never swallows: lets our own error (and KeyboardInterrupt & co.) through as they
        # are, and raises the typed error instead of anything else.
        if isinstance(exc, Exception) and not isinstance(exc, ResponseValidationError):
            _unreadable(self._field, exc)


def _unreadable(where: str, exc: Exception) -> NoReturn:
    if isinstance(exc, AttributeError):
        problem = "the generated model has no such attribute; regenerate the client"
    else:
        problem = f"the generated model cannot read it ({type(exc).__name__}: {exc})"
    raise ResponseValidationError(where, problem) from None


def _timestamp(value: object, where: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise ResponseValidationError(where, f"expected a date-time, got {_kind(value)}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ResponseValidationError(where, "no UTC offset")
    if value.tzinfo is not UTC:
        try:
            return value.astimezone(UTC)
        except OverflowError:  # e.g. 9999-12-31T23:00:00-05:00
            raise ResponseValidationError(where, "out of range") from None
    return value


def _epoch(recorded_at: dt.datetime) -> int:
    # Whole seconds since the epoch, rounded down, exactly: a timedelta keeps
    # 0 <= seconds < 86400 and a non-negative microsecond part, so days * 86400 + seconds
    # is the floor even before 1970 (and about twice as fast as `delta // timedelta(1 s)`).
    since = recorded_at - _EPOCH
    return since.days * 86400 + since.seconds


def _string(value: object, where: str) -> str:
    if type(value) is not str:
        raise ResponseValidationError(where, f"expected a string, got {_kind(value)}")
    return value


def _optional_string(value: object, where: str) -> str | None:
    # An optional field may be absent or (leniently) null; both mean "not sent".
    if value is None or isinstance(value, Unset):
        return None
    return _string(value, where)


def _count(value: object, where: str) -> int:
    # The spec says "integer, minimum 0"; JSON Schema counts 7.0 as an integer, so 7 and
    # 7.0 are accepted; 7.5, -1, NaN, true and "7" are not.
    if type(value) is float and value.is_integer():
        value = int(value)
    if type(value) is not int:
        raise ResponseValidationError(where, f"expected a whole number, got {_kind(value)}")
    if value < 0:
        raise ResponseValidationError(where, f"expected a count (>= 0), got {value!r}")
    return value


def _optional_count(value: object, where: str) -> int | None:
    if value is None or isinstance(value, Unset):
        return None
    return _count(value, where)


def _kind(value: object) -> str:
    if isinstance(value, bool | int | float):
        return f"{type(value).__name__} {value!r}"
    if isinstance(value, str):
        # Short strings are quoted in full (so redaction of a token can find them),
        # long ones only measured.
        return f"string {value!r}" if len(value) <= 40 else f"a string of {len(value)} characters"
    return {dict: "an object", list: "a list", type(None): "null"}.get(type(value), "a value")


def _diagnose(body: dict[str, object], exc: Exception) -> ResponseValidationError:
    """Name the field that made the generated ``from_dict`` fail (only on the error path)."""
    data = body["data"]
    assert isinstance(data, list)  # checked before from_dict
    for index, item in enumerate(data):
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
        # A key the generated models require and this module does not know of (a newer
        # document than the wrapper was written for): ask them which, level by level.
        missing = _missing_key(SegmentCountHistoryAttributeDO.from_dict, attrs)
        if missing is not None:
            return ResponseValidationError(f"{where}.attributes.{missing}", "missing")
        missing = _missing_key(SegmentCountHistoryDataDO.from_dict, item)
        if missing is not None:
            return ResponseValidationError(f"{where}.{missing}", "missing")
    errors = body.get("errors", [])
    if not isinstance(errors, list) or not all(isinstance(e, dict) for e in errors):
        return ResponseValidationError("errors", "expected a list of objects")
    for index, error in enumerate(errors):
        if "source" in error and not isinstance(error["source"], dict):
            return ResponseValidationError(f"errors[{index}].source", "expected an object")
    missing = _missing_key(SegmentCountHistoryResponseRootDO.from_dict, body)
    if missing is not None:
        return ResponseValidationError(missing, "missing")
    return ResponseValidationError("body", f"{type(exc).__name__}: {exc}")


def _missing_key(
    parse: Callable[[Mapping[str, object]], object], value: Mapping[str, object]
) -> str | None:
    """The key whose absence makes a generated ``from_dict`` fail, if that is why it does."""
    try:
        parse(value)
    except KeyError as exc:
        return str(exc.args[0]) if exc.args else None
    except Exception:
        return None
    return None
