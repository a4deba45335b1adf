"""``CountRecord.extra`` survives the store.

What a sync stores reads back equal to what the client fetched, unmodelled attributes
included (so ``history --db`` prints them as ``history`` does: the CLI formats records,
whatever their source); and a store file written before the ``extra`` column existed
(schema version 1) is migrated in place, its records kept."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx
from activecampaign_segments.store import HistoryStore
from activecampaign_segments.store._schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION
from activecampaign_simulator.server import SimulatorHandle

from tests.store.conftest import client_for

# Attributes the document does not describe, as a server that added fields would send them.
EXTRA = {"contact_delta": -3, "note": "ünï %2F +", "tags": ["a", {"b": None}]}


class _AddsAttributes(httpx.BaseTransport):
    """Forwards to the simulator and adds ``EXTRA`` to every record's attributes."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        response.read()
        if response.status_code != 200:
            return response
        body = json.loads(response.content)
        for item in body["data"]:
            item["attributes"].update(EXTRA)
        return httpx.Response(200, json=body, headers={"content-type": "application/json"})


def test_unmodelled_attributes_read_back_as_fetched(shared_sim: SimulatorHandle, db: Path) -> None:
    with client_for(shared_sim, transport=_AddsAttributes()) as client:
        fetched = list(client.count_history("2"))
        assert fetched and all(record.extra == EXTRA for record in fetched)
        with HistoryStore(db) as store:
            store.sync(client, ["2"])
            assert list(store.records("2")) == fetched
            # Read back twice: the mapping is rebuilt from the file each time.
            assert [dict(r.extra) for r in store.records("2")] == [EXTRA] * len(fetched)


def test_records_without_extra_store_no_json(shared_sim: SimulatorHandle, db: Path) -> None:
    with client_for(shared_sim) as client, HistoryStore(db) as store:
        store.sync(client, ["3"])
        assert all(not record.extra for record in store.records("3"))
    with sqlite3.connect(db) as connection:
        assert (
            connection.execute("SELECT COUNT(*) FROM records WHERE extra IS NOT NULL").fetchone()[0]
            == 0
        )


def _version_1_file(path: Path) -> None:
    connection = sqlite3.connect(path)
    with connection:
        for statement in MIGRATIONS[1]:
            connection.execute(statement)
        connection.execute(
            "INSERT INTO records VALUES ('7', 'run-old', 1700000000123000, 0, 42, NULL, 'h', NULL)"
        )
        connection.execute("INSERT INTO segments VALUES ('7', NULL)")
        connection.execute(f"PRAGMA application_id = {APPLICATION_ID:d}")
        connection.execute("PRAGMA user_version = 1")
    connection.close()


def test_a_version_1_store_is_migrated_and_keeps_its_records(tmp_path: Path) -> None:
    assert SCHEMA_VERSION == 2
    path = tmp_path / "old.db"
    _version_1_file(path)
    with HistoryStore(path) as store:
        (record,) = store.records("7")
        assert (record.run_id, record.result_count, dict(record.extra)) == ("run-old", 42, {})
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        columns = [row[1] for row in connection.execute("PRAGMA table_info(records)")]
        assert columns[-1] == "extra"
