"""The client-side ratios of benchmarks 0 and 2 measured with pyperf, with their spread.

A best-of-7 in one process swung by a third between runs of unchanged code (c/b 1.09 to
1.37, issue 18): one process's memory layout, hash seed and neighbours decide much of it.
pyperf runs each variant in several fresh processes (``--processes``), calibrates the loop
count, discards warm-up values and keeps several values per process, so a figure is the
mean over processes and the spread between processes is reported beside it.

This module is both sides: ``measure()`` (called by the benchmarks) starts
``python -m bench.cpu_pyperf``, pyperf's runner, which starts the worker processes and
writes a pyperf JSON file that ``measure()`` reads back. Settings travel to the workers in
environment variables (``--inherit-environ``), so the API token is never on a command line.
pyperf runs the processes of one variant after another variant's, so the ratios use the
per-process means of each variant (process k of one against process k of the other) only
for the spread; the figure itself is the ratio of the overall means.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyperf

from bench.results import Figure, check

ROOT = Path(__file__).resolve().parent.parent
ENV_SUITE_URL = "BENCH_CPU_URL"
ENV_SUITE_TOKEN = "BENCH_CPU_TOKEN"
ENV_SUITE_RECORDS = "BENCH_CPU_RECORDS"
CLOCKS: dict[str, Callable[[], float]] = {"cpu": time.process_time, "wall": time.perf_counter}


def _variants(suite: str) -> dict[str, Callable[[], int]]:
    # Imported here: each suite's module imports this one for measure().
    from bench import b0_inprocess, b2_loopback

    token = os.environ[ENV_SUITE_TOKEN]
    records = int(os.environ[ENV_SUITE_RECORDS])
    if suite == "b0":
        return b0_inprocess.variants(token, records)
    return b2_loopback.variants(os.environ[ENV_SUITE_URL], token)


def _timed(
    fn: Callable[[], int], expected: int, clock: Callable[[], float]
) -> Callable[[int], float]:
    def time_func(loops: int) -> float:
        start = clock()
        for _ in range(loops):
            got = fn()
            if got != expected:
                raise RuntimeError(f"saw {got} records, expected {expected}")
        return clock() - start

    return time_func


def _forward(cmd: list[str], args: object) -> None:
    cmd.extend(("--suite", getattr(args, "suite"), "--clock", getattr(args, "clock")))  # noqa: B009


def main() -> None:
    """pyperf's runner (and, with ``--worker``, one of its workers)."""
    runner = pyperf.Runner(program_args=("-m", "bench.cpu_pyperf"), add_cmdline_args=_forward)
    runner.argparser.add_argument("--suite", choices=("b0", "b2"), required=True)
    runner.argparser.add_argument("--clock", choices=sorted(CLOCKS), required=True)
    args = runner.parse_args()
    expected = int(os.environ[ENV_SUITE_RECORDS])
    for name, fn in _variants(args.suite).items():
        runner.bench_time_func(name, _timed(fn, expected, CLOCKS[args.clock]))


def measure(
    suite: str,
    *,
    token: str,
    records: int,
    clock: str,
    processes: int,
    values: int,
    base_url: str = "",
) -> dict[str, list[float]]:
    """Run ``suite``'s variants under pyperf; return each variant's per-process mean (s)."""
    env = {
        **os.environ,
        ENV_SUITE_URL: base_url,
        ENV_SUITE_TOKEN: token,
        ENV_SUITE_RECORDS: str(records),
    }
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "pyperf.json"
        command = [sys.executable, "-m", "bench.cpu_pyperf", "--suite", suite, "--clock", clock]
        command += ["--processes", str(processes), "--values", str(values), "--warmups", "1"]
        command += ["--quiet", "--output", str(out)]
        command += ["--inherit-environ", f"{ENV_SUITE_URL},{ENV_SUITE_TOKEN},{ENV_SUITE_RECORDS}"]
        subprocess.run(command, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
        loaded = pyperf.BenchmarkSuite.load(str(out))
    return {
        bench.get_name(): [statistics.fmean(run.values) for run in bench.get_runs() if run.values]
        for bench in loaded.get_benchmarks()
    }


def ratio_figures(
    name: str,
    numerator: list[float],
    denominator: list[float],
    bound: float,
    machine: str,
    processes_name: str,
) -> list[Figure]:
    """The ratio of the means (goal ``<= bound``) and the spread of the per-process ratios."""
    ratios = [n / d for n, d in zip(numerator, denominator, strict=False)]
    ratio = statistics.fmean(numerator) / statistics.fmean(denominator)
    spread = statistics.stdev(ratios) if len(ratios) > 1 else 0.0
    goal, met = check(round(ratio, 3), "<=", bound)
    return [
        Figure(name, ratio, "x", goal, met, machine),
        Figure(f"{name}: std over processes", spread, "x", machine=machine),
        Figure(f"{name}: min over processes", min(ratios), "x", machine=machine),
        Figure(f"{name}: max over processes", max(ratios), "x", machine=machine),
        Figure(processes_name, len(ratios), "processes", machine=machine),
    ]


if __name__ == "__main__":
    main()
