"""Benchmark 3: ``ac-segments history`` streams, so its memory does not grow with the history.

Peak resident memory of the CLI (a child process; ``os.wait4`` gives its own rusage) writing
200,000 records to a CSV file, against 20,000 records. Each history is served by its own
simulator process, so the simulator's memory is not counted; the CLI runs with ``--rps 0``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.results import Figure, check
from bench.simproc import simulator_process

TITLE = "3. Memory: ac-segments history to CSV (peak RSS of the CLI process)"
SEGMENT = "1"


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("ac-segments")
    if script.exists():
        return [str(script)]
    found = shutil.which("ac-segments")
    if found is None:
        raise RuntimeError("the ac-segments console script is not installed")
    return [found]


def _peak_rss_mib(base_url: str, token: str, output: Path) -> float:
    """Run the CLI once; return its peak RSS in MiB (ru_maxrss is KiB on Linux)."""
    command = [*_cli(), "--base-url", base_url, "--rps", "0", "history", SEGMENT]
    command += ["--format", "csv", "--output", str(output)]
    # The token goes through the environment, never the command line (ps would show it).
    env = {**os.environ, "ACTIVECAMPAIGN_API_KEY": token}
    proc = subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"ac-segments exited {proc.returncode}: {stderr.decode()[-2000:]}")
    return usage.ru_maxrss / 1024


def _rows(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f) - 1  # minus the header line


def run(machine: str, token: str, quick: bool) -> list[Figure]:
    """Measure the small and the large history; return the figures."""
    small, large = (2_000, 20_000) if quick else (20_000, 200_000)
    peaks: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        for records in (small, large):
            args = ["--segments", "1", "--history", str(records), "--rps", "0", "--token", token]
            output = Path(tmp) / f"history-{records}.csv"
            with simulator_process(*args) as sim:
                peaks[records] = _peak_rss_mib(sim.base_url, token, output)
            rows = _rows(output)
            if rows != records:
                raise RuntimeError(f"the CSV of {records} records has {rows} rows")
    diff = peaks[large] - peaks[small]
    goal, met = check(round(diff, 2), "<", 10)
    return [
        Figure(f"peak RSS, {small:,} records", peaks[small], "MiB", machine=machine),
        Figure(f"peak RSS, {large:,} records", peaks[large], "MiB", machine=machine),
        Figure("difference", diff, "MiB", goal, met, machine),
    ]
