"""``HistoryStore`` and ``AsyncHistoryStore``: a local copy of segments' count history.

Both are thin shells: ``_walks`` decides what to fetch and what to save, ``_database``
runs the SQL. The async store runs each SQLite call in a worker thread
(``asyncio.to_thread``) and fetches through the ``AsyncSegmentsClient``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import os
import threading
import time
import types
from collections.abc import AsyncIterator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from pathlib import Path
from typing import Final, Self

from attrs import frozen

from .._errors import BadRequestError, NotFoundError, PermissionDeniedError
from .._paging import Timepoint
from .._records import CountRecord
from .._windows import check_concurrency
from ..client import MAX_IDS_PER_REQUEST, AsyncSegmentsClient, SegmentsClient
from ._database import Database, SegmentRow
from ._rows import bound_us, from_row, from_us
from ._walks import Batcher, Latest, Walk, batch_chunks, caught_up, plan

__all__ = ["AsyncHistoryStore", "HistoryStore", "SegmentSummary", "SyncResult"]

DEFAULT_TIMEOUT: Final = 30.0
"""Seconds to wait for another process's write lock before ``StoreLockedError``."""

_CHUNK: Final = 1000  # rows per read query while streaming records back
_ASYNC_SEGMENTS_AT_ONCE: Final = 4
# A batch request the server refuses as a whole (one id it will not take in a batch)
# is not the sync's error: its ids are walked one by one, and the per-segment form
# decides, as it did before the batch form was asked.
_BATCH_REFUSED: Final = (BadRequestError, PermissionDeniedError, NotFoundError)


@frozen
class SyncResult:
    """What one sync did for one segment.

    Attributes:
        segment_id: the segment.
        added: records stored by this sync that the store did not hold.
        stored: records the store holds for the segment now.
    """

    segment_id: str
    added: int
    stored: int


@frozen
class SegmentSummary:
    """What the store holds for one segment.

    Attributes:
        segment_id: the segment.
        records: how many records are stored.
        newest: when the newest stored record was recorded (``None`` if none).
        oldest: when the oldest stored record was recorded (``None`` if none).
        synced_at: when a sync last caught up with the server (local clock).
        complete: no sync of it was left unfinished (killed or failed half-way).
    """

    segment_id: str
    records: int
    newest: dt.datetime | None
    oldest: dt.datetime | None
    synced_at: dt.datetime | None
    complete: bool


def _check_ids(segment_ids: Iterable[str]) -> list[str]:
    if isinstance(segment_ids, str | bytes):
        raise ValueError("segment_ids must be an iterable of segment ids, not a single string")
    ids: list[str] = []
    for segment_id in segment_ids:
        _check_id(segment_id)
        ids.append(segment_id)
    return list(dict.fromkeys(ids))


def _check_id(segment_id: object) -> str:
    if not isinstance(segment_id, str) or not segment_id.strip():
        raise ValueError(f"segment_id must be a non-empty string, got {segment_id!r}")
    return segment_id


def _bounds(walk: Walk) -> dict[str, int]:
    bounds: dict[str, int] = {}
    if walk.floor is not None:
        bounds["since"] = walk.floor
    if walk.cursor is not None:
        bounds["until"] = walk.cursor
    return bounds


def _account(client: SegmentsClient | AsyncSegmentsClient) -> str:
    """The account a client talks to: its normalised API base URL (never the token)."""
    return client._config.base_url


def _now_us() -> int:
    return time.time_ns() // 1000


def _summary(row: SegmentRow, walks: int) -> SegmentSummary:
    segment_id, records, newest, oldest, synced = row
    return SegmentSummary(
        segment_id=segment_id,
        records=records,
        newest=None if newest is None else from_us(newest),
        oldest=None if oldest is None else from_us(oldest),
        synced_at=None if synced is None else from_us(synced),
        complete=walks == 0,
    )


def _ask(client: SegmentsClient, chunk: list[str]) -> dict[str, CountRecord] | None:
    """One batch request; ``None`` when the server refuses it as a whole."""
    try:
        return client.latest_counts(chunk)
    except _BATCH_REFUSED:
        return None


