"""``ac-segments sync``, and the ``--db`` option that lets ``history`` and ``plot`` read
from the local history store (``activecampaign_segments.store``).

With ``--db``, ``history`` and ``plot`` first sync the segment into the store (usually
one request), then read every record from the file; what they print is byte for byte
what they print without ``--db`` (plus whatever the server no longer serves).

``sync`` is batch-first (one request per 100 ids shows which segments have new counts)
and walks up to ``--concurrency`` segments at once; it prints each segment's line in the
order given, as soon as that segment and those before it are done.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from activecampaign_segments import CountRecord, SegmentsClient
from activecampaign_segments.cli.common import (
    CLI_CONCURRENCY,
    ConcurrencyOption,
    guarded,
    options_of,
    read_ids,
)
from activecampaign_segments.cli.config import make_client
from activecampaign_segments.cli.errors import CliError, ExitCode
from activecampaign_segments.cli.fetch import fetch_history
from activecampaign_segments.store import DEFAULT_TIMEOUT, HistoryStore

__all__ = ["DB_VARIABLE", "DbOption", "history_records", "sync_command"]

DB_VARIABLE = "ACTIVECAMPAIGN_SEGMENTS_DB"

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        metavar="PATH",
        envvar=DB_VARIABLE,
        show_envvar=True,
        help="Sync the segment into this history store file (SQLite), then read it from "
        "there: later runs fetch only new counts. Same output as without it.",
    ),
]


@contextlib.contextmanager
def history_records(
    client: SegmentsClient,
    segment_id: str,
    *,
    since: dt.datetime | None,
    until: dt.datetime | None,
    db: Path | None,
    limit: int | None = None,
    concurrency: int = CLI_CONCURRENCY,
) -> Iterator[Iterator[CountRecord]]:
    """The segment's records newest first, at most ``limit``: fetched, or synced then read.

    Without ``db`` they come from the parallel walk (``fetch.fetch_history``), closed on
    exit so no request outlives the block. With ``db`` the sync happens on entry, before
    anything is written out, so a failing sync leaves the output untouched; the store
    file stays open for the ``with`` block.
    """
    if db is None:
        fetched = fetch_history(
            client, segment_id, since=since, until=until, limit=limit, concurrency=concurrency
        )
        try:
            yield fetched
        finally:
            fetched.close()
        return
    with HistoryStore(db) as store:
        store.sync(client, [segment_id], concurrency=concurrency)
        yield store.records(segment_id, since=since, until=until, limit=limit)


def sync_command(
    ctx: typer.Context,
    segment_ids: Annotated[
        list[str],
        typer.Argument(
            metavar="SEGMENT_ID...",
            help="Segment ids; `-` reads more ids from stdin (whitespace separated).",
        ),
    ],
    db: Annotated[
        Path,
        typer.Option(
            "--db",
            metavar="PATH",
            envvar=DB_VARIABLE,
            show_envvar=True,
            help="The history store file (SQLite; created if missing).",
        ),
    ],
    lock_timeout: Annotated[
        float,
        typer.Option(
            min=0.0,
            metavar="SECONDS",
            help="How long to wait while another process writes to the store.",
        ),
    ] = DEFAULT_TIMEOUT,
    concurrency: ConcurrencyOption = CLI_CONCURRENCY,
) -> None:
    """Copy segments' count history into a local store; later runs fetch only new counts.

    One request per 100 segments shows which have new counts; only those are walked,
    up to --concurrency at once. Resumable and safe to run twice at once. Records the
    server drops stay in the store.
    """
    options = options_of(ctx)
    with guarded(options):
        ids = read_ids(segment_ids, sys.stdin)
        if not ids:
            raise CliError(ExitCode.USAGE, "no segment ids given (on the command line or stdin)")
        with make_client(options) as client, HistoryStore(db, timeout=lock_timeout) as store:
            results = store.sync_each(
                client, ids, concurrency=concurrency, segments_at_once=concurrency
            )
            for result in results:
                typer.echo(
                    f"segment {result.segment_id}: {result.stored:,} records stored, "
                    f"{result.added:,} new"
                )
