"""A local history store: segments' count history in one SQLite file, synced incrementally.

Counts already recorded never change, so fetching them again on every run is waste::

    from activecampaign_segments import SegmentsClient
    from activecampaign_segments.store import HistoryStore

    with SegmentsClient.from_env() as client, HistoryStore("history.db") as store:
        store.sync(client, ["4"])
        records = list(store.records("4"))   # newest first

``AsyncHistoryStore`` is the asyncio twin. Standard library only (``sqlite3``).
See ``docs/store.md`` for resumability, concurrency, retention and the errors.
"""

from ._errors import (
    CorruptStoreError,
    NewerStoreError,
    NotAStoreError,
    OtherAccountError,
    StoreAccessError,
    StoreError,
    StoreLockedError,
)
from ._history import (
    DEFAULT_TIMEOUT,
    AsyncHistoryStore,
    HistoryStore,
    SegmentSummary,
    SyncResult,
)
from ._schema import SCHEMA_VERSION

__all__ = [
    "DEFAULT_TIMEOUT",
    "SCHEMA_VERSION",
    "AsyncHistoryStore",
    "CorruptStoreError",
    "HistoryStore",
    "NewerStoreError",
    "NotAStoreError",
    "OtherAccountError",
    "SegmentSummary",
    "StoreAccessError",
    "StoreError",
    "StoreLockedError",
    "SyncResult",
]
