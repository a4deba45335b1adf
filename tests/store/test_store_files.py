"""Bad and foreign files: one typed error (one line and exit 13/14 from the CLI), and the
file is left exactly as it was."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from activecampaign_segments.cli.errors import ExitCode
from activecampaign_segments.store import (
    SCHEMA_VERSION,
    CorruptStoreError,
    HistoryStore,
    NewerStoreError,
    NotAStoreError,
    OtherAccountError,
    StoreAccessError,
    StoreError,
    StoreLockedError,
)
from activecampaign_simulator.server import SimulatorHandle

from tests.store.conftest import BIG, client_for
from tests.store.helpers import digest, one_error_line, run_cli, siblings, walked


def _store_with(shared_sim: SimulatorHandle, path: Path, segment_id: str = BIG) -> None:
    with client_for(shared_sim) as client, HistoryStore(path) as store:
        store.sync(client, [segment_id])


def _refused(
    shared_sim: SimulatorHandle,
    path: Path,
    error: type[StoreError],
    message: str,
    code: ExitCode = ExitCode.STORE,
) -> None:
    """The API raises ``error``; history --db and sync print one line and exit ``code``;
    the file (if any) and its directory are unchanged."""
    before = digest(path) if path.is_file() else None
    names = siblings(path) if path.parent.is_dir() else None
    with (
        pytest.raises(error, match=message),
        client_for(shared_sim) as client,
        HistoryStore(path, timeout=0.2) as store,
    ):
        store.sync(client, ["1"])
    for args in (["history", "1", "--db", str(path)], ["sync", "1", "--db", str(path)]):
        if code is ExitCode.STORE_LOCKED:
            args = ["sync", "1", "--db", str(path), "--lock-timeout", "0.2"]
        result = run_cli(shared_sim, *args)
        assert result.exit_code == code, result.stderr
        assert str(path) in one_error_line(result)
        assert result.stdout == ""
    if before is not None:
        assert digest(path) == before
    if names is not None:
        assert siblings(path) == names


def test_a_directory(shared_sim: SimulatorHandle, tmp_path: Path) -> None:
    _refused(shared_sim, tmp_path, NotAStoreError, "is a directory")


def test_a_file_that_is_not_sqlite(shared_sim: SimulatorHandle, tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("segment 4 grew again\n")
    _refused(shared_sim, path, NotAStoreError, "not a SQLite database")


def test_another_programs_sqlite_database(shared_sim: SimulatorHandle, tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        other.execute("INSERT INTO customers (name) VALUES ('Ada')")
    other.close()
    _refused(shared_sim, path, NotAStoreError, "another program")


def test_a_store_from_a_newer_version(shared_sim: SimulatorHandle, tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    _store_with(shared_sim, path, "1")
    with sqlite3.connect(path) as future:
        future.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    future.close()
    _refused(shared_sim, path, NewerStoreError, "newer version")


def test_a_corrupt_store(shared_sim: SimulatorHandle, tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    _store_with(shared_sim, path)
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 8 * page
    data[2 * page :] = b"\xa5" * (len(data) - 2 * page)  # every page past the schema's
    path.write_bytes(bytes(data))
    _refused(shared_sim, path, CorruptStoreError, "corrupt")


@pytest.mark.parametrize(
    "where", ["missing-directory/history.db", "a-file/history.db", "/proc/history.db"]
)
def test_a_path_that_cannot_be_written(
    shared_sim: SimulatorHandle, tmp_path: Path, where: str
) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    _refused(shared_sim, tmp_path / where, StoreAccessError, "does not exist|cannot be written")


def test_a_store_locked_past_the_timeout(shared_sim: SimulatorHandle, tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    _store_with(shared_sim, path, "1")
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer, holding the lock
        _refused(shared_sim, path, StoreLockedError, "locked", ExitCode.STORE_LOCKED)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    # Once the lock is gone, the same file syncs.
    result = run_cli(shared_sim, "sync", "2", "--db", str(path))
    assert result.exit_code == 0, result.stderr


def test_a_store_of_another_account(
    shared_sim: SimulatorHandle, make_sim: Callable[..., SimulatorHandle], tmp_path: Path
) -> None:
    path = tmp_path / "other-account.db"
    _store_with(make_sim(), path, "1")  # another simulator: another base URL
    _refused(shared_sim, path, OtherAccountError, "one store per account")


def test_an_empty_file_becomes_a_store(shared_sim: SimulatorHandle, tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    _store_with(shared_sim, path, "1")
    with HistoryStore(path) as store:
        assert list(store.records("1")) == walked(shared_sim, "1")
