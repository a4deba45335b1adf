"""The simulator's settings: one frozen object, validated on construction.

Every knob of the simulator lives here so the app, the server's command line and
the CLI's ``ac-segments simulate`` build exactly the same thing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

#: Deliberate defects, each flipping exactly one behaviour, so the contract suite
#: can prove it notices. Never enable them outside the contract suite's own tests.
KNOWN_QUIRKS = frozenset(
    {
        "wrong_type",  # result_count serialised as a string
        "missing_required",  # attributes.run_id dropped
        "page_51",  # 51 records per page instead of 50
        "oldest_first",  # each page in ascending order
        "inclusive_cursor",  # records at the cursor's second included (<= instead of <)
        "batch_duplicates",  # the batch form returns two records for one id
        "id_mismatch",  # id is not the epoch seconds of attributes.timestamp
        # Defects only a comparison of several answers shows (the contract audit's):
        "short_pages",  # 40 records per page: the client stops after the first
        "skip_at_page_boundary",  # the timestamp form leaves out its answer's second record
        "cursor_off_by_one",  # the timestamp form also leaves out the second below the cursor
        "duplicate_run_id",  # records of one two-hour span share one run_id
        "unstable_run_id",  # the timestamp form answers other run_ids than the page form
        "batch_previous",  # the batch form answers each segment's previous record
        "batch_unasked_id",  # the batch form adds a segment that was not asked for
        "foreign_segment_id",  # the timestamp form labels records with another segment id
    }
)

#: How the simulator reads what the document leaves open. ``strict`` (the default)
#: refuses: unknown segments 404, only the data set's ids have history, a cursor that
#: is not a whole number in 0..2**63-1 is a 400. ``lenient`` conforms to the same
#: document but takes the other side wherever it is silent: an unknown numeric id
#: answers 200 with ``data: []``, every other id string has a deterministic history,
#: cursors are read like PHP's ``(int)`` cast (leading digits, clamped),
#: and ``+`` in the query is a literal plus. Both ignore unknown query parameters. The
#: contract suite runs against both, so it cannot be tuned to one of them.
PROFILES = ("strict", "lenient")

#: Upper bound on ordinary segments: their ids "1".."N" must stay clear of the
#: boundary segments' fixed ids (see dataset.py).
MAX_SEGMENTS = 100_000


def _fraction(_inst: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
        raise ValueError(f"{attribute.name} must be a fraction between 0 and 1, got {value!r}")


def _non_negative_finite(_inst: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise ValueError(f"{attribute.name} must be a finite number >= 0, got {value!r}")


def _quirks(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        # A bare string would otherwise become a set of its letters.
        value = [value]
    quirks = frozenset(value)
    unknown = quirks - KNOWN_QUIRKS
    if unknown:
        raise ValueError(
            f"unknown quirk(s) {sorted(unknown)}; known quirks: {sorted(KNOWN_QUIRKS)}"
        )
    return quirks


def _extra_segments(value: Mapping[str, int]) -> dict[str, int]:
    extra = dict(value)
    for segment_id, count in extra.items():
        if not isinstance(segment_id, str) or not segment_id:
            raise ValueError(f"extra segment ids must be non-empty strings, got {segment_id!r}")
        if "/" in segment_id or "," in segment_id:
            # "," would split in the batch form. "/" is routable (routes match the raw
            # path), but keeping it out means an id with "/" is always unknown: the
            # API's ids are numeric, and the fault suite relies on that.
            raise ValueError(f"extra segment id {segment_id!r} must not contain '/' or ','")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"extra segment {segment_id!r}: record count must be an int >= 0")
    return extra


def _count(limit: int) -> Any:
    def check(_inst: object, attribute: attrs.Attribute[Any], value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
            raise ValueError(f"{attribute.name} must be an integer in 0..{limit}, got {value!r}")

    return check


@attrs.frozen(kw_only=True, repr=False)
class SimulatorConfig:
    """Everything that shapes one simulator instance.

    Data: ``seed`` makes the data set deterministic; ``segments`` ordinary segments
    ``"1".."N"`` with ``history`` records each, plus the boundary segments of
    :mod:`activecampaign_simulator.dataset`, plus ``extra_segments`` (segment id ->
    record count, e.g. ``{"big": 200_000}`` for benchmarks).

    Behaviour: ``token`` is the only accepted ``Api-Token``; ``rps`` the per-account
    rate limit (0 = off); ``latency`` seconds added to each answer; ``error_rate``
    the fraction answered 503/520, ``throttle_rate`` the fraction answered 429 with
    ``Retry-After: 1`` whatever the bucket holds, ``malformed_rate`` the fraction of
    200s whose body is malformed; ``fault_seed`` seeds the fault dice (defaults to
    ``seed``). ``db_path`` stores the data in that SQLite file instead of memory.
    ``quirks`` are deliberate defects for the contract suite (:data:`KNOWN_QUIRKS`).
    ``profile`` picks how the document's silences are read (:data:`PROFILES`).
    """

    seed: int = attrs.field(default=0, validator=attrs.validators.instance_of(int))
    segments: int = attrs.field(default=20, validator=_count(MAX_SEGMENTS))
    history: int = attrs.field(default=300, validator=_count(10_000_000))
    token: str = attrs.field(default="sim-token")
    rps: float = attrs.field(default=5.0, validator=_non_negative_finite)
    latency: float = attrs.field(default=0.0, validator=_non_negative_finite)
    error_rate: float = attrs.field(default=0.0, validator=_fraction)
    malformed_rate: float = attrs.field(default=0.0, validator=_fraction)
    throttle_rate: float = attrs.field(default=0.0, validator=_fraction)
    fault_seed: int | None = None
    db_path: str | None = None
    quirks: frozenset[str] = attrs.field(default=frozenset(), converter=_quirks)
    extra_segments: Mapping[str, int] = attrs.field(factory=dict, converter=_extra_segments)
    profile: str = attrs.field(default="strict")

    @profile.validator
    def _check_profile(self, _attribute: attrs.Attribute[Any], value: str) -> None:
        if value not in PROFILES:
            raise ValueError(f"unknown profile {value!r}; known profiles: {', '.join(PROFILES)}")

    @token.validator
    def _check_token(self, _attribute: attrs.Attribute[Any], value: str) -> None:
        if not isinstance(value, str) or not value:
            raise ValueError("token must be a non-empty string")
        if not value.isascii() or not value.isprintable():
            # It travels in an HTTP header, which carries printable ASCII only.
            raise ValueError("token must be printable ASCII")

    def __attrs_post_init__(self) -> None:
        if self.error_rate + self.throttle_rate > 1.0:
            raise ValueError("error_rate + throttle_rate must not exceed 1")

    def __repr__(self) -> str:
        # Never show the token, even in a traceback or a log line.
        fields = ", ".join(
            f"{a.name}={'***' if a.name == 'token' else repr(getattr(self, a.name))}"
            for a in attrs.fields(type(self))
        )
        return f"SimulatorConfig({fields})"
