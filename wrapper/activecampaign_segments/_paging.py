"""The count-history cursor walk, as plain code with no I/O (the "sans-I/O" style).

The sync and async clients ask a ``Pager`` which ``before`` to request next, fetch
that page, and hand the parsed records back to ``Pager.feed``, which says what to
yield and whether to go on. So both clients share every decision, and every
boundary case is tested once, as plain data.

Why the cursor is ``last.epoch + 1``: records carry millisecond timestamps but the
cursor is whole epoch seconds, exclusive. Asking for ``before = last.epoch`` would
silently drop the records that share the last record's second but did not fit in
the page. Asking for ``last.epoch + 1`` gets them, together with the ones of that
second already yielded, which are dropped by ``run_id``.

Why a full page within one second steps to ``last.epoch``: the server answers a
cursor with the 50 newest records older than it, so a full page whose records all
share second S is the 50 newest records of S, and every cursor above S returns the
same page again. Records of S beyond those 50 cannot be reached through a
whole-second cursor at all; the walk logs a warning naming S and goes on below it.
(This covers the case "a whole page of already-seen records" too: with a server
that answers consistently, such a page necessarily lies within one second, and is
caught before it is requested a second time.)

Why the walk always ends: the cursor strictly decreases with every page (a page
whose records are not strictly older than the cursor, or not newest first, raises
``PaginationError``), and it stops at 0.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Final

from attrs import define, field, frozen

from ._errors import PaginationError
from ._records import CountRecord

__all__ = ["PAGE_SIZE", "PageOutcome", "Pager", "Timepoint", "epoch_bound", "to_instant"]

PAGE_SIZE: Final = 50
"""The server's page size: a page with fewer records is the last one."""

Timepoint = dt.datetime | int
"""A bound of the walk: a timezone-aware datetime, or whole epoch seconds."""

logger = logging.getLogger("activecampaign_segments")

_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def to_instant(value: Timepoint, name: str) -> dt.datetime:
    """Check a ``since``/``until`` bound and return it as an aware UTC datetime.

    Raises:
        ValueError: a naive datetime, or anything but a datetime or an int.
    """
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"{name} must be timezone-aware (e.g. datetime(..., tzinfo=timezone.utc)); "
                f"got naive {value.isoformat()}"
            )
        try:
            return value.astimezone(dt.UTC)
        except OverflowError:
            raise ValueError(f"{name} is out of range: {value.isoformat()}") from None
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return _instant(value)
        except OverflowError:
            raise ValueError(f"{name} is out of range: {value!r}") from None
    raise ValueError(f"{name} must be an aware datetime or epoch seconds (int), got {value!r}")


