"""A sync killed with SIGKILL at random points is finished by the next sync, with
nothing lost and nothing stored twice; two syncs of one file at once both succeed.

The children are forked: they start at once (no interpreter start-up and imports to
wait for), and they are separate processes all the same, with their own connections.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import sys
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from pathlib import Path

import pytest
from activecampaign_segments import SegmentsClient
from activecampaign_segments.cli import app
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
    make_sim: Callable[..., SimulatorHandle], tmp_path: Path, seed: int
) -> None:
    sim = make_sim(latency=LATENCY)
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


def _cli(args: list[str], env: dict[str, str], output: Path) -> None:
    """A forked child: ``ac-segments ARGS`` with ``env``, stdout and stderr to ``output``."""
    os.environ.update(env)
    with output.open("w") as out:
        sys.stdout = sys.stderr = out
        app(args, prog_name="ac-segments")  # exits with the command's status


@pytest.mark.parametrize("start", ["together", "staggered"])
def test_two_syncs_of_one_file_at_once_both_succeed(
    make_sim: Callable[..., SimulatorHandle], tmp_path: Path, start: str
) -> None:
    # together: no latency, both set up the new file and write at full speed, so their
    # transactions collide (this fails without the busy timeout and retries).
    # staggered: the second starts once the first has stored some records, so it
    # catches up at the top, then works on the first one's unfinished walk with it.
    together = start == "together"
    sim = make_sim(latency=0.0 if together else 0.01)
    db = tmp_path / "shared.db"
    ids = [BIG, "1", "2"]
    env = {
        "ACTIVECAMPAIGN_API_URL": sim.base_url,
        "ACTIVECAMPAIGN_API_KEY": sim.token,
        "ACTIVECAMPAIGN_SEGMENTS_DB": str(db),
    }
    # Two processes (two cron jobs) on a file that does not exist yet.
    outputs = [tmp_path / f"out-{n}.txt" for n in range(2)]
    children = [
        FORK.Process(target=_cli, args=(["--rps", "0", "sync", *ids], env, out), daemon=True)
        for out in outputs
    ]
    children[0].start()
    deadline = time.monotonic() + 60
    while not together and _stored(db) < 100 and time.monotonic() < deadline:
        time.sleep(0.002)
    children[1].start()
    for child in children:
        child.join(120)
    texts = [out.read_text() for out in outputs]
    assert [child.exitcode for child in children] == [0, 0], texts
    with HistoryStore(db) as store:
        for index, segment_id in enumerate(ids):
            expected = walked(sim, segment_id)
            assert list(store.records(segment_id)) == expected
            # Each record was new to exactly one of the two: "new" adds up to the total.
            added = [int(text.splitlines()[index].split(", ")[1].split()[0]) for text in texts]
            assert sum(added) == len(expected), (segment_id, added)
    assert unfinished_walks(db) == 0
