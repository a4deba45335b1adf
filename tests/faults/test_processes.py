"""Four ``ac-segments`` processes on one account, with injected 429s and 5xx.

Real processes (the installed CLI under this interpreter), one in-thread simulator that
enforces the account's rate and injects faults, one history store file they all write,
and the shared rate-limit schedule of this test run. Small histories at a fast rate keep it
short; there is no timing goal here (those are in ``make bench``, benchmark 7).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from activecampaign_segments.store import HistoryStore
from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.server import SimulatorHandle, serve_in_thread

from tests.faults.conftest import FigureSink

PROCESSES = 4
SEGMENTS = ["1", "2", "3", "4"]
HISTORY = 1000
RATE = 10.0


@pytest.fixture
def sim() -> Iterator[SimulatorHandle]:
    config = SimulatorConfig(
        segments=len(SEGMENTS),
        history=HISTORY,
        rps=RATE,
        latency=0.01,
        error_rate=0.06,
        throttle_rate=0.04,
        seed=18,
    )
    with serve_in_thread(config) as handle:
        yield handle


def test_four_processes_with_injected_faults_lose_and_duplicate_nothing(
    sim: SimulatorHandle, tmp_path: Path, fault_figures: FigureSink
) -> None:
    db = tmp_path / "history.db"
    env = {
        **os.environ,
        "ACTIVECAMPAIGN_API_URL": sim.base_url,
        "ACTIVECAMPAIGN_API_KEY": sim.token,
    }
    procs = []
    for index in range(PROCESSES):
        segment = SEGMENTS[index % len(SEGMENTS)]
        out = tmp_path / f"out-{index}.jsonl"
        command = [sys.executable, "-m", "activecampaign_segments.cli", "--rps", f"{RATE:g}"]
        command += ["history", segment, "--db", str(db), "--format", "jsonl", "--output", str(out)]
        procs.append((segment, out, subprocess.Popen(command, env=env, stderr=subprocess.PIPE)))
    for _segment, _out, proc in procs:
        _, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr.decode(errors="replace")

    truth = {s: [r["run_id"] for r in sim.store.records(s)] for s in SEGMENTS}
    for segment, out, _proc in procs:
        printed = [json.loads(line)["run_id"] for line in out.read_text().splitlines()]
        assert printed == truth[segment]  # every record, once, newest first
    with HistoryStore(db) as store:
        for segment in SEGMENTS:
            assert [r.run_id for r in store.records(segment)] == truth[segment]

    statuses = dict(sim.app.state.status_counts)
    injected = dict(sim.app.state.faults.counts)
    requests = sum(statuses.values())
    # 429s the account's own bucket gave (not the injected ones): the processes shared the
    # rate through the schedule file, so almost none.
    over_limit = statuses.get(429, 0) - injected.get("throttle", 0)
    assert over_limit <= 0.05 * requests, (statuses, injected)
    fault_figures(
        f"{PROCESSES} CLI processes, one account at {RATE:g} rps,"
        f" {len(SEGMENTS)} segments x {HISTORY} records, 6 % 503/520, 4 % 429",
        {
            "requests answered": requests,
            "faults injected": injected,
            "429s from the account's limit": over_limit,
            "records lost": 0,
            "duplicates": 0,
        },
    )