def _instant(epoch: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(seconds=epoch)


def epoch_bound(instant: dt.datetime) -> int:
    """The smallest whole epoch second at or after ``instant`` (the cursor for ``until``)."""
    whole, rest = divmod(instant - _EPOCH, dt.timedelta(seconds=1))
    return whole + (1 if rest else 0)


def check_cursor(before: object) -> int | None:
    """Check a user-supplied ``before`` cursor.

    Raises:
        ValueError: not ``None`` and not a non-negative int.
    """
    if before is None:
        return None
    if not isinstance(before, int) or isinstance(before, bool) or before < 0:
        raise ValueError(f"before must be None or whole epoch seconds >= 0, got {before!r}")
    return before


@frozen
class PageOutcome:
    """What to do with one fetched page.

    Attributes:
        records: the records to yield, newest first: not seen before, within the bounds.
        next_before: the cursor to request next, or ``None`` when the walk is over.
    """

    records: list[CountRecord]
    next_before: int | None


@define
class Pager:
    """The state of one walk through a segment's count history.

    Use: ``before = pager.before`` is the first request (``None`` means the first page,
    without a timestamp); then, for each fetched page, ``outcome = pager.feed(records)``
    and request ``outcome.next_before`` until it is ``None``.
    """

    segment_id: str
    before: int | None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    # run_ids already yielded from the second just below the cursor: the only records
    # a `last.epoch + 1` cursor can return again.
    _seen: set[str] = field(factory=set)
    _done: bool = False

    @classmethod
    def start(
        cls,
        segment_id: str,
        *,
        before: int | None = None,
        since: Timepoint | None = None,
        until: Timepoint | None = None,
    ) -> Pager:
        """Check the arguments and set up the walk (``ValueError`` before any request).

        With ``until``, the walk starts at that second (``before`` = ``until`` rounded up)
        instead of walking through newer pages; records at or after ``until`` are dropped.
        """
        since_at = None if since is None else to_instant(since, "since")
        until_at = None if until is None else to_instant(until, "until")
        if since_at is not None and until_at is not None and since_at > until_at:
            raise ValueError(
                f"since ({since_at.isoformat()}) is later than until ({until_at.isoformat()})"
            )
        before = check_cursor(before)
        if until_at is not None:
            bound = max(epoch_bound(until_at), 0)
            before = bound if before is None else min(before, bound)
        pager = cls(segment_id, before, since_at, until_at)
        # Nothing can be older than epoch 0, nor inside an empty [since, until) window,
        # nor at or after `since` below a cursor that is itself not after `since`.
        if (
            before == 0
            or (since_at is not None and since_at == until_at)
            or (since_at is not None and before is not None and _instant(before) <= since_at)
        ):
            pager._done = True
        return pager

    @property
    def done(self) -> bool:
        """True when no further request is needed."""
        return self._done

    def feed(self, records: list[CountRecord]) -> PageOutcome:
        """Take the page fetched for ``self.before``; say what to yield and what to fetch next.

        Raises:
            PaginationError: the page breaks the cursor contract (records not strictly
                older than the cursor, or not newest first), so going on could loop.
        """
        requested = self.before
        self._check(records, requested)
        fresh = self._fresh(records)
        next_before = self._next_cursor(records, requested)
        if self.since is not None:
            since = self.since
            if records and records[-1].recorded_at < since:
                next_before = None  # the rest of the history is older than `since`
            elif next_before is not None and _instant(next_before) <= since:
                next_before = None  # everything below the next cursor is older than `since`
            fresh = [r for r in fresh if r.recorded_at >= since]
        if self.until is not None:
            fresh = [r for r in fresh if r.recorded_at < self.until]
        self.before = next_before
        self._done = next_before is None
        return PageOutcome(fresh, next_before)

    def _check(self, records: list[CountRecord], requested: int | None) -> None:
        if self._done:
            raise RuntimeError("the walk is over; no page was requested")
        previous: CountRecord | None = None
        for record in records:
            if requested is not None and record.epoch >= requested:
                raise PaginationError(
                    self.segment_id,
                    requested,
                    f"server returned a record at {record.recorded_at.isoformat()} "
                    f"(epoch {record.epoch}), not strictly older than the cursor; "
                    "it ignores the cursor, and walking on would loop",
                )
            if previous is not None and record.recorded_at > previous.recorded_at:
                raise PaginationError(
                    self.segment_id,
                    requested,
                    f"records are not newest first ({record.recorded_at.isoformat()} follows "
                    f"{previous.recorded_at.isoformat()}); the cursor would skip records",
                )
            previous = record

    def _fresh(self, records: list[CountRecord]) -> list[CountRecord]:
        fresh: list[CountRecord] = []
        seen = self._seen
        for record in records:
            if record.run_id not in seen:
                seen.add(record.run_id)
                fresh.append(record)
        return fresh

    def _next_cursor(self, records: list[CountRecord], requested: int | None) -> int | None:
        if len(records) < PAGE_SIZE:
            return None  # a short page is the last one
        first, last = records[0], records[-1]
        if first.epoch == last.epoch:
            _warn_crowded_second(self.segment_id, last)
            next_before = last.epoch
            self._seen = set()  # nothing below this second has been seen
        else:
            next_before = last.epoch + 1
            # Keep only the run_ids the next page can repeat: those of the last second.
            self._seen = {r.run_id for r in records if r.epoch == last.epoch}
        # _check made every record older than `requested`, so the cursor always moves:
        # last.epoch + 1 == requested only when the whole page is in one second, which
        # steps to last.epoch instead.
        assert requested is None or next_before < requested
        return next_before if next_before > 0 else None


def _warn_crowded_second(segment_id: str, last: CountRecord) -> None:
    second = last.recorded_at.replace(microsecond=0).isoformat()
    logger.warning(
        "segment %r: at least %d count records share the second %s (epoch %d); the API's "
        "whole-second cursor cannot reach the records of that second beyond the %d newest, "
        "so older ones of that second may be missing; continuing below it",
        segment_id,
        PAGE_SIZE,
        second,
        last.epoch,
        PAGE_SIZE,
    )