def _answers(
    chunks: list[list[str]], answers: list[dict[str, CountRecord] | None]
) -> tuple[set[str], dict[str, Latest]]:
    """The ids the batch form was asked for (refused requests left out), and its answers."""
    asked: set[str] = set()
    latest: dict[str, Latest] = {}
    for chunk, answer in zip(chunks, answers, strict=True):
        if answer is not None:
            asked.update(chunk)
            latest.update((segment_id, Latest.of(record)) for segment_id, record in answer.items())
    return asked, latest


def _plans(
    database: Database, ids: list[str], asked: set[str], latest: dict[str, Latest]
) -> dict[str, list[Walk]]:
    """Each segment's walks; the segments with nothing new at the top marked caught up."""
    states = database.sync_states(ids, latest)
    plans = {
        segment_id: plan(
            segment_id, states[segment_id], asked=segment_id in asked, latest=latest.get(segment_id)
        )
        for segment_id in ids
    }
    database.mark_caught_up([i for i in ids if caught_up(plans[i])], _now_us())
    return plans


def _check_at_once(segments_at_once: object) -> int:
    if (
        not isinstance(segments_at_once, int)
        or isinstance(segments_at_once, bool)
        or segments_at_once < 1
    ):
        raise ValueError(f"segments_at_once must be a whole number >= 1, got {segments_at_once!r}")
    return segments_at_once


