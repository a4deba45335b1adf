"""Why a history store cannot be used: one exception class per thing a person can fix.

::

    StoreError                  any failure of the store file (``.path``, ``.problem``)
    ├── NotAStoreError          a directory, not a SQLite file, or another program's database
    ├── CorruptStoreError       SQLite reports the file malformed
    ├── NewerStoreError         written by a newer version of this package (newer schema)
    ├── OtherAccountError       holds another account's history (another API base URL)
    ├── StoreAccessError        cannot be created, opened or written (permissions, no such
    │                           directory, read-only file system, disk full)
    └── StoreLockedError        another process held the write lock past the timeout

Every one is raised before anything is written, or after the transaction in progress
was rolled back: the file is never left half-written.

``translate`` is the one place that reads SQLite's error codes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = [
    "CorruptStoreError",
    "NewerStoreError",
    "NotAStoreError",
    "OtherAccountError",
    "StoreAccessError",
    "StoreError",
    "StoreLockedError",
    "is_busy",
    "translate",
]


class StoreError(Exception):
    """The history store at ``path`` cannot be used; ``problem`` says why.

    Attributes:
        path: the store file as given.
        problem: what is wrong, for a person (the message is ``history store PATH: problem``).
    """

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"history store {path}: {problem}")
        self.path = path
        self.problem = problem


class NotAStoreError(StoreError):
    """The path is a directory, a file that is not SQLite, or another program's database.

    The file is left untouched.
    """


class CorruptStoreError(StoreError):
    """SQLite found the file malformed (a damaged disk, a partial copy, an edited file)."""


class NewerStoreError(StoreError):
    """The file was written by a newer version of activecampaign-segments (a newer schema).

    Attributes:
        found: the schema version in the file.
        supported: the newest schema version this version reads.
    """

    def __init__(self, path: Path, found: int, supported: int) -> None:
        super().__init__(
            path,
            f"written by a newer version of activecampaign-segments (schema {found}; this "
            f"version reads up to {supported}); upgrade activecampaign-segments to use it",
        )
        self.found = found
        self.supported = supported


class OtherAccountError(StoreError):
    """The store holds the history of another account (another API base URL).

    Segment ids are only unique within an account: mixing two accounts in one file would
    merge unrelated histories. Use one store per account.

    Attributes:
        stored: the base URL the store's records came from.
        given: the base URL of the client that was to sync into it.
    """

    def __init__(self, path: Path, stored: str, given: str) -> None:
        super().__init__(
            path,
            f"holds the history of {stored}, not of {given}; use one store per account",
        )
        self.stored = stored
        self.given = given


class StoreAccessError(StoreError):
    """The file or its directory cannot be created, opened or written."""


class StoreLockedError(StoreError):
    """Another process held the store's write lock for longer than the timeout.

    Attributes:
        timeout: the seconds waited.
    """

    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__(
            path, f"locked by another process for more than {timeout:g} s (another sync?)"
        )
        self.timeout = timeout


def _name(exc: sqlite3.Error) -> str:
    return getattr(exc, "sqlite_errorname", "") or ""


def is_busy(exc: sqlite3.Error) -> bool:
    """True for SQLITE_BUSY / SQLITE_LOCKED (and their extended codes): worth waiting on."""
    name = _name(exc)
    if name:
        return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def translate(exc: sqlite3.Error, path: Path, timeout: float) -> StoreError:
    """The ``StoreError`` for a SQLite error met while using the store at ``path``."""
    name = _name(exc)
    detail = str(exc)
    if is_busy(exc):
        return StoreLockedError(path, timeout)
    if name.startswith("SQLITE_CORRUPT") or "malformed" in detail:
        return CorruptStoreError(
            path, f"the file is corrupt (SQLite: {detail}); move it away and sync again"
        )
    if name.startswith("SQLITE_NOTADB") or "not a database" in detail:
        return NotAStoreError(path, "not a SQLite database (left untouched)")
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")):
        return StoreAccessError(
            path,
            f"cannot be written (SQLite: {detail}); check that the file and its directory "
            "exist and are writable",
        )
    if name.startswith(("SQLITE_FULL", "SQLITE_IOERR")):
        return StoreAccessError(path, f"cannot be written (SQLite: {detail})")
    return StoreError(path, f"SQLite failed: {detail}")
