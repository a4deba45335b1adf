"""What a sync fetches and what it saves, as plain code with no I/O.

A sync of one segment is a list of *walks*, each a newest-first walk of the history
between two epoch seconds, fetched with ``client.count_history(since=floor,
until=cursor)``:

1. the *top walk*, from the newest record on the server down to the newest second
   already stored (``floor``; that second is fetched again, because records sharing it
   may be new), or down to the first record when nothing is stored;
2. every walk an earlier sync left unfinished (killed, or failed), resumed from its
   saved cursor down to its own floor.

Why unfinished walks must be remembered: a first sync killed half-way has stored the
newest records but not the older ones, so "newer than what is stored" alone would never
fetch them; and a top walk killed half-way leaves a gap between its last batch and the
records stored before it.

Records are saved in batches; each batch goes in one transaction with its walk's
*resume cursor*: after a batch whose oldest record lies in second ``s``, every record
of the walk newer than ``s`` has been seen (the walk is newest first and complete), so
the walk resumes at ``until = s + 1``, which fetches second ``s`` again whole (records
are keyed by ``run_id``: the ones seen twice are replaced, not repeated).

Batch-first: before walking, a sync of several segments asks the API's batch form for
every segment's newest record (100 ids per request, `batch_chunks`). A segment whose
newest record the store already holds (by ``run_id``) needs no top walk: nothing is
newer (counts are recorded in time order). Only the others are walked, each top walk
down to the newest stored second (fetched again) or, if the batch answer is older
than that (the server dropped newer counts), down to the batch answer's second, so
that record is stored too. Ids the batch form leaves out (unknown, forbidden, never
counted) are walked as before: the per-segment form decides the error. Unfinished
walks are resumed whatever the batch form says. For one segment the batch form would
only add a request (the top walk answers both questions with one), so it is not asked.
"""

from __future__ import annotations

from attrs import define, frozen

from .._records import CountRecord
from ._rows import Row, second_of, to_row, to_us

__all__ = [
    "BATCH_SIZE",
    "Batch",
    "Batcher",
    "Latest",
    "Stored",
    "Walk",
    "batch_chunks",
    "caught_up",
    "plan",
]

BATCH_SIZE = 50
"""Records per transaction: one page's worth, so a kill loses at most a page of work."""


@define
class Walk:
    """One walk of a segment's history, newest first.

    Attributes:
        segment_id: the segment.
        cursor: fetch records older than this epoch second (``None``: from the newest).
        floor: down to this epoch second, inclusive (``None``: down to the first record).
        walk_id: the walk's row in the ``walks`` table, once it has been saved.
    """

    segment_id: str
    cursor: int | None
    floor: int | None
    walk_id: int | None = None

    @property
    def top(self) -> bool:
        """True for the walk from the newest record: finishing it means caught up."""
        return self.cursor is None

    @property
    def empty(self) -> bool:
        """True when nothing lies between cursor and floor (nothing to fetch)."""
        return self.cursor is not None and self.floor is not None and self.cursor <= self.floor


Unfinished = tuple[tuple[int, int, int | None], ...]
"""``(walk_id, cursor, floor)`` of each walk an earlier sync left unfinished."""


@frozen
class Stored:
    """What the store holds of one segment, as far as planning a sync goes.

    Attributes:
        newest_us: the newest stored record's timestamp (microseconds), if any.
        unfinished: the walks an earlier sync left unfinished.
        holds_latest: the store holds the record the batch form answered as the
            segment's newest (same ``run_id``); ``False`` when it was not asked.
    """

    newest_us: int | None = None
    unfinished: Unfinished = ()
    holds_latest: bool = False


@frozen
class Latest:
    """The batch form's answer for one segment: its newest record on the server.

    Attributes:
        run_id: the record's ``run_id``.
        recorded_us: when it was recorded (microseconds since the epoch).
    """

    run_id: str
    recorded_us: int

    @classmethod
    def of(cls, record: CountRecord) -> Latest:
        """The planner's view of a ``CountRecord`` the batch form answered."""
        return cls(record.run_id, to_us(record.recorded_at))