class _Reads:
    """The reads both stores share, on a ``Database``."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def chunks(
        self, segment_id: str, since: Timepoint | None, until: Timepoint | None, limit: int | None
    ) -> Iterator[list[CountRecord]]:
        """Check the arguments now (``ValueError``); then the records, a chunk at a time."""
        _check_id(segment_id)
        since_us, until_us = bound_us(since, "since"), bound_us(until, "until")
        if since_us is not None and until_us is not None and since_us > until_us:
            raise ValueError("since is later than until")
        if limit is not None and (
            not isinstance(limit, int) or isinstance(limit, bool) or limit < 0
        ):
            raise ValueError(f"limit must be None or a whole number >= 0, got {limit!r}")
        return self._chunks(segment_id, since_us, until_us, limit)

    def _chunks(
        self, segment_id: str, since_us: int | None, until_us: int | None, limit: int | None
    ) -> Iterator[list[CountRecord]]:
        left = limit
        after: tuple[int, int, str] | None = None
        while left is None or left > 0:
            size = _CHUNK if left is None else min(_CHUNK, left)
            rows = self._database.records_chunk(segment_id, since_us, until_us, after, size)
            if rows:
                yield [from_row(row) for row in rows]
                last = rows[-1]
                after = (last[2], last[3], last[1])
                if left is not None:
                    left -= len(rows)
            if len(rows) < size:
                return

    def stored(self, segment_id: str) -> int:
        row, _ = self._database.segment(segment_id)
        return 0 if row is None else row[1]


class HistoryStore:
    """A local SQLite copy of segments' count history, kept up to date incrementally.

    The common case::

        with SegmentsClient.from_env() as client, HistoryStore("history.db") as store:
            store.sync(client, ["4"])            # first time: the whole history
            for record in store.records("4"):    # newest first, from the file
                ...

    A later ``sync`` fetches only what is newer than what the file holds: one batch
    request per 100 segments shows which segments have new counts, and only those are
    walked (usually one request each). Records ActiveCampaign stops serving stay in
    the file.
    A sync killed at any point (even SIGKILL) is finished by the next one, with nothing
    lost or stored twice; several processes may sync one file at once.

    Args:
        path: the store file (created if missing; its directory must exist).
        timeout: seconds to wait for another process's write lock.

    Raises:
        NotAStoreError: ``path`` is a directory, not SQLite, or another program's database.
        NewerStoreError: the file was written by a newer version of this package.
        CorruptStoreError: SQLite found the file malformed.
        StoreAccessError: the file or its directory cannot be created or written.
        StoreLockedError: setting up the file waited longer than ``timeout``.
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._database = Database(path, timeout)
        self._reads = _Reads(self._database)

    @property
    def path(self) -> Path:
        """The store file."""
        return self._database.path

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the file. The store cannot be used afterwards."""
        self._database.close()

    def sync(
        self,
        client: SegmentsClient,
        segment_ids: Iterable[str],
        *,
        concurrency: int | None = None,
        segments_at_once: int = 1,
    ) -> list[SyncResult]:
        """Fetch what is new for each segment and store it; finish any interrupted sync.

        Batch-first: for several segments it first asks the API's batch form for every
        segment's newest record (one request per 100 ids) and walks only the segments
        whose newest record the store does not hold, so a sync of N unchanged segments
        costs ⌈N/100⌉ requests, and each segment with new counts about one more. Ids
        the batch form leaves out (unknown, forbidden, never counted) are walked, so
        the per-segment form raises their error. The first sync of a segment fetches its
        whole history; later walks go from the newest page down to the newest stored
        second (fetched again: records sharing it may be new). Progress is saved every
        50 records together with the records, so an interrupted sync loses at most that
        much work.

        Args:
            client: the client to fetch with (its rate limit and retries apply).
            segment_ids: the segments, in the order to sync them.
            concurrency: time windows fetched at once while walking a segment (see
                ``SegmentsClient.count_history``); ``None`` keeps the client's default
                (page after page). A first sync of a long history is much faster with
                4 on a real account (the CLI's choice); what is stored is the same.
            segments_at_once: how many segments are walked at once, on worker threads
                (all under the client's shared rate limit); 1 (the default) walks one
                after another in the calling thread. ``ac-segments sync`` uses 4.

        Returns:
            One ``SyncResult`` per segment, in the order given.

        Raises:
            TypeError: ``client`` is not a ``SegmentsClient``.
            ValueError: a bad segment id or option (nothing is fetched).
            ActiveCampaignError: a subclass, when fetching fails; what was stored before
                the failure stays, and the next sync resumes from there. With several
                segments at once, the others stop at their next record.
            OtherAccountError: the store holds another account's history (nothing is
                fetched).
            StoreError: another subclass, when the file cannot be written.
        """
        return list(
            self.sync_each(
                client, segment_ids, concurrency=concurrency, segments_at_once=segments_at_once
            )
        )

    def sync_each(
        self,
        client: SegmentsClient,
        segment_ids: Iterable[str],
        *,
        concurrency: int | None = None,
        segments_at_once: int = 1,
    ) -> Iterator[SyncResult]:
        """`sync`, yielding each segment's result in the order given as soon as it is done.

        Arguments are checked at once (``TypeError``, ``ValueError``); the requests are
        made as the iterator is consumed. Closing it early stops the walks (what they
        stored stays; the next sync resumes them).
        """
        if not isinstance(client, SegmentsClient):
            raise TypeError(
                "HistoryStore.sync needs a SegmentsClient; with an AsyncSegmentsClient use "
                "AsyncHistoryStore"
            )
        ids = _check_ids(segment_ids)
        if concurrency is not None:
            check_concurrency(concurrency)
        at_once = _check_at_once(segments_at_once)
        return self._sync_each(client, ids, concurrency, at_once)

    def _sync_each(
        self, client: SegmentsClient, ids: list[str], concurrency: int | None, at_once: int
    ) -> Iterator[SyncResult]:
        database = self._database
        database.check_account(_account(client))
        chunks = batch_chunks(ids, MAX_IDS_PER_REQUEST)
        if at_once > 1 and len(chunks) > 1:
            # Several batch requests in flight: at the rate limit, not one round trip each.
            with ThreadPoolExecutor(min(at_once, len(chunks))) as asking:
                answers = list(asking.map(functools.partial(_ask, client), chunks))
        else:
            answers = [_ask(client, chunk) for chunk in chunks]
        plans = _plans(database, ids, *_answers(chunks, answers))
        walking = [segment_id for segment_id in ids if plans[segment_id]]
        if at_once == 1 or len(walking) <= 1:
            for segment_id in ids:
                count = self._walk(client, segment_id, plans[segment_id], concurrency, None)
                yield SyncResult(segment_id, count, self._reads.stored(segment_id))
            return
        stop = threading.Event()
        pool = ThreadPoolExecutor(min(at_once, len(walking)), thread_name_prefix="ac-segments-sync")
        futures: dict[Future[int], str] = {
            pool.submit(self._walk, client, i, plans[i], concurrency, stop): i for i in walking
        }
        added: dict[str, int] = {}
        waiting = set(futures)
        try:
            position = 0
            while position < len(ids):
                segment_id = ids[position]
                if plans[segment_id] and segment_id not in added:
                    finished, waiting = wait_futures(waiting, return_when=FIRST_COMPLETED)
                    for future in finished:
                        added[futures[future]] = future.result()  # the first failure: raised
                    continue
                stored = self._reads.stored(segment_id)
                yield SyncResult(segment_id, added.get(segment_id, 0), stored)
                position += 1
        finally:
            stop.set()
            for future in waiting:
                future.cancel()
            pool.shutdown(wait=True)

    def _walk(
        self,
        client: SegmentsClient,
        segment_id: str,
        walks: list[Walk],
        concurrency: int | None,
        stop: threading.Event | None,
    ) -> int:
        """Run one segment's walks; how many records they added. Stops when ``stop`` is set."""
        database = self._database
        account = _account(client)
        added = 0
        for walk in walks:
            if walk.empty:
                database.forget_walk(walk)
                continue
            batcher = Batcher(walk)
            records = (
                client.count_history(segment_id, **_bounds(walk))
                if concurrency is None
                else client.count_history(segment_id, **_bounds(walk), concurrency=concurrency)
            )
            try:
                for record in records:
                    if stop is not None and stop.is_set():
                        return added  # another segment failed; this walk stays resumable
                    batch = batcher.add(record)
                    if batch is not None:
                        added += database.save(batch, _now_us(), account)
            finally:
                close = getattr(records, "close", None)
                if close is not None:
                    close()  # a windowed walk cancels what it has not sent yet
            added += database.save(batcher.finish(), _now_us(), account)
        return added

    def records(
        self,
        segment_id: str,
        *,
        since: Timepoint | None = None,
        until: Timepoint | None = None,
        limit: int | None = None,
    ) -> Iterator[CountRecord]:
        """The stored records of a segment, newest first, read lazily from the file.

        The same records, in the same order, as ``client.count_history`` yields for the
        history the server served, plus any it no longer serves. No request is made.

        Args:
            segment_id: the segment.
            since: only records recorded at or after this (aware datetime or epoch seconds).
            until: only records recorded strictly before this.
            limit: at most this many (the newest).

        Raises:
            ValueError: a bad argument (raised at once, before anything is read).
            StoreError: a subclass, when the file cannot be read.
        """
        chunks = self._reads.chunks(segment_id, since, until, limit)
        return (record for chunk in chunks for record in chunk)

    def newest(self, segment_id: str) -> CountRecord | None:
        """The newest stored record of a segment, or ``None``."""
        return next(self.records(segment_id, limit=1), None)

    def count(self, segment_id: str) -> int:
        """How many records the store holds for a segment."""
        return self._reads.stored(_check_id(segment_id))

    def segments(self) -> list[SegmentSummary]:
        """What the store holds for every segment ever synced, by segment id."""
        database = self._database
        return [_summary(row, database.segment(row[0])[1]) for row in database.segments()]

    def summary(self, segment_id: str) -> SegmentSummary | None:
        """What the store holds for one segment (``None`` if it was never synced)."""
        row, walks = self._database.segment(_check_id(segment_id))
        return None if row is None else _summary(row, walks)


class AsyncHistoryStore:
    """The asyncio twin of `HistoryStore`: the same file, arguments and behaviour.

    The common case::

        async with AsyncSegmentsClient.from_env() as client:
            async with AsyncHistoryStore("history.db") as store:
                await store.sync(client, ["4", "5"])
                async for record in store.records("4"):
                    ...

    SQLite runs in worker threads (``asyncio.to_thread``), so the event loop never waits
    on the file; several segments are synced concurrently (under the client's shared
    rate limit). The file is opened by ``async with`` or `open`; the errors of
    `HistoryStore` are raised there.
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._path = path
        self._timeout = timeout
        self._database: Database | None = None

    async def open(self) -> Self:
        """Open (and if needed set up) the file; calling it again does nothing."""
        if self._database is None:
            self._database = await asyncio.to_thread(Database, self._path, self._timeout)
        return self

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the file. The store cannot be used afterwards."""
        if self._database is not None:
            await asyncio.to_thread(self._database.close)

    def _db(self) -> Database:
        if self._database is None:
            raise RuntimeError("open the store first: `async with AsyncHistoryStore(...)`")
        return self._database

    async def sync(
        self,
        client: AsyncSegmentsClient,
        segment_ids: Iterable[str],
        *,
        concurrency: int | None = None,
        segments_at_once: int = _ASYNC_SEGMENTS_AT_ONCE,
    ) -> list[SyncResult]:
        """Fetch what is new for each segment; see `HistoryStore.sync` (batch-first too).

        Up to ``segments_at_once`` segments (4) are walked at once, each with the async
        client's windowed walk (``concurrency`` windows; ``None``: the client's default,
        4); if one fails, the others are cancelled (what they stored stays) and the
        first error is raised.
        """
        if not isinstance(client, AsyncSegmentsClient):
            raise TypeError(
                "AsyncHistoryStore.sync needs an AsyncSegmentsClient; with a SegmentsClient use "
                "HistoryStore"
            )
        ids = _check_ids(segment_ids)
        if concurrency is not None:
            check_concurrency(concurrency)
        gate = asyncio.Semaphore(_check_at_once(segments_at_once))
        database = self._db()
        await asyncio.to_thread(database.check_account, _account(client))
        chunks = batch_chunks(ids, MAX_IDS_PER_REQUEST)

        async def ask(chunk: list[str]) -> dict[str, CountRecord] | None:
            async with gate:
                try:
                    return await client.latest_counts(chunk)
                except _BATCH_REFUSED:
                    return None

        try:
            async with asyncio.TaskGroup() as group:
                asks = [group.create_task(ask(chunk)) for chunk in chunks]
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
        answered = _answers(chunks, [task.result() for task in asks])
        plans = await asyncio.to_thread(_plans, database, ids, *answered)

        async def one(segment_id: str) -> SyncResult:
            added = 0
            if plans[segment_id]:
                async with gate:
                    added = await self._walk(client, segment_id, plans[segment_id], concurrency)
            stored = await asyncio.to_thread(_Reads(database).stored, segment_id)
            return SyncResult(segment_id, added, stored)

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(one(segment_id)) for segment_id in ids]
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
        return [task.result() for task in tasks]

    async def _walk(
        self,
        client: AsyncSegmentsClient,
        segment_id: str,
        walks: list[Walk],
        concurrency: int | None,
    ) -> int:
        database = self._db()
        account = _account(client)
        added = 0
        for walk in walks:
            if walk.empty:
                await asyncio.to_thread(database.forget_walk, walk)
                continue
            batcher = Batcher(walk)
            records = (
                client.count_history(segment_id, **_bounds(walk))
                if concurrency is None
                else client.count_history(segment_id, **_bounds(walk), concurrency=concurrency)
            )
            try:
                async for record in records:
                    batch = batcher.add(record)
                    if batch is not None:
                        added += await asyncio.to_thread(database.save, batch, _now_us(), account)
            finally:
                aclose = getattr(records, "aclose", None)
                if aclose is not None:
                    await aclose()  # cancelled: the windows' requests are cancelled too
            finished = batcher.finish()
            added += await asyncio.to_thread(database.save, finished, _now_us(), account)
        return added

    async def records(
        self,
        segment_id: str,
        *,
        since: Timepoint | None = None,
        until: Timepoint | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CountRecord]:
        """The stored records, newest first; see `HistoryStore.records`."""
        chunks = _Reads(self._db()).chunks(segment_id, since, until, limit)
        while True:
            chunk = await asyncio.to_thread(next, chunks, None)
            if chunk is None:
                return
            for record in chunk:
                yield record

    async def newest(self, segment_id: str) -> CountRecord | None:
        """The newest stored record of a segment, or ``None``."""
        async for record in self.records(segment_id, limit=1):
            return record
        return None

    async def count(self, segment_id: str) -> int:
        """How many records the store holds for a segment."""
        _check_id(segment_id)
        return await asyncio.to_thread(_Reads(self._db()).stored, segment_id)

    async def segments(self) -> list[SegmentSummary]:
        """What the store holds for every segment ever synced, by segment id."""
        database = self._db()

        def read() -> list[SegmentSummary]:
            return [_summary(row, database.segment(row[0])[1]) for row in database.segments()]

        return await asyncio.to_thread(read)

    async def summary(self, segment_id: str) -> SegmentSummary | None:
        """What the store holds for one segment (``None`` if it was never synced)."""
        _check_id(segment_id)
        row, walks = await asyncio.to_thread(self._db().segment, segment_id)
        return None if row is None else _summary(row, walks)
