"""Benchmark 5: the local history store, ``ac-segments history SEGMENT --db PATH``.

One segment of 2,500 records on the simulator (in a thread of this process, so its
response counter can be read; its answers wait 300 ms and it allows 5 requests per
second, like a real account far away). The CLI runs in process, writing to a file:
``history big`` without a store (the baseline), then with ``--db`` on an empty store
(the whole history is synced), again (nothing new: one request, the rest from the file),
and once more after one new count appeared on the server. Every ``--db`` output must be
byte for byte the baseline's (plus the new count), or the benchmark is void.

The goals are on the command's own time (in process): a fresh ``ac-segments`` process adds
the interpreter's start-up and imports, which do not depend on the store and which a busy
machine stretches; one such run is shown beside them, without a goal.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from activecampaign_segments.cli import app
from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.server import SimulatorHandle, serve_in_thread
from typer.testing import CliRunner

from bench.results import Figure, check

TITLE = "5. History store: history --db (one segment, 300 ms latency, {rps:g} rps)"
SEGMENT = "big"
# Time for the simulator's bucket to refill between runs, so each starts alike.
SETTLE_SECONDS = 2.0


def _requests(sim: SimulatorHandle) -> int:
    counts = sim.app.state.status_counts
    return int(sum(counts.values()))


def _history(sim: SimulatorHandle, rps: float, out: Path, *extra: str) -> tuple[float, int, bytes]:
    """Run ``ac-segments history big -o OUT [extra]``; wall seconds, requests, output."""
    args = ["--base-url", sim.base_url, "--rps", f"{rps:g}", "history", SEGMENT, "-o", str(out)]
    env = {"ACTIVECAMPAIGN_API_KEY": sim.token, "ACTIVECAMPAIGN_SEGMENTS_DB": None}
    before = _requests(sim)
    start = time.perf_counter()
    result = CliRunner().invoke(app, [*args, *extra], env=env)
    wall = time.perf_counter() - start
    if result.exit_code != 0:
        raise RuntimeError(f"history {' '.join(extra)} failed: {result.stderr.strip()}")
    return wall, _requests(sim) - before, out.read_bytes()


def _history_process(sim: SimulatorHandle, rps: float, out: Path, db: str) -> tuple[float, int]:
    """``history big --db`` as a new ``ac-segments`` process: wall seconds, requests."""
    command = [sys.executable, "-m", "activecampaign_segments.cli", "--base-url", sim.base_url]
    command += ["--rps", f"{rps:g}", "history", SEGMENT, "-o", str(out), "--db", db]
    env = {**os.environ, "ACTIVECAMPAIGN_API_KEY": sim.token}
    env.pop("ACTIVECAMPAIGN_SEGMENTS_DB", None)
    before = _requests(sim)
    start = time.perf_counter()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"ac-segments history --db failed: {proc.stderr.strip()}")
    return wall, _requests(sim) - before


def run(machine: str, token: str, quick: bool) -> list[Figure]:
    """Measure the four runs against one simulator; return the figures."""
    rps = 25.0 if quick else 5.0
    records = 500 if quick else 2_500
    config = SimulatorConfig(
        segments=1,
        history=10,
        rps=rps,
        latency=0.3,
        token=token,
        extra_segments={SEGMENT: records},
    )
    with serve_in_thread(config) as sim, tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        db = str(here / "history.db")
        plain = _history(sim, rps, here / "plain.jsonl")
        time.sleep(SETTLE_SECONDS)
        first = _history(sim, rps, here / "first.jsonl", "--db", db)
        time.sleep(SETTLE_SECONDS)
        second = _history(sim, rps, here / "second.jsonl", "--db", db)
        newest_ms = sim.store.page(SEGMENT, limit=1)[0][1]
        new = (SEGMENT, newest_ms + 60_000, "bench-hash", "bench-new-count", 1, None, None)
        sim.store.add(new)
        time.sleep(SETTLE_SECONDS)
        third = _history(sim, rps, here / "third.jsonl", "--db", db)
        process = _history_process(sim, rps, here / "process.jsonl", db)
        if (here / "process.jsonl").read_bytes() != third[2]:
            raise RuntimeError("history --db in a new process printed something else")
    if not plain[2] or first[2] != plain[2] or second[2] != plain[2]:
        raise RuntimeError("history --db printed something else than history without it")
    first_line, _, rest = third[2].partition(b"\n")
    if b"bench-new-count" not in first_line or rest != plain[2]:
        raise RuntimeError("history --db did not pick up the new count (or lost another)")

    ratio = second[0] / first[0]
    ratio_goal, ratio_met = check(round(ratio, 3), "<=", 0.1)
    second_goal, second_met = check(second[1], "<=", 2)
    new_goal, new_met = check(third[1], "<=", 2)
    plain_label = f"history {SEGMENT} ({records:,} records), no store"
    first_label = "first history --db (empty store: syncs it all)"
    second_label = "second history --db (nothing new)"
    third_label = "history --db after one new count"
    return [
        Figure(f"{plain_label}: wall", plain[0], "s", machine=machine),
        Figure(f"{plain_label}: requests", plain[1], "requests", machine=machine),
        Figure(f"{first_label}: wall", first[0], "s", machine=machine),
        Figure(f"{first_label}: requests", first[1], "requests", machine=machine),
        Figure(f"{first_label}: wall / no store", first[0] / plain[0], "x", machine=machine),
        Figure(f"{second_label}: wall", second[0], "s", machine=machine),
        Figure(
            f"{second_label}: requests", second[1], "requests", second_goal, second_met, machine
        ),
        Figure(f"{second_label}: wall / first", ratio, "x", ratio_goal, ratio_met, machine),
        Figure(f"{third_label}: wall", third[0], "s", machine=machine),
        Figure(f"{third_label}: requests", third[1], "requests", new_goal, new_met, machine),
        Figure(
            "history --db as a new ac-segments process (start-up included): wall",
            process[0],
            "s",
            machine=machine,
        ),
        Figure(
            "history --db as a new ac-segments process: requests",
            process[1],
            "requests",
            machine=machine,
        ),
    ]
