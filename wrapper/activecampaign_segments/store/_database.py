"""The store file: opening it safely, and every SQL statement the store runs.

Opening checks, in this order, without writing anything until the file is known to be
a store (or a new, empty file): not a directory; an existing file starts with the SQLite
magic bytes (else it is not opened at all); the database carries this package's
``application_id`` (or holds nothing yet); its schema version is not newer than ours.
Only then is an empty file set up (WAL mode, the schema, in one transaction) or an
older one migrated.

Concurrency: WAL mode lets readers go on while one process writes. Every write is one
short ``BEGIN IMMEDIATE`` transaction (a batch of records with its walk's progress),
taken with SQLite's busy timeout and retried on ``SQLITE_BUSY`` until ``timeout``
seconds have passed, so two syncs of one file (two cron jobs) take turns per batch and
both finish; past the timeout, ``StoreLockedError``. One connection per store object,
guarded by a lock, so the async store can use it from worker threads.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Final, TypeVar

from ._errors import (
    NewerStoreError,
    NotAStoreError,
    OtherAccountError,
    StoreAccessError,
    is_busy,
    translate,
)
from ._rows import COLUMNS, Row
from ._schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION
from ._walks import Batch, Latest, Stored, Walk

T = TypeVar("T")

_SQLITE_MAGIC: Final = b"SQLite format 3\x00"
_RETRY_PAUSE: Final = 0.05
SegmentRow = tuple[str, int, int | None, int | None, int | None]


class Database:
    """One open store file. Every method is atomic and safe to call from any thread."""

    def __init__(self, path: str | os.PathLike[str], timeout: float) -> None:
        self.path = Path(path)
        self.timeout = timeout
        _check_path(self.path)
        try:
            self._db = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise translate(exc, self.path, timeout) from exc
        self._lock = threading.RLock()
        try:
            self._retrying(self._prepare)
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        """Close the connection (the last one to close folds the WAL into the file)."""
        with self._lock:
            self._db.close()

    # -- opening ---------------------------------------------------------------------

    def _prepare(self) -> None:
        db = self._db
        # synchronous=NORMAL in WAL mode: a killed process loses nothing committed; a
        # power cut may lose the last transactions, never consistency.
        db.execute("PRAGMA synchronous = NORMAL")
        version = self._version()
        if version == SCHEMA_VERSION:
            return
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode = WAL")
        with self._transaction():
            version = self._version()  # again: another process may have set it up meanwhile
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[step]:
                    db.execute(statement)
            db.execute(f"PRAGMA application_id = {APPLICATION_ID:d}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")

    def _version(self) -> int:
        """The file's schema version: 0 for an empty file; refuses what is not ours."""
        db = self._db
        application_id = db.execute("PRAGMA application_id").fetchone()[0]
        version: int = db.execute("PRAGMA user_version").fetchone()[0]
        if application_id == APPLICATION_ID:
            if version > SCHEMA_VERSION:
                raise NewerStoreError(self.path, version, SCHEMA_VERSION)
            return version
        if application_id == 0 and version == 0 and not _has_objects(db):
            return 0  # a new, empty database: ours to set up
        raise NotAStoreError(
            self.path,
            "a SQLite database of another program, not a history store (left untouched); "
            "choose another path",
        )

    # -- transactions ----------------------------------------------------------------

    def _retrying(self, action: Callable[[], T]) -> T:
        """Run ``action`` under the lock, retrying on SQLITE_BUSY until the timeout."""
        deadline = time.monotonic() + self.timeout
        with self._lock:
            while True:
                try:
                    return action()
                except sqlite3.Error as exc:
                    if is_busy(exc) and time.monotonic() < deadline:
                        time.sleep(_RETRY_PAUSE)
                        continue
                    raise translate(exc, self.path, self.timeout) from exc

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _write(self, action: Callable[[sqlite3.Connection], T]) -> T:
        def attempt() -> T:
            with self._transaction() as db:
                return action(db)

        return self._retrying(attempt)

    def _read(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        return self._retrying(lambda: self._db.execute(sql, params).fetchall())

    # -- sync ------------------------------------------------------------------------

    def sync_states(
        self, segment_ids: list[str], latest: Mapping[str, Latest]
    ) -> dict[str, Stored]:
        """What the store holds of each segment, read in one snapshot, for planning.

        ``latest`` is the batch form's answer; ``holds_latest`` says whether the store
        holds that record of the segment (by ``run_id``).
        """

        def read() -> dict[str, Stored]:
            db = self._db
            states: dict[str, Stored] = {}
            db.execute("BEGIN")  # one snapshot for every read
            try:
                for segment_id in segment_ids:
                    newest = db.execute(
                        "SELECT MAX(recorded_us) FROM records WHERE segment_id = ?", (segment_id,)
                    ).fetchone()[0]
                    walks = db.execute(
                        "SELECT walk_id, cursor, floor FROM walks WHERE segment_id = ?",
                        (segment_id,),
                    ).fetchall()
                    answer = latest.get(segment_id)
                    holds = answer is not None and (
                        db.execute(
                            "SELECT 1 FROM records WHERE segment_id = ? AND run_id = ?",
                            (segment_id, answer.run_id),
                        ).fetchone()
                        is not None
                    )
                    states[segment_id] = Stored(newest, tuple(walks), holds)
            finally:
                db.execute("COMMIT")
            return states

        return self._retrying(read)

    def mark_caught_up(self, segment_ids: list[str], now_us: int) -> None:
        """Record that a sync found nothing new at the top of these segments (one write)."""
        if not segment_ids:
            return

        def write(db: sqlite3.Connection) -> None:
            db.executemany(
                "UPDATE segments SET synced_us = ? WHERE segment_id = ?",
                [(now_us, segment_id) for segment_id in segment_ids],
            )

        self._write(write)

    def check_account(self, account: str) -> None:
        """Refuse to sync another account's records into this store (``OtherAccountError``)."""
        rows = self._read("SELECT value FROM meta WHERE key = 'account'")
        if rows and rows[0][0] != account:
            raise OtherAccountError(self.path, str(rows[0][0]), account)

    def save(self, batch: Batch, now_us: int, account: str) -> int:
        """Save a batch and its walk's progress in one transaction; how many records are new.

        A walk's row is created with its first unfinished batch, moved down with each
        batch (never up: two processes may walk it at once) and deleted when it finishes.
        The first batch ever saved records the account (``account``, the API base URL).
        """
        walk = batch.walk

        def write(db: sqlite3.Connection) -> tuple[int, int | None]:
            db.execute("INSERT OR IGNORE INTO meta VALUES ('account', ?)", (account,))
            stored = db.execute("SELECT value FROM meta WHERE key = 'account'").fetchone()[0]
            if stored != account:
                raise OtherAccountError(self.path, stored, account)
            db.execute("INSERT OR IGNORE INTO segments (segment_id) VALUES (?)", (walk.segment_id,))
            added = _upsert(db, walk.segment_id, batch.rows)
            walk_id = walk.walk_id
            if batch.finished:
                if walk_id is not None:
                    db.execute("DELETE FROM walks WHERE walk_id = ?", (walk_id,))
                if walk.top:
                    db.execute(
                        "UPDATE segments SET synced_us = ? WHERE segment_id = ?",
                        (now_us, walk.segment_id),
                    )
            elif walk_id is None:
                walk_id = db.execute(
                    "INSERT INTO walks (segment_id, cursor, floor) VALUES (?, ?, ?)",
                    (walk.segment_id, batch.resume_before, walk.floor),
                ).lastrowid
            else:
                db.execute(
                    "UPDATE walks SET cursor = MIN(cursor, ?) WHERE walk_id = ?",
                    (batch.resume_before, walk_id),
                )
            return added, walk_id

        added, walk_id = self._write(write)
        walk.walk_id = walk_id  # only once committed: a rolled-back insert has no row
        return added

    def forget_walk(self, walk: Walk) -> None:
        """Delete an unfinished walk that has nothing left to fetch."""
        if walk.walk_id is not None:
            walk_id = walk.walk_id
            self._write(lambda db: db.execute("DELETE FROM walks WHERE walk_id = ?", (walk_id,)))

    # -- reads -----------------------------------------------------------------------

    def records_chunk(
        self,
        segment_id: str,
        since_us: int | None,
        until_us: int | None,
        after: tuple[int, int, str] | None,
        limit: int,
    ) -> list[Row]:
        """Up to ``limit`` rows newest first, after the row keyed ``after`` (keyset paging)."""
        sql = f"SELECT {COLUMNS} FROM records WHERE segment_id = ?"  # noqa: S608 - fixed names
        params: list[object] = [segment_id]
        if since_us is not None:
            sql += " AND recorded_us >= ?"
            params.append(since_us)
        if until_us is not None:
            sql += " AND recorded_us < ?"
            params.append(until_us)
        if after is not None:
            us, tiebreak, run_id = after
            sql += (
                " AND (recorded_us < ? OR (recorded_us = ? AND"
                " (tiebreak > ? OR (tiebreak = ? AND run_id > ?))))"
            )
            params += [us, us, tiebreak, tiebreak, run_id]
        sql += " ORDER BY recorded_us DESC, tiebreak, run_id LIMIT ?"
        params.append(limit)
        return self._read(sql, tuple(params))  # type: ignore[return-value]

    def segments(self) -> list[SegmentRow]:
        """``(segment_id, records, newest_us, oldest_us, synced_us)`` of every segment held."""
        return self._read(  # type: ignore[return-value]
            "SELECT s.segment_id, COUNT(r.run_id), MAX(r.recorded_us), MIN(r.recorded_us),"
            " s.synced_us FROM segments s LEFT JOIN records r USING (segment_id)"
            " GROUP BY s.segment_id ORDER BY s.segment_id"
        )

    def segment(self, segment_id: str) -> tuple[SegmentRow | None, int]:
        """One segment's row as in `segments` (``None`` if never synced), and its
        number of unfinished walks."""
        rows = self._read(
            "SELECT s.segment_id, COUNT(r.run_id), MAX(r.recorded_us), MIN(r.recorded_us),"
            " s.synced_us FROM segments s LEFT JOIN records r USING (segment_id)"
            " WHERE s.segment_id = ? GROUP BY s.segment_id",
            (segment_id,),
        )
        walks = self._read("SELECT COUNT(*) FROM walks WHERE segment_id = ?", (segment_id,))
        return (rows[0] if rows else None), int(walks[0][0])  # type: ignore[return-value,call-overload]


def _has_objects(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is not None


def _upsert(db: sqlite3.Connection, segment_id: str, rows: list[Row]) -> int:
    """Insert or replace ``rows``; return how many were not stored before."""
    if not rows:
        return 0
    marks = ", ".join("?" * len(rows))
    known = db.execute(
        f"SELECT COUNT(*) FROM records WHERE segment_id = ? AND run_id IN ({marks})",  # noqa: S608
        (segment_id, *(row[1] for row in rows)),
    ).fetchone()[0]
    db.executemany(
        f"INSERT INTO records ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608
        " ON CONFLICT (segment_id, run_id) DO UPDATE SET"
        " recorded_us = excluded.recorded_us, tiebreak = excluded.tiebreak,"
        " result_count = excluded.result_count,"
        " active_result_count = excluded.active_result_count,"
        " segment_hash = excluded.segment_hash, updating_run_id = excluded.updating_run_id,"
        " extra = excluded.extra",
        rows,
    )
    return len({row[1] for row in rows}) - int(known)


def _check_path(path: Path) -> None:
    """Refuse, before SQLite touches it, a path that cannot be a store file."""
    if path.is_dir():
        raise NotAStoreError(path, "is a directory; give the path of a file, e.g. history.db")
    if path.exists():
        if not path.is_file():
            raise NotAStoreError(path, "is not a regular file")
        try:
            with path.open("rb") as handle:
                head = handle.read(len(_SQLITE_MAGIC))
        except OSError as exc:
            raise StoreAccessError(path, f"cannot be read: {exc.strerror or exc}") from exc
        if head and head != _SQLITE_MAGIC:
            raise NotAStoreError(
                path, "not a SQLite database (left untouched); choose another path"
            )
    elif not path.parent.is_dir():
        raise StoreAccessError(path, f"the directory {path.parent} does not exist")


__all__ = ["Database", "SegmentRow"]
