"""Benchmark 3: ``ac-segments history`` streams, so its memory does not grow with the history.

Peak resident memory of the CLI (a child process, measured with GNU time) writing
200,000 records to a CSV file, against 20,000 records. Each history is served by its own
simulator process, so the simulator's memory is not counted; the CLI runs with ``--rps 0``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from activecampaign_simulator.process import simulator_process

from bench.results import Figure, check

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


def _peak_rss_mib(base_url: str, token: str, output: Path, workdir: Path) -> tuple[float, str]:
    """Run the CLI once; return its peak RSS in MiB and how it was measured.

    Not ``getrusage(RUSAGE_CHILDREN)``/``wait4`` of a child forked from this process: Linux
    folds the pre-exec memory (a copy of this ~50 MiB benchmark process) into the child's
    ``ru_maxrss``, which would hide the CLI's own figure. GNU time's ``%M`` (its own process is
    tiny) measures the CLI alone; without it, the child's ``VmHWM`` (peak since exec) is polled.
    """
    command = [*_cli(), "--base-url", base_url, "--rps", "0", "history", SEGMENT]
    command += ["--format", "csv", "--output", str(output)]
    # The token goes through the environment, never the command line (ps would show it).
    env = {**os.environ, "ACTIVECAMPAIGN_API_KEY": token}
    gnu_time = Path("/usr/bin/time")
    if gnu_time.exists():
        report = workdir / "time.txt"
        command = [str(gnu_time), "-f", "%M", "-o", str(report), *command]
        _run(command, env)
        return int(report.read_text().split()[-1]) / 1024, "GNU time %M"
    peak = _run(command, env, poll_hwm=True)
    return peak / 1024, "VmHWM polled every 20 ms"


def _run(command: list[str], env: dict[str, str], *, poll_hwm: bool = False) -> int:
    """Run to completion; raise on failure; return the last VmHWM (KiB) seen if polling."""
    proc = subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    peak = 0
    while poll_hwm and proc.poll() is None:
        with contextlib.suppress(OSError, ValueError, IndexError):
            status = Path(f"/proc/{proc.pid}/status").read_text()
            peak = max(
                peak,
                *(
                    int(line.split()[1])
                    for line in status.splitlines()
                    if line.startswith("VmHWM:")
                ),
            )
        time.sleep(0.02)
    _, stderr = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"ac-segments exited {proc.returncode}: {stderr.decode()[-2000:]}")
    return peak


def _rows(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f) - 1  # minus the header line


def run(machine: str, token: str, quick: bool) -> list[Figure]:
    """Measure the small and the large history; return the figures."""
    small, large = (2_000, 20_000) if quick else (20_000, 200_000)
    peaks: dict[int, float] = {}
    method = ""
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        for records in (small, large):
            args = ["--segments", "1", "--history", str(records), "--rps", "0", "--token", token]
            output = Path(tmp) / f"history-{records}.csv"
            with simulator_process(*args) as sim:
                peaks[records], method = _peak_rss_mib(sim.base_url, token, output, Path(tmp))
            rows = _rows(output)
            if rows != records:
                raise RuntimeError(f"the CSV of {records} records has {rows} rows")
    diff = peaks[large] - peaks[small]
    goal, met = check(round(diff, 2), "<", 10)
    return [
        Figure(f"peak RSS, {small:,} records ({method})", peaks[small], "MiB", machine=machine),
        Figure(f"peak RSS, {large:,} records", peaks[large], "MiB", machine=machine),
        Figure("difference", diff, "MiB", goal, met, machine),
    ]
