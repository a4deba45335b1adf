"""One request schedule per account host for every process on a machine, in an SQLite file.

The in-process bucket (``_limiter``) keeps one process under the account's rate; two
processes on one machine would each keep their own 5 requests/s and together send 10. So by
default the bucket's schedule (its "theoretical arrival time", the next free slot) lives in
a small SQLite file that every process on the machine books its slots from, one row per
account host: two processes then share 5 requests/s between them and draw no 429s.

Where: ``$ACTIVECAMPAIGN_LIMITER_DIR`` if set (``off`` turns the shared file off), else
``$XDG_CACHE_HOME/activecampaign-segments``, else ``~/.cache/activecampaign-segments``; the
file is ``rate-limits.sqlite3`` in it.

The file holds a cache, never data: each booking is one short ``BEGIN IMMEDIATE``
transaction (SQLite's file lock serialises processes), with ``synchronous=OFF`` because a
lost write only costs one slot's spacing. Times are wall-clock seconds (``time.time``), the
one clock that processes share and that survives a reboot; a slot or pause that lies further
ahead than any real one can (:data:`STALE_AFTER`) is a stale row (a clock that stepped back,
a crashed writer) and is ignored. A file that is not an SQLite database of ours is replaced
by a fresh one (it held nothing worth keeping); any other failure raises
:class:`SharedScheduleError`, on which the limiter falls back to its in-process bucket
(logged once): requests are still paced, only not across processes.
"""

from __future__ import annotations

import contextlib
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Final

__all__ = [
    "ENV_LIMITER_DIR",
    "FILE_NAME",
    "STALE_AFTER",
    "SharedSchedule",
    "SharedScheduleError",
    "schedule_dir",
]

ENV_LIMITER_DIR: Final = "ACTIVECAMPAIGN_LIMITER_DIR"
FILE_NAME: Final = "rate-limits.sqlite3"
#: Seconds ahead of now beyond which a stored slot cannot be real: the longest pause a
#: ``Retry-After`` can cause (60 s) plus a generous queue of waiting requests.
STALE_AFTER: Final = 600.0
_OFF: Final = frozenset({"off", "0", "false", "no", "none"})
_SCHEMA: Final = (
    "CREATE TABLE IF NOT EXISTS slots ("
    " host TEXT PRIMARY KEY, next_slot REAL NOT NULL, paused_until REAL NOT NULL)"
)


class SharedScheduleError(Exception):
    """The shared file cannot be used (unwritable directory, locked too long, I/O error)."""


def schedule_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """The directory of the shared file, or ``None`` when the environment turns it off."""
    env = os.environ if environ is None else environ
    chosen = env.get(ENV_LIMITER_DIR, "").strip()
    if chosen.lower() in _OFF:
        return None
    if chosen:
        return Path(chosen).expanduser()
    cache = env.get("XDG_CACHE_HOME", "").strip()
    # The XDG spec: a relative XDG_CACHE_HOME is invalid and must be ignored.
    base = Path(cache) if cache and Path(cache).is_absolute() else Path.home() / ".cache"
    return base / "activecampaign-segments"


def _sane(value: object, now: float, default: float) -> float:
    """A stored time, or ``default`` if it is not a number or lies beyond any real one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    number = float(value)
    if not math.isfinite(number) or number > now + STALE_AFTER:
        return default
    return number


class SharedSchedule:
    """The slots of one account host, booked from a file that other processes share.

    Args:
        path: the SQLite file (created, with its directory, if missing).
        host: the limiter key of the account host (one row per host).
        clock: wall-clock seconds, the same in every process (``time.time``).
        busy_timeout: seconds to wait for another process's booking to finish.
    """

    def __init__(
        self,
        path: Path,
        host: str,
        *,
        clock: Callable[[], float] = time.time,
        busy_timeout: float = 2.0,
    ) -> None:
        self.path = path
        self.host = host
        self._clock = clock
        self._busy_timeout = busy_timeout
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = self._open()
            # SQLite connections must not cross a fork: a forked child opens its own.
            self._pid = os.getpid()
        except (OSError, sqlite3.Error) as exc:
            raise SharedScheduleError(f"cannot use {path}: {exc}") from exc

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(
            self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            db.execute("PRAGMA synchronous=OFF")
            db.execute(_SCHEMA)
            # Read the table once: a file of ours with a foreign table of that name fails here.
            db.execute("SELECT host, next_slot, paused_until FROM slots LIMIT 1").fetchall()
        except BaseException:
            db.close()
            raise
        return db

    def _open(self) -> sqlite3.Connection:
        try:
            return self._connect()
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise
            # Not a database (or not ours): it was a cache, so start a fresh one in its place.
            # A new file is renamed over it, so another process never sees a half-made one.
            fresh = self.path.with_name(f"{self.path.name}.{os.getpid()}.new")
            fresh.unlink(missing_ok=True)
            sqlite3.connect(fresh).close()
            os.replace(fresh, self.path)
            return self._connect()

    def close(self) -> None:
        """Close the connection to the file."""
        with self._lock, contextlib.suppress(sqlite3.Error):
            self._db.close()

    def _transaction(
        self, change: Callable[[float, float, float], tuple[float, float, float]]
    ) -> float:
        """Run ``change(now, next_slot, paused_until)`` -> (next_slot, paused_until, result)."""
        with self._lock:
            try:
                if self._pid != os.getpid():
                    self._db = self._connect()
                    self._pid = os.getpid()
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    row = self._db.execute(
                        "SELECT next_slot, paused_until FROM slots WHERE host = ?", (self.host,)
                    ).fetchone()
                    now = self._clock()
                    stored_slot, stored_pause = (None, None) if row is None else row
                    next_slot = _sane(stored_slot, now, -math.inf)
                    paused_until = _sane(stored_pause, now, -math.inf)
                    new_slot, new_pause, result = change(now, next_slot, paused_until)
                    self._db.execute(
                        "INSERT OR REPLACE INTO slots (host, next_slot, paused_until)"
                        " VALUES (?, ?, ?)",
                        (self.host, new_slot, max(new_pause, -1.0)),
                    )
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise SharedScheduleError(f"cannot book a slot in {self.path}: {exc}") from exc
            return result

    def book(self, interval: float, tolerance: float) -> float:
        """Book the next free slot ``interval`` after the last one; return the seconds to wait.

        ``tolerance`` is the burst allowance in seconds (0 for strictly spaced requests), as
        in the in-process bucket's generic cell rate algorithm.
        """

        def change(now: float, next_slot: float, paused_until: float) -> tuple[float, float, float]:
            due = max(next_slot, now, paused_until + tolerance)
            return due + interval, paused_until, max(0.0, due - tolerance - now)

        return self._transaction(change)

    def pause_for(self, seconds: float) -> None:
        """Let no process book a slot of this host within ``seconds`` from now."""

        def change(now: float, next_slot: float, paused_until: float) -> tuple[float, float, float]:
            return next_slot, max(paused_until, now + seconds), 0.0

        self._transaction(change)
