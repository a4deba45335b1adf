"""Deterministic count history from a seed, boundary cases included.

Each segment draws from its own RNG seeded with ``(seed, segment id)``, so adding
segments never changes the others and the same seed always gives the same data.
Records are produced newest first as plain tuples (:data:`Row`), one at a time, so
a 200,000-record segment streams into SQLite without being held in memory.

Boundary segments (always present, fixed ids):

==========================  =====  ===========================================================
constant                    id     shape
==========================  =====  ===========================================================
``EMPTY_SEGMENT``           900000 exists, no records
``EXACTLY_50_SEGMENT``      900050 exactly one full page: 50 records, no two in one second
``SAME_SECOND_SEGMENT``     900006 60 records; records 47..52 (0-based, newest first) share
                                   one epoch second, so the 50-record page boundary cuts
                                   that second in two (3 on page one, 3 after)
``BURST_SEGMENT``           900060 70 records; records 5..64 share one epoch second (60 in
                                   a second: more than a page, unreachable with a cursor)
``FORBIDDEN_SEGMENT``       900403 exists with 10 records, but the token may not read it: 403
==========================  =====  ===========================================================

Ordinary segments ``"1".."N"`` have hourly-ish irregular spacing with random
milliseconds, about 3 % of records sharing a second with their neighbour, result
counts following a random walk, ``segment_hash`` changing at one to three points,
``active_result_count`` absent on about 15 % of records and
``count_updating_with_runid`` present on about 10 %.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass

from activecampaign_simulator.config import SimulatorConfig

#: ``(segment_id, ts_ms, segment_hash, run_id, result_count, active_result_count,
#: count_updating_with_runid)`` — the two last ones ``None`` when absent.
Row = tuple[str, int, str, str, int, int | None, str | None]

PAGE_SIZE = 50

#: Bump whenever this module's output changes for a given configuration: a
#: ``--db`` file built by another version is then rebuilt instead of reused.
DATASET_VERSION = 2

EMPTY_SEGMENT = "900000"
EXACTLY_50_SEGMENT = "900050"
SAME_SECOND_SEGMENT = "900006"
BURST_SEGMENT = "900060"
FORBIDDEN_SEGMENT = "900403"

#: The newest record of every segment is at or before this instant
#: (2024-06-01T00:00:00Z): a fixed end keeps the data independent of the clock.
END_MS = 1_717_200_000_000
#: Histories never reach before 2000-01-01T00:00:00Z, however long they are.
START_MS = 946_684_800_000
_HOUR_MS = 3_600_000


@dataclass(frozen=True)
class SegmentSpec:
    """What to generate for one segment.

    ``groups`` maps a record index (0 = newest) to a group size: that many
    consecutive records share one epoch second. ``same_second_rate`` is the chance
    that an ordinary record shares its newer neighbour's second.
    """

    segment_id: str
    count: int
    forbidden: bool = False
    groups: tuple[tuple[int, int], ...] = ()
    same_second_rate: float = 0.0


def boundary_specs() -> list[SegmentSpec]:
    """The fixed boundary segments described in the module docstring."""
    return [
        SegmentSpec(EMPTY_SEGMENT, 0),
        SegmentSpec(EXACTLY_50_SEGMENT, PAGE_SIZE),
        SegmentSpec(SAME_SECOND_SEGMENT, 60, groups=((47, 6),)),
        SegmentSpec(BURST_SEGMENT, 70, groups=((5, 60),)),
        SegmentSpec(FORBIDDEN_SEGMENT, 10, forbidden=True),
    ]


def segment_specs(config: SimulatorConfig) -> list[SegmentSpec]:
    """Every segment of the data set, in the order ``segment_ids()`` lists them."""
    specs = [
        SegmentSpec(str(i), config.history, same_second_rate=0.03)
        for i in range(1, config.segments + 1)
    ]
    specs += boundary_specs()
    taken = {spec.segment_id for spec in specs}
    for segment_id, count in config.extra_segments.items():
        if segment_id in taken:
            raise ValueError(f"extra segment id {segment_id!r} is already used by the data set")
        specs.append(SegmentSpec(segment_id, count, same_second_rate=0.03))
    return specs


_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)


def _uuid4(bits: int) -> str:
    """A version-4 UUID string from 128 random bits.

    uuid.UUID is slow for 200,000 records; this sets the version and variant bits
    by hand (the result parses as ``uuid.UUID(...).version == 4``).
    """
    h = f"{(bits & _UUID_CLEAR) | _UUID_SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _segment_hash(seed: int, segment_id: str, version: int) -> str:
    return hashlib.sha256(f"{seed}:{segment_id}:{version}".encode()).hexdigest()


def generate_rows(seed: int, spec: SegmentSpec) -> Iterator[Row]:
    """Yield the records of one segment, newest first, deterministically."""
    # Not for security: a seeded, repeatable data set is the point.
    rng = random.Random(f"{seed}:{spec.segment_id}")  # noqa: S311
    count = spec.count
    # Spread long histories so they stay after START_MS (hourly-ish when it fits).
    mean_gap = min(_HOUR_MS, (END_MS - START_MS) // max(count, 1) // 2)
    groups = dict(spec.groups)
    changes = min(max(count - 1, 0), rng.randint(1, 3))
    hash_changes = set(rng.sample(range(1, max(count, 1)), changes))
    hash_version = 0
    segment_hash = _segment_hash(seed, spec.segment_id, hash_version)
    result_count = rng.randint(50, 50_000)
    ts_ms = END_MS - rng.randint(0, _HOUR_MS)
    group_left: list[int] = []
    # Bound methods and plain arithmetic instead of randint/uniform: this loop runs
    # once per record, and 200,000-record segments must build in seconds.
    random_, gauss, getrandbits = rng.random, rng.gauss, rng.getrandbits
    gap_low, gap_span = mean_gap // 2 + 1000, mean_gap + 1
    same_second_rate = spec.same_second_rate
    segment_id = spec.segment_id
    for index in range(count):
        if group_left:
            ts_ms = group_left.pop()
        elif index in groups:
            # A fresh second strictly older than the previous record; the
            # group's milliseconds are distinct so the order is total.
            second = ts_ms // 1000 - rng.randint(60, 3600)
            millis = sorted(rng.sample(range(1000), groups[index]))
            group_left = [second * 1000 + ms for ms in millis]
            ts_ms = group_left.pop()
        elif index and ts_ms % 1000 and random_() < same_second_rate:
            # Same second as the newer neighbour, an earlier millisecond.
            ts_ms -= 1 + int(random_() * (ts_ms % 1000))
        elif index:
            ts_ms -= gap_low + int(random_() * gap_span)
        if index in hash_changes:
            hash_version += 1
            segment_hash = _segment_hash(seed, segment_id, hash_version)
        result_count = max(0, result_count + round(gauss(0.0, max(3.0, result_count / 100))))
        active = int(result_count * (0.5 + random_() / 2)) if random_() < 0.85 else None
        updating = _uuid4(getrandbits(128)) if random_() < 0.10 else None
        yield (
            segment_id,
            ts_ms,
            segment_hash,
            _uuid4(getrandbits(128)),
            result_count,
            active,
            updating,
        )
