"""The API semantics the OpenAPI document cannot express, as plain functions over parsed bodies.

Each rule takes the records of a 200 answer plus what the server received (the decoded request,
see `received`) and returns a list of problems, each a sentence a person can act on; an empty
list means the rule holds. No Schemathesis and no I/O here, so the rules are unit- and
property-tested directly; `hooks` registers each as a Schemathesis check and `judge` runs them all
on one exchange.

A body that does not have the documented shape (no `data` list, records that are not objects, ...)
yields no problems here: that is the response-schema check's job, and reporting it twice would
only bury the real message.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from activecampaign_segments.contract.received import Received, received

HISTORY = "/api/3/segmentsV2/{segmentId}/count-history"
CURSOR = "/api/3/segmentsV2/{segmentId}/count-history/{timestamp}"
BATCH = "/api/3/segmentsV2/count-history"

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
    """A segment's history holds only that segment's records (``segment_id`` as received)."""
    for index, record in enumerate(records):
        found = attributes_of(record).get("segment_id")
        if found is not None and str(found) != segment_id:
            return [
                f"record {index} belongs to segment {found!r}, but the history of segment "
                f"{segment_id!r} was requested"
            ]
    return []


def batch_problems(records: list[dict[str, Any]], requested: set[str]) -> list[str]:
    """The batch form: at most one record per requested id, and only requested ids.

    ``requested`` holds every id the server may have read (every reading of every value).
    """
    seen: set[str] = set()
    problems: list[str] = []
    for index, record in enumerate(records):
        found = attributes_of(record).get("segment_id")
        if found is None:
            continue
        segment = str(found)
        if segment not in requested:
            problems.append(
                f"record {index} is for segment {segment!r}, which was not requested "
                f"(segmentIds read as any of {sorted(requested)!r})"
            )
        elif segment in seen:
            problems.append(
                f"segment {segment!r} appears more than once; the batch form returns only the "
                "most recent record of each requested segment"
            )
        seen.add(segment)
    return problems


def requested_ids(readings: frozenset[str]) -> set[str]:
    """Every id a server may have read from the ``segmentIds`` values sent."""
    return {segment for value in readings for segment in value.split(",") if segment}


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


RuleFunction = Callable[[list[dict[str, Any]], Received], list[str]]


@dataclass(frozen=True)
class Rule:
    """One semantic rule: its check name, the operations it judges and the function."""

    name: str
    paths: tuple[str, ...]
    function: RuleFunction
    description: str


def _cursor_rule(records: list[dict[str, Any]], request: Received) -> list[str]:
    cursor = parse_cursor(request.path.get("timestamp"))
    return [] if cursor is None else cursor_problems(records, cursor)


def _segment_rule(records: list[dict[str, Any]], request: Received) -> list[str]:
    segment_id = request.path.get("segmentId")
    return [] if segment_id is None else segment_problems(records, segment_id)


def _batch_rule(records: list[dict[str, Any]], request: Received) -> list[str]:
    readings = request.query_readings("segmentIds")
    return batch_problems(records, requested_ids(readings)) if readings else []


RULES: tuple[Rule, ...] = (
    Rule(
        "at_most_50_records",
        (HISTORY, CURSOR),
        lambda records, _request: page_size_problems(records),
        "A segment's count-history answer holds at most 50 records.",
    ),
    Rule(
        "newest_first",
        (HISTORY, CURSOR),
        lambda records, _request: ordering_problems(records),
        "A segment's records come newest first (the batch form's order is not specified).",
    ),
    Rule(
        "strictly_before_cursor",
        (CURSOR,),
        _cursor_rule,
        "With a `timestamp` cursor, every record is strictly older than that epoch second.",
    ),
    Rule(
        "id_is_epoch_of_timestamp",
        (HISTORY, CURSOR, BATCH),
        lambda records, _request: id_problems(records),
        "Each record's `id` is the epoch seconds of its `attributes.timestamp`.",
    ),
    Rule(
        "records_belong_to_segment",
        (HISTORY, CURSOR),
        _segment_rule,
        "A segment's history holds only records of the segment id the server received.",
    ),
    Rule(
        "batch_one_record_per_requested_id",
        (BATCH,),
        _batch_rule,
        "The batch form returns at most one record per requested id, and only requested ids.",
    ),
)
"""Every semantic rule, in the order they are reported."""


def judge(template: str, url: str, status: int, body: Any) -> dict[str, list[str]]:
    """Run every rule for operation ``template`` on one exchange: rule name -> its problems.

    Only a 200 with a count-history body whose request can be attributed to the operation is
    judged; anything else returns no problems (the schema and status checks judge it).

    Args:
        template: the operation's path template (one of HISTORY, CURSOR, BATCH).
        url: the request URL exactly as sent.
        status: the answer's HTTP status.
        body: the answer's decoded JSON body.

    Returns:
        The problems of each rule that found any (an empty dict when every rule holds).
    """
    records = records_of(body) if status == 200 else None
    request = received(url, template) if records is not None else None
    if records is None or request is None:
        return {}
    found: dict[str, list[str]] = {}
    for rule in RULES:
        if template in rule.paths:
            problems = rule.function(records, request)
            if problems:
                found[rule.name] = problems
    return found
