"""The store file's schema, its version, and the migrations between versions.

A store file is a SQLite database whose header carries ``APPLICATION_ID`` (so another
program's database is recognised and left alone) and ``user_version`` = the schema
version it was written with. Opening a file at an older version applies the missing
migrations, each in the same transaction as the version bump; a file at a newer version
is refused (an older program must not guess at a newer layout).

Tables (version 1):

``records``
    one row per count record, keyed by ``(segment_id, run_id)``: fetching a record
    again replaces it with what the server sends, so a sync is idempotent.
    ``recorded_us`` is the timestamp in whole microseconds since the epoch (lossless),
    ``tiebreak`` the record's place among records of the same microsecond as the
    server listed them, so reading back reproduces the server's order exactly.
    ``extra`` (version 2) holds the attributes the server sent beyond the modelled ones
    (``CountRecord.extra``) as a JSON object, NULL when there were none.
``walks``
    the walks of a sync still in progress, one row per walk: records of the segment
    in ``[floor, cursor)`` epoch seconds are not all stored yet (``floor`` NULL: down
    to the first record). Written in the same transaction as each batch of records,
    so a sync killed at any point resumes where it stopped.
``segments``
    every segment synced at least once, with when its newest records were last
    caught up (``synced_us``, the local clock).
``meta``
    ``account``: the API base URL the records came from. Segment ids are only unique
    within an account, so a store holds one account's history and refuses another's.
"""

from __future__ import annotations

from typing import Final

APPLICATION_ID: Final = 0x41435347  # "ACSG" in the SQLite header: this package's store
SCHEMA_VERSION: Final = 2

MIGRATIONS: Final[dict[int, tuple[str, ...]]] = {
    # version -> the statements that bring a file from version - 1 to it
    1: (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
        """
        CREATE TABLE segments (
            segment_id TEXT PRIMARY KEY,
            synced_us INTEGER
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE records (
            segment_id TEXT NOT NULL,
            run_id TEXT NOT NULL,
            recorded_us INTEGER NOT NULL,
            tiebreak INTEGER NOT NULL,
            result_count INTEGER NOT NULL,
            active_result_count INTEGER,
            segment_hash TEXT NOT NULL,
            updating_run_id TEXT,
            PRIMARY KEY (segment_id, run_id)
        ) WITHOUT ROWID
        """,
        """
        CREATE INDEX records_newest_first
            ON records (segment_id, recorded_us DESC, tiebreak, run_id)
        """,
        """
        CREATE TABLE walks (
            walk_id INTEGER PRIMARY KEY,
            segment_id TEXT NOT NULL,
            cursor INTEGER NOT NULL,
            floor INTEGER
        )
        """,
        "CREATE INDEX walks_by_segment ON walks (segment_id)",
    ),
    # A record's unmodelled attributes (`CountRecord.extra`) as a JSON object, NULL when
    # there are none: a store must give back what a fetch gives, extra included.
    2: ("ALTER TABLE records ADD COLUMN extra TEXT",),
}

assert max(MIGRATIONS) == SCHEMA_VERSION
