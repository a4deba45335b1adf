"""Timing helpers: interleaved best-of-N runs that also check every run's result."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping


def best_of(
    variants: Mapping[str, Callable[[], int]],
    expected: int,
    repeats: int,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """The fastest time of each variant over ``repeats`` rounds, by ``clock`` (default: wall).

    The variants run interleaved (a, b, c, a, b, c, ...) so that a noisy neighbour slows all of
    them alike; each must return ``expected`` (the records it saw) or the benchmark is void.
    """
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(repeats):
        for name, fn in variants.items():
            start = clock()
            got = fn()
            elapsed = clock() - start
            if got != expected:
                raise RuntimeError(f"{name} saw {got} records, expected {expected}")
            best[name] = min(best[name], elapsed)
    return best
