"""A sync killed with SIGKILL at random points is finished by the next sync, with
nothing lost and nothing stored twice; two syncs of one file at once both succeed."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from multiprocessing.process import BaseProcess
from pathlib import Path

import pytest
from activecampaign_segments import SegmentsClient
from activecampaign_segments.store import HistoryStore
from activecampaign_simulator.server import SimulatorHandle

from tests.store.conftest import BIG, client_for
from tests.store.helpers import add_counts, unfinished_walks, walked

SEGMENT_IDS = [BIG, "1"]
LATENCY = 0.02  # seconds per answer: a sync takes long enough to be cut mid-walk
# A forked child starts at once (it inherits this process's imports); it is a separate
# process all the same, and SIGKILL gives it no chance to clean up.
FORK = multiprocessing.get_context("fork")


def _stored(db: Path) -> int:
    """Records in the file now (0 while it is being created)."""
    try:
        reader = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
    except sqlite3.Error:
        return 0  # not there yet
    try:
        return int(reader.execute("SELECT COUNT(*) FROM records").fetchone()[0])
    except sqlite3.Error:
        return 0  # being set up
    finally:
        reader.close()


def _sync(base_url: str, token: str, db: Path) -> None:
    with (
        SegmentsClient(base_url, token, requests_per_second=None) as client,
        HistoryStore(db) as store,
    ):
        store.sync(client, SEGMENT_IDS)


def _start(sim: SimulatorHandle, db: Path) -> BaseProcess:
    child = FORK.Process(target=_sync, args=(sim.base_url, sim.token, db), daemon=True)
    child.start()
    return child


def _kill(child: BaseProcess, rng: random.Random, db: Path, total: int) -> str:
    """SIGKILL the child at a random point: after a random number of stored records,
    or after a random delay (which may fall while the file is being set up)."""
    if rng.random() < 0.6:
        target = min(_stored(db) + rng.randint(1, 400), total - 1)
        deadline = time.monotonic() + 60
        while _stored(db) < target and child.is_alive() and time.monotonic() < deadline:
            time.sleep(0.002)
        how = f"after {target} records"
    else:
        delay = rng.uniform(0.0, 0.3)
        time.sleep(delay)
        how = f"after {delay:.2f} s"
    assert child.pid is not None
    os.kill(child.pid, signal.SIGKILL)
    child.join(30)
    return how


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_sigkill_at_random_points_loses_and_repeats_nothing(
    make_sim: object, tmp_path: Path, seed: int
) -> None:
    sim: SimulatorHandle = make_sim(latency=LATENCY)  # type: ignore[operator]
    rng = random.Random(seed)
    db = tmp_path / "killed.db"
    kills: list[tuple[str, bool]] = []
    for round_ in range(3):
        total = sum(sim.store.record_count(s) for s in SEGMENT_IDS)
        how = _kill(_start(sim, db), rng, db, total)
        cut_short = _stored(db) < total or _unfinished(db)
        kills.append((how, cut_short))
        # The server moves on between runs: new counts above what was stored.
        add_counts(sim, BIG, [1000 * (i + 1) for i in range(rng.randint(0, 70))], f"r{round_}")
    assert any(cut for _, cut in kills), f"no kill landed before the sync finished: {kills}"
    with client_for(sim) as client, HistoryStore(db) as store:
        store.sync(client, SEGMENT_IDS)
        for segment_id in SEGMENT_IDS:
            assert list(store.records(segment_id)) == walked(sim, segment_id), segment_id
    assert unfinished_walks(db) == 0


def _unfinished(db: Path) -> bool:
    try:
        return unfinished_walks(db) > 0
    except sqlite3.Error:
        return True  # killed while the file was being set up (or before it existed)


@pytest.mark.slow
def test_two_syncs_of_one_file_at_once_both_succeed(make_sim: object, tmp_path: Path) -> None:
    sim: SimulatorHandle = make_sim(latency=0.01)  # type: ignore[operator]
    db = tmp_path / "shared.db"
    ids = [BIG, "1", "2"]
    command = [sys.executable, "-m", "activecampaign_segments.cli", "--rps", "0", "sync", *ids]
    env = {
        **os.environ,
        "ACTIVECAMPAIGN_API_URL": sim.base_url,
        "ACTIVECAMPAIGN_API_KEY": sim.token,
    }
    env["ACTIVECAMPAIGN_SEGMENTS_DB"] = str(db)
    children = [
        subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        for _ in range(2)
    ]
    outputs = [child.communicate(timeout=120) for child in children]
    for child, (_out, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err
        assert err == ""
    with HistoryStore(db) as store:
        for index, segment_id in enumerate(ids):
            expected = walked(sim, segment_id)
            assert list(store.records(segment_id)) == expected
            # Each record was new to exactly one of the two: "new" adds up to the total.
            added = [int(out.splitlines()[index].split(", ")[1].split()[0]) for out, _ in outputs]
            assert sum(added) == len(expected), (segment_id, added)
    assert unfinished_walks(db) == 0
