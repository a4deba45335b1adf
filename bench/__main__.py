"""``python -m bench``: run the benchmarks, print one table each, write ``bench/results.json``.

Options: ``--quick`` (small sizes, for a smoke run; the figures are not the documented ones),
``--only 0,2`` (a subset), ``--output PATH`` (where to write the JSON; a subset or quick run
writes ``bench/results.partial.json`` by default, so it never replaces a full run's figures).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from bench import (
    b0_inprocess,
    b1_saturation,
    b2_loopback,
    b3_memory,
    b4_parallel,
    b5_store,
    b6_sync,
    b7_processes,
    b8_testing,
    machine,
)
from bench.results import Figure, table, write_json

BENCHMARKS: dict[str, ModuleType] = {
    "0": b0_inprocess,
    "1": b1_saturation,
    "2": b2_loopback,
    "3": b3_memory,
    "4": b4_parallel,
    "5": b5_store,
    "6": b6_sync,
    "7": b7_processes,
    "8": b8_testing,
}
TOKEN_VARIABLE = "BENCH_API_TOKEN"
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results.json"
# A subset or --quick run must not replace the committed figures of a full run.
PARTIAL_OUTPUT = Path(__file__).resolve().parent / "results.partial.json"


def main(argv: list[str] | None = None, out: Callable[[str], None] = print) -> int:
    """Run the selected benchmarks; return 0 when every goal is met, 1 otherwise."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="e.g. 0,2")
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help=f"default: {DEFAULT_OUTPUT.name} for a full run, {PARTIAL_OUTPUT.name} otherwise",
    )
    args = parser.parse_args(argv)
    selected = [key.strip() for key in args.only.split(",") if key.strip()]
    unknown = [key for key in selected if key not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {sorted(BENCHMARKS)}")

    if args.output is None:
        full = not args.quick and sorted(selected) == sorted(BENCHMARKS)
        args.output = DEFAULT_OUTPUT if full else PARTIAL_OUTPUT
    where = machine.describe()
    # A fresh, distinctive token per run (or the one the security tests give, which then grep
    # every output of the run for it). It reaches the simulators and clients, never the output.
    token = os.environ.get(TOKEN_VARIABLE) or "bench-" + secrets.token_hex(12)
    out(f"machine: {where}" + ("  (quick run: sizes reduced)" if args.quick else ""))
    figures: list[Figure] = []
    for key in selected:
        module = BENCHMARKS[key]
        start = time.perf_counter()
        measured = module.run(where, token, args.quick)
        took = time.perf_counter() - start
        figures += measured
        title = module.TITLE.format(rps=25 if args.quick else 5)
        out("\n" + table(title, measured) + f"\n(ran in {took:.1f} s)")
    write_json(args.output, figures)
    missed = [f.name for f in figures if f.met is False]
    out(f"\nwrote {len(figures)} figures to {args.output}")
    if missed:
        out("goals NOT met: " + "; ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
