"""The windowed parallel walk of one segment, as plain code with no I/O.

A segment's history is walked as several disjoint time windows ``[lo, hi)`` (whole
epoch seconds) at once, each by its own :class:`~._paging.Pager` (``before=hi``,
``since=lo``), and the records are handed out newest first, window after window, so
the caller sees exactly what the sequential walk yields, in the same order. The
clients only do the I/O: they ask :meth:`WindowedWalk.next_requests` what to send,
hand each answer to :meth:`WindowedWalk.feed`, and yield what
:meth:`WindowedWalk.take` returns, until :attr:`WindowedWalk.done`.

How the windows are chosen:

* The first request is the sequential walk's own (``before=None``, or ``until``).
  A short first page is the whole history: one request, as sequentially.
* From then on the walk that made it (the *head*) is bounded below by ``lo``,
  ``HEAD_PAGES`` pages further back (narrow, so a history of a few pages still gets a
  second window), and new windows are opened below it, one after another, each as
  wide as ``pages_per_window`` pages of the density seen last (the time span of the
  lowest window's last full page). Edges are whole seconds, so a second never straddles two
  windows: the pager's boundary cases (a second cut by a page boundary, a crowded
  second of 50+ records, ``since``/``until``) hold inside every window.
* A window is opened only once every open window has had its first answer, so at
  most one window at a time is a guess about how far back the history goes; a short
  answer (fewer than 50 records: everything older than its cursor) or ``since``
  ends the opening. Windows shown empty by such an answer are abandoned (the client
  cancels their request if it is still waiting for the rate limiter).
* An answer entirely below its window (a gap in the history) is exactly the answer
  the window below would get first, so it is handed to that window instead of being
  fetched again, and that window starts just above the answer's newest record: a
  gap of years costs no requests.
* Once the end is known and fewer than ``concurrency`` windows are walking, the
  widest window is cut in two at a whole second, so the limiter stays busy to the
  last page instead of one window walking alone at one request per round trip. A
  window with records known below it is cut first; the one where the history ends
  only after two full answers of its own, and then its lower half is the one guess.

The windows' bounds are set on their pagers (``Pager.since``, whose filtering and
stopping the pager already does); a pager whose lower edge moves up (the head once
the first answer shows the density, a window that is cut in two) only stops earlier.

What the extra requests are: where a window ends, its last page usually reaches
into the window below (about half a page per boundary, on average), plus at most
one guess below the end of the history. Few, wide windows keep that small (0 to 3
extra requests for 2,500 records in the benchmarks).

Memory: at most ``concurrency`` windows walk at a time, and at most twice that are
open (the one being handed out, and those below it, walking or walked and waiting for
their turn); a window that is not being handed out stops fetching when it holds
``max_buffered_pages`` pages, until its turn comes. So at most about
``2 * concurrency * max_buffered_pages * 50`` records are held (10,000 by default),
however long the history.

How many windows are worth running: a window sends one request per round trip, and
the rate limiter lets ``rate`` requests out per second, so ``rate * round_trip``
windows keep the limiter busy; more only add requests. :func:`windows_worth_running`
says how many, from the first request's round trip (without its limiter and retry
waits); below one, the walk stays sequential and sends exactly the sequential
walk's requests.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import deque
from typing import Final

from attrs import define, field, frozen

from ._paging import PAGE_SIZE, Pager, Timepoint
from ._records import CountRecord

__all__ = [
    "DEFAULT_CONCURRENCY",
    "WindowRequest",
    "WindowedWalk",
    "check_concurrency",
    "windows_worth_running",
]

DEFAULT_CONCURRENCY: Final = 4
"""How many windows the async client (and the CLI) walk at once unless told otherwise."""

PAGES_PER_WINDOW: Final = 15
"""How many pages wide a new window is meant to be, at the density seen last."""

HEAD_PAGES: Final = 5
"""How many pages wide the first window (after the first page) is meant to be."""

MAX_BUFFERED_PAGES: Final = 25
"""Pages a window that is not being handed out may hold before it waits for its turn."""

_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# A window is cut in two only if each half is likely to hold this many pages.
_MIN_SPLIT_PAGES: Final = 1


def check_concurrency(concurrency: object) -> int:
    """Check a ``concurrency`` argument: a whole number of windows, at least 1.

    Raises:
        ValueError: not an int, or below 1.
    """
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise ValueError(f"concurrency must be a whole number >= 1, got {concurrency!r}")
    return concurrency


def windows_worth_running(
    concurrency: int, round_trip: float, requests_per_second: float | None
) -> int:
    """How many windows keep the rate limiter busy, at most ``concurrency``.

    Args:
        concurrency: the most windows the caller allows.
        round_trip: seconds one request took, without its rate-limiter and retry waits.
        requests_per_second: the limiter's rate; ``None`` (no limiter) allows them all.

    Returns:
        1 when one request after another already uses every slot of the limiter
        (round trip shorter than the slot spacing: more windows would only add
        requests); else enough windows to fill the slots, plus one for the tail.
    """
    if requests_per_second is None:
        return concurrency
    in_flight = max(round_trip, 0.0) * requests_per_second
    if in_flight <= 1.0:
        return 1
    return min(concurrency, math.ceil(in_flight) + 1)


@frozen
class WindowRequest:
    """One request to send: the page of window ``window`` older than ``before``.

    Attributes:
        window: which window asks (hand it back to :meth:`WindowedWalk.feed`).
        before: the cursor (``None``: the newest page, without a timestamp).
    """

    window: int
    before: int | None


@define
class _Window:
    id: int
    pager: Pager
    # Lower edge in epoch seconds (inclusive); None: down to `since` or the beginning.
    lo: int | None
    pages: deque[list[CountRecord]] = field(factory=deque)
    waiting: bool = False  # a request is out
    answered: bool = False  # its first answer arrived
    finished: bool = False  # no further request (walked, or abandoned)
    abandoned: bool = False
    full_answers: int = 0  # answers of 50 records: it reaches further

    @property
    def hi(self) -> int | None:
        return self.pager.before


@define
class _KnownBelow:
    """Every record older than ``cursor`` is in ``records`` (a short answer said so)."""

    cursor: int | None
    records: list[CountRecord]


class WindowedWalk:
    """The plan and state of one windowed walk; see the module docstring.

    Use: ``walk = WindowedWalk.start(...)``; then in a loop: send every request of
    ``walk.next_requests()``, hand out ``walk.take()``, send the requests of
    ``walk.next_requests()`` again (handing out may have made room for a window), stop
    if ``walk.done``, else wait for an answer and give it to ``walk.feed(window,
    records)``; cancel the requests of windows for which ``walk.wants(window)`` turned
    false (and ignore their answers).
    """

    def __init__(
        self,
        head: Pager,
        *,
        concurrency: int,
        pages_per_window: int,
        max_buffered_pages: int,
    ) -> None:
        self.segment_id = head.segment_id
        self._since = head.since
        self._until = head.until
        self._concurrency = concurrency
        self._pages_per_window = pages_per_window
        self._max_buffered = max_buffered_pages
        # Newest first: the order in which the windows' records are handed out.
        self._windows: list[_Window] = [_Window(0, head, None, finished=head.done)]
        self._by_id = {0: self._windows[0]}
        self._front = 0  # the window being handed out
        self._split = False  # has the head been given a lower edge yet?
        self._exhausted = head.done  # no window will be opened any more
        self._span = 1.0  # seconds one page of 50 records covers, seen last
        self._gap_answer: tuple[int, list[CountRecord]] | None = None
        self._oldest: int | None = None  # the oldest second any answer reached
        self._known_below: _KnownBelow | None = None

    @classmethod
    def start(
        cls,
        segment_id: str,
        *,
        since: Timepoint | None = None,
        until: Timepoint | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        pages_per_window: int = PAGES_PER_WINDOW,
        max_buffered_pages: int = MAX_BUFFERED_PAGES,
    ) -> WindowedWalk:
        """Check the arguments and plan the first request (``ValueError`` before any).

        Args:
            segment_id: the segment to walk.
            since: keep records at or after this (as :meth:`Pager.start`).
            until: keep records strictly before this.
            concurrency: the most windows open at once (1: the sequential walk).
            pages_per_window: how wide new windows are, in pages of the density seen.
            max_buffered_pages: pages a waiting window may hold.

        Raises:
            ValueError: a bad argument.
        """
        check_concurrency(concurrency)
        for name, value in (
            ("pages_per_window", pages_per_window),
            ("max_buffered_pages", max_buffered_pages),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
        head = Pager.start(segment_id, since=since, until=until)
        return cls(
            head,
            concurrency=concurrency,
            pages_per_window=pages_per_window,
            max_buffered_pages=max_buffered_pages,
        )

    # -- what the driver asks -------------------------------------------------------

    @property
    def concurrency(self) -> int:
        """The most windows open at once."""
        return self._concurrency

    def limit_concurrency(self, concurrency: int) -> None:
        """Allow at most ``concurrency`` windows open at once from now on (>= 1)."""
        self._concurrency = check_concurrency(concurrency)

    @property
    def windows_opened(self) -> int:
        """How many windows the walk has opened so far (the head included)."""
        return len(self._windows)

    @property
    def done(self) -> bool:
        """True when every record has been handed out and nothing is left to fetch."""
        rest = self._windows[self._front :]
        return all(w.finished and not w.pages for w in rest) and not self._may_open()

    def wants(self, window: int) -> bool:
        """False once the answer to ``window``'s request is no longer needed."""
        return not self._by_id[window].abandoned

    def next_requests(self) -> list[WindowRequest]:
        """The requests to send now (each window has at most one out at a time)."""
        self._open_windows()
        requests: list[WindowRequest] = []
        for index in range(self._front, len(self._windows)):
            window = self._windows[index]
            if window.finished or window.waiting:
                continue
            if index != self._front and len(window.pages) >= self._max_buffered:
                continue  # it waits for its turn: memory stays bounded
            window.waiting = True
            requests.append(WindowRequest(window.id, window.pager.before))
        return requests

    def feed(self, window: int, records: list[CountRecord]) -> None:
        """Take the answer (the server's records, as sent) to ``window``'s request.

        Raises:
            PaginationError: the page breaks the cursor contract (see ``Pager.feed``).
        """
        current = self._by_id[window]
        if not current.waiting:
            raise RuntimeError(f"window {window} has no request out")
        current.waiting = False
        if current.abandoned:
            return
        self._accept(current, records)

    def take(self) -> list[CountRecord]:
        """The records that can be handed out now, newest first (possibly none)."""
        out: list[CountRecord] = []
        while self._front < len(self._windows):
            window = self._windows[self._front]
            while window.pages:
                out.extend(window.pages.popleft())
            if not window.finished:
                break
            self._front += 1
        return out

    # -- the plan ---------------------------------------------------------------------

    def _accept(self, window: _Window, records: list[CountRecord]) -> None:
        lowest = window is self._windows[-1]
        requested = window.pager.before
        outcome = window.pager.feed(records)
        window.answered = True
        window.full_answers += len(records) == PAGE_SIZE
        if records and (self._oldest is None or records[-1].epoch < self._oldest):
            self._oldest = records[-1].epoch
        if outcome.records:
            window.pages.append(outcome.records)
        window.finished = window.pager.done
        if len(records) == PAGE_SIZE and lowest and records[0].epoch != records[-1].epoch:
            seconds = (records[0].recorded_at - records[-1].recorded_at).total_seconds()
            self._span = max(seconds, 1.0)
        if len(records) < PAGE_SIZE:
            self._learn_end(requested, records)
        elif window.lo is not None and lowest and records[0].epoch < window.lo:
            # A full answer entirely below the lowest window: nothing lies between its
            # newest record and the window, and it is exactly the first answer of a
            # window starting just above that record.
            self._gap_answer = (records[0].epoch + 1, records)

    def _learn_end(self, cursor: int | None, records: list[CountRecord]) -> None:
        """A short answer holds every record older than its cursor: windows below it
        that hold none of them are empty."""
        known = self._known_below
        if known is None or (
            cursor is not None and (known.cursor is None or cursor < known.cursor)
        ):
            self._known_below = _KnownBelow(cursor, records)
        for window in self._windows:
            if window.finished or window.hi is None or (cursor is not None and window.hi > cursor):
                continue
            lo = -1 if window.lo is None else window.lo
            if not any(lo <= r.epoch < window.hi for r in records):
                window.abandoned = window.finished = True

    def _may_open(self) -> bool:
        """Could a window ever be opened below the lowest one (ignoring the pacing)?"""
        if self._exhausted:
            return False
        if not self._split:
            head = self._windows[0]
            return head.answered and not head.finished and self._concurrency > 1
        return True

    def _open_windows(self) -> None:
        while self._exhausted and self._has_room():
            if not self._split_widest():
                break
        while self._may_open():
            if not self._has_room():
                return
            if not all(w.answered or w.finished for w in self._windows[self._front :]):
                return  # at most one window at a time is a guess
            if not self._split:
                self._split_head()
            else:
                self._open_below()

    def _has_room(self) -> bool:
        """Fewer than ``concurrency`` windows walking, and fewer than twice that open
        (walked but still waiting to be handed out): the pace and the memory bound."""
        open_windows = self._windows[self._front :]
        walking = sum(1 for w in open_windows if not w.finished)
        return walking < self._concurrency and len(open_windows) < 2 * self._concurrency

    def _split_head(self) -> None:
        head = self._windows[0]
        assert head.hi is not None  # answered and not finished: it has a cursor
        self._split = True
        # The head is kept narrow: a history that ends within a few pages then still
        # has a window below the head to walk at the same time.
        self._bound(head, head.hi - self._width(min(HEAD_PAGES, self._pages_per_window)))

    def _bound(self, window: _Window, lo: int) -> None:
        """Give ``window`` the lower edge ``lo``, or none if it reaches ``since`` or 0."""
        pager = window.pager
        if lo <= 0 or (self._since is not None and _instant(lo) <= self._since):
            self._exhausted = True  # this window walks down to the end
            return
        window.lo = lo
        pager.since = _instant(lo)

    def _width(self, pages: int | None = None) -> int:
        pages = self._pages_per_window if pages is None else pages
        return max(1, math.ceil(pages * self._span))

    def _open_below(self) -> None:
        lowest = self._windows[-1]
        assert lowest.lo is not None  # else the walk is exhausted
        hi, seed = lowest.lo, None
        if self._gap_answer is not None:
            hi, seed = self._gap_answer
            self._gap_answer = None
        elif self._known_below is not None:
            cursor = self._known_below.cursor
            if cursor is None or hi <= cursor:
                seed = [r for r in self._known_below.records if r.epoch < hi]
                if not seed:
                    self._exhausted = True
                    return
        window = self._new_window(hi, len(self._windows))
        if window.finished:
            self._exhausted = True
            return
        self._bound(window, hi - self._width())
        if seed is not None:
            window.waiting = True
            self.feed(window.id, seed)

    def _new_window(self, hi: int, position: int) -> _Window:
        pager = Pager.start(self.segment_id, before=hi, since=self._since, until=self._until)
        window = _Window(len(self._by_id), pager, None)
        if pager.done:
            window.finished = window.answered = True
        self._windows.insert(position, window)
        self._by_id[window.id] = window
        return window

    def _split_widest(self) -> bool:
        """Near the end, give half of the widest unwalked range to a new window.

        Once the history's end is known no window is opened below the lowest, and the
        windows still walking may be few, each sending one request per round trip:
        then the rest of the widest one is cut in two at a whole second (about half
        a page of extra requests), so the limiter stays busy to the end. Only windows
        with records known below them are cut: the one where the history ends may
        hold far fewer records than its width suggests.
        """
        open_windows = self._windows[self._front :]
        may_guess = all(w.answered or w.finished for w in open_windows)
        best: tuple[bool, float, int] | None = None
        for position in range(self._front, len(self._windows)):
            window = self._windows[position]
            hi, lo = window.hi, window.lo
            if window.finished or not window.answered or hi is None or lo is None:
                continue
            # With records known below it, its lower half holds records too; else the
            # history ends inside it and the lower half is a guess (one at a time).
            interior = self._oldest is not None and self._oldest < lo
            if not interior and not (may_guess and window.full_answers >= 2):
                continue  # its own next answer may well show the end
            pages_left = (hi - lo) / self._span
            candidate = (interior, pages_left, position)
            if pages_left >= 2 * _MIN_SPLIT_PAGES and (best is None or candidate > best):
                best = candidate
        if best is None:
            return False
        position = best[2]
        window = self._windows[position]
        assert window.hi is not None and window.lo is not None
        middle = window.lo + (window.hi - window.lo) // 2
        lower = self._new_window(middle, position + 1)
        lower.lo = window.lo
        lower.pager.since = window.pager.since
        window.lo = middle
        window.pager.since = _instant(middle)
        return True


def _instant(epoch: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(seconds=epoch)
