"""The API semantics the OpenAPI document cannot express, as plain functions over parsed bodies.

Each rule takes the decoded JSON body of a 200 answer (plus what was asked) and returns a list of
problems, each a sentence a person can act on; an empty list means the rule holds. No Schemathesis
and no I/O here, so the rules are unit-tested directly and shared by the pytest suite, the
Schemathesis CLI (through `tests.contract.checks`) and the mutation tests.

A body that does not have the documented shape (no `data` list, records that are not objects, ...)
yields no problems here: that is the response-schema check's job, and reporting it twice would
only bury the real message.
"""

from __future__ import annotations

import calendar
from datetime import datetime
from typing import Any

PAGE_SIZE = 50
"""ActiveCampaign answers at most 50 count-history records per request."""


def records_of(body: Any) -> list[dict[str, Any]] | None:
    """The records of a count-history body, or None when the body does not have that shape."""
    if not isinstance(body, dict):
        return None
    data = body.get("data")
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        return None
    return data


def attributes_of(record: dict[str, Any]) -> dict[str, Any]:
    """The `attributes` object of a record (empty when missing or not an object)."""
    attributes = record.get("attributes")
    return attributes if isinstance(attributes, dict) else {}


def parse_timestamp(value: Any) -> datetime | None:
    """An aware datetime from an ISO 8601 `timestamp` attribute, or None if it is not one.

    A timestamp without a UTC offset is not accepted: the epoch second it names would depend on
    the reader's time zone, so `id` could not be compared with it.
    """
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def epoch_of(moment: datetime) -> int:
    """Whole epoch seconds of an aware datetime (floor, so 12:00:00.999 is the second 12:00:00)."""
    return calendar.timegm(moment.utctimetuple())


def page_size_problems(records: list[dict[str, Any]]) -> list[str]:
    """At most 50 records per answer."""
    if len(records) <= PAGE_SIZE:
        return []
    return [
        f"the answer holds {len(records)} records; the API returns at most {PAGE_SIZE} per "
        "request (older records belong on the next page, fetched with the last record's epoch "
        "second as the cursor)"
    ]


def ordering_problems(records: list[dict[str, Any]]) -> list[str]:
    """Newest first: each record's timestamp is not later than the one before it."""
    problems: list[str] = []
    previous: datetime | None = None
    for index, record in enumerate(records):
        current = parse_timestamp(attributes_of(record).get("timestamp"))
        if current is None:
            continue
        if previous is not None and current > previous:
            problems.append(
                f"records are not newest first: record {index} ({current.isoformat()}) is later "
                f"than record {index - 1} ({previous.isoformat()}); pagination by the last "
                "record's timestamp would skip or repeat records"
            )
            break
        previous = current
    return problems


def cursor_problems(records: list[dict[str, Any]], cursor: int) -> list[str]:
    """With a `timestamp` cursor, every record is strictly older than that epoch second."""
    for index, record in enumerate(records):
        moment = parse_timestamp(attributes_of(record).get("timestamp"))
        if moment is not None and epoch_of(moment) >= cursor:
            return [
                f"record {index} was recorded at epoch second {epoch_of(moment)} "
                f"({moment.isoformat()}), not strictly before the cursor {cursor}; the cursor "
                "must be exclusive, or a client paging by it sees that second's records twice"
            ]
    return []


def id_problems(records: list[dict[str, Any]]) -> list[str]:
    """Each record's `id` is the epoch seconds of its `attributes.timestamp`, as a string."""
    for index, record in enumerate(records):
        raw = attributes_of(record).get("timestamp")
        moment = parse_timestamp(raw)
        if moment is None:
            return [
                f"record {index} has timestamp {raw!r}, which is not an ISO 8601 date-time with "
                "a UTC offset, so its epoch second (the paging cursor) cannot be derived"
            ]
        expected = str(epoch_of(moment))
        if "id" in record and str(record["id"]) != expected:
            return [
                f"record {index} has id {record['id']!r} but its timestamp {raw} is epoch second "
                f"{expected}; `id` must be the epoch seconds of `attributes.timestamp`"
            ]
    return []


def segment_problems(records: list[dict[str, Any]], segment_id: str) -> list[str]:
    """A segment's history holds only that segment's records."""
    for index, record in enumerate(records):
        found = attributes_of(record).get("segment_id")
        if found is not None and str(found) != segment_id:
            return [
                f"record {index} belongs to segment {found!r}, but the history of segment "
                f"{segment_id!r} was requested"
            ]
    return []


def batch_problems(records: list[dict[str, Any]], requested: list[str]) -> list[str]:
    """The batch form: at most one record per requested id, and only requested ids."""
    wanted = set(requested)
    seen: set[str] = set()
    problems: list[str] = []
    for index, record in enumerate(records):
        found = attributes_of(record).get("segment_id")
        if found is None:
            continue
        segment = str(found)
        if segment not in wanted:
            problems.append(
                f"record {index} is for segment {segment!r}, which was not requested "
                f"(segmentIds={','.join(requested)})"
            )
        elif segment in seen:
            problems.append(
                f"segment {segment!r} appears more than once; the batch form returns only the "
                "most recent record of each requested segment"
            )
        seen.add(segment)
    return problems


def parse_cursor(value: Any) -> int | None:
    """The `timestamp` path parameter as an int, or None when it is not a whole number.

    Negative-phase requests send non-numbers; those are not cursors and the server must reject
    them, which the built-in checks judge.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None