def batch_chunks(segment_ids: list[str], size: int) -> list[list[str]]:
    """The ids to ask the batch form for, ``size`` per request, in the order given.

    None when fewer than two ids can be asked: for one segment the top walk costs one
    request whatever the answer, so asking first would only add one. An id holding a
    comma cannot be asked (the batch form takes the ids comma-separated); it is walked.

    Args:
        segment_ids: the sync's ids (checked and without duplicates).
        size: the most ids per request (the API's limit, 100).
    """
    askable = [segment_id for segment_id in segment_ids if "," not in segment_id]
    if len(askable) < 2:
        return []
    return [askable[i : i + size] for i in range(0, len(askable), size)]


def plan(
    segment_id: str,
    stored: Stored,
    *,
    asked: bool = False,
    latest: Latest | None = None,
) -> list[Walk]:
    """The walks of one sync of one segment: the top walk if any, then the unfinished ones.

    Args:
        segment_id: the segment.
        stored: what the store holds of it.
        asked: whether the batch form was asked for it.
        latest: the batch form's answer for it (``None``: left out of the answer).

    Without a batch answer (not asked, or left out) the top walk goes down to the
    newest stored second, as the per-segment form alone would; it also raises the
    API's error for an unknown or forbidden segment. With one, there is no top walk if
    the store holds that record; else the top walk goes down to the older of the newest
    stored second and the answer's second.
    """
    floor = None if stored.newest_us is None else second_of(stored.newest_us)
    walks: list[Walk] = []
    if not asked or latest is None:
        walks.append(Walk(segment_id, None, floor))
    elif not stored.holds_latest:
        if floor is not None:
            floor = min(floor, second_of(latest.recorded_us))
        walks.append(Walk(segment_id, None, floor))
    for walk_id, cursor, walk_floor in sorted(stored.unfinished, key=lambda w: w[1], reverse=True):
        walks.append(Walk(segment_id, cursor, walk_floor, walk_id))
    return walks


def caught_up(walks: list[Walk]) -> bool:
    """True when a plan has no top walk: the batch form showed nothing new at the top."""
    return not any(walk.top for walk in walks)


@frozen
class Batch:
    """Records to save in one transaction, with the walk's state after them.

    Attributes:
        walk: the walk they came from.
        rows: the ``records`` rows.
        resume_before: the cursor to resume the walk from (``None`` once finished).
        finished: the walk is complete: its row goes, and a top walk marks the segment
            caught up.
    """

    walk: Walk
    rows: list[Row]
    resume_before: int | None
    finished: bool


class Batcher:
    """Cuts one walk's records (newest first) into batches of ``size``.

    It also numbers records sharing one microsecond in the order the walk yields them
    (``tiebreak``), which is the server's order: the first record of a new microsecond
    is 0. A resumed walk starts at a whole second, so it numbers them the same way.
    """

    def __init__(self, walk: Walk, size: int = BATCH_SIZE) -> None:
        self._walk = walk
        self._size = size
        self._rows: list[Row] = []
        self._last_us: int | None = None
        self._tiebreak = 0

    def add(self, record: CountRecord) -> Batch | None:
        """Take the walk's next record; return a full batch to save, if one is."""
        us = to_us(record.recorded_at)
        self._tiebreak = self._tiebreak + 1 if us == self._last_us else 0
        self._last_us = us
        self._rows.append(to_row(record, self._tiebreak))
        if len(self._rows) < self._size:
            return None
        rows, self._rows = self._rows, []
        return Batch(self._walk, rows, second_of(us) + 1, finished=False)

    def finish(self) -> Batch:
        """The walk is over: the last batch (possibly empty), marked finished."""
        rows, self._rows = self._rows, []
        return Batch(self._walk, rows, None, finished=True)
