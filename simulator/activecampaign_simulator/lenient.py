"""The ``lenient`` profile's readings of what the API document leaves open.

The document says what a valid request gets; it is silent on ids it does not know, on
cursors that are not whole numbers and on whether ``+`` in a query means a space. The
``strict`` profile refuses in each case; this one accepts, as a PHP service might:

- every id is a segment. A numeric id the data set does not hold is "unknown" and has
  no records: it answers 200 with ``data: []``, never 404. Every other id string
  (unicode, ``%``, spaces, dots...) has a history derived from the id itself
  (deterministic, so a page and the next agree);
- a cursor is read like PHP's ``(int)`` cast: leading spaces, an optional sign and the
  leading digits; no digits reads as 0; beyond 64 bits it is clamped;
- ``segmentIds`` is percent-decoded without turning ``+`` into a space.
"""

from __future__ import annotations

import functools
import hashlib
import re
from urllib.parse import unquote

from activecampaign_simulator.dataset import Row, SegmentSpec, generate_rows

_INT64_MAX = 2**63 - 1
_LEADING_INT = re.compile(r"[ \t\n\r\v\f]*([+-]?[0-9]+)")
_MAX_DERIVED = 120
"""The most records a derived history holds: enough for two full pages and a part."""


def php_int(raw: str) -> int:
    """``raw`` read as PHP's ``(int)`` cast: leading digits, 0 without any, clamped to int64."""
    match = _LEADING_INT.match(raw)
    if match is None:
        return 0
    return max(-_INT64_MAX - 1, min(_INT64_MAX, int(match.group(1))))


def _digest(seed: int, segment_id: str) -> int:
    return int.from_bytes(hashlib.sha256(f"lenient:{seed}:{segment_id}".encode()).digest()[:8])


@functools.lru_cache(maxsize=4096)
def derived_rows(seed: int, segment_id: str) -> tuple[Row, ...]:
    """The history of an id the data set does not hold, newest first (none for a numeric id)."""
    if segment_id.isascii() and segment_id.isdigit():
        return ()
    count = 1 + _digest(seed, segment_id) % _MAX_DERIVED
    spec = SegmentSpec(segment_id, count, same_second_rate=0.03)
    return tuple(generate_rows(seed, spec))


def page_of(rows: tuple[Row, ...], before: int | None, limit: int, inclusive: bool) -> list[Row]:
    """Up to ``limit`` of ``rows`` (newest first) strictly before epoch second ``before``."""
    if before is None:
        return list(rows[:limit])
    bound = (before + inclusive) * 1000
    return [row for row in rows if row[1] < bound][:limit]


def segment_ids_from_query(raw_query: bytes) -> list[str]:
    """Every ``segmentIds`` value of a raw query string, ``+`` kept as a plus."""
    values: list[str] = []
    for pair in raw_query.decode("latin-1").split("&"):
        name, _, value = pair.partition("=")
        if unquote(name, errors="replace") == "segmentIds":
            values.append(unquote(value, errors="replace"))
    return values
