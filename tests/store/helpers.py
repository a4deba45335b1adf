"""Helpers of the store tests: the reference walk, new server records, file snapshots."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import httpx
from activecampaign_segments import CountRecord
from activecampaign_segments.cli import app
from activecampaign_simulator.server import SimulatorHandle
from typer.testing import CliRunner, Result

from tests.store.conftest import client_for


def walked(handle: SimulatorHandle, segment_id: str) -> list[CountRecord]:
    """What the client's own walk yields now: the reference the store must equal."""
    with client_for(handle) as client:
        return list(client.count_history(segment_id))


def add_counts(
    handle: SimulatorHandle, segment_id: str, offsets_ms: list[int], tag: str
) -> list[str]:
    """New counts ``offsets_ms`` after the segment's newest one; their run_ids."""
    newest = handle.store.page(segment_id, limit=1)
    base = newest[0][1] if newest else 1_717_000_000_000
    run_ids = []
    for index, offset in enumerate(offsets_ms):
        run_id = f"{tag}-{index}"
        handle.store.add((segment_id, base + offset, "hash-new", run_id, 1000 + index, None, None))
        run_ids.append(run_id)
    return run_ids


def digest(path: Path) -> str:
    """The file's bytes, summed up: to show a file was left untouched."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def siblings(path: Path) -> set[str]:
    """The names in the file's directory (to show no -wal/-shm/journal was left)."""
    return {p.name for p in path.parent.iterdir()}


def unfinished_walks(path: Path) -> int:
    """How many walks the store file holds unfinished (a sync in progress or killed)."""
    reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True)  # never creates the file
    try:
        return int(reader.execute("SELECT COUNT(*) FROM walks").fetchone()[0])
    finally:
        reader.close()


class FailingAfter(httpx.BaseTransport):
    """Real HTTP for the first ``allowed`` requests, then a connection error each time."""

    def __init__(self, allowed: int) -> None:
        self.allowed = allowed
        self.sent = 0
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        if self.sent > self.allowed:
            raise httpx.ConnectError("the network went away", request=request)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def run_cli(
    handle: SimulatorHandle, *args: str, db_env: str | None = None, input_text: str | None = None
) -> Result:
    """``ac-segments --rps 0 ARGS`` against ``handle``, in process; checks it ended cleanly."""
    env = {
        "ACTIVECAMPAIGN_API_URL": handle.base_url,
        "ACTIVECAMPAIGN_API_KEY": handle.token,
        "ACTIVECAMPAIGN_SEGMENTS_DB": db_env,
    }
    result = CliRunner().invoke(app, ["--rps", "0", *args], env=env, input=input_text)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.stdout + result.stderr
    assert handle.token not in result.stdout + result.stderr
    return result


def one_error_line(result: Result) -> str:
    """The single line a failed command printed on stderr."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


class AsyncFailingAfter(httpx.AsyncBaseTransport):
    """The asyncio twin of :class:`FailingAfter`."""

    def __init__(self, allowed: int) -> None:
        self.allowed = allowed
        self.sent = 0
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        if self.sent > self.allowed:
            raise httpx.ConnectError("the network went away", request=request)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
