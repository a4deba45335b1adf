"""Timing helpers: interleaved best-of-N runs that also check every run's result."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping


def best_times(
    variants: Mapping[str, Callable[[], int]], expected: int, repeats: int
) -> tuple[dict[str, float], dict[str, float]]:
    """The fastest wall time and the least process CPU time of each variant over ``repeats``.

    The variants run interleaved (a, b, c, a, b, c, ...) so that a noisy neighbour slows all of
    them alike; each must return ``expected`` (the records it saw) or the benchmark is void.
    CPU time is this process's only (a server in another process is not counted), which other
    processes on a shared machine disturb far less than wall time.
    """
    wall = dict.fromkeys(variants, float("inf"))
    cpu = dict.fromkeys(variants, float("inf"))
    for _ in range(repeats):
        for name, fn in variants.items():
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            got = fn()
            wall[name] = min(wall[name], time.perf_counter() - start_wall)
            cpu[name] = min(cpu[name], time.process_time() - start_cpu)
            if got != expected:
                raise RuntimeError(f"{name} saw {got} records, expected {expected}")
    return wall, cpu
