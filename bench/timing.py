"""Timing helpers: interleaved best-of-N runs that also check every run's result."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping


def best_of(
    variants: Mapping[str, Callable[[], int]], expected: int, repeats: int
) -> dict[str, float]:
    """The fastest wall time of each variant over ``repeats`` rounds.

    The variants run interleaved (a, b, c, a, b, c, ...) so that a noisy neighbour slows all of
    them alike; each must return ``expected`` (the records it saw) or the benchmark is void.
    """
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(repeats):
        for name, fn in variants.items():
            start = time.perf_counter()
            got = fn()
            elapsed = time.perf_counter() - start
            if got != expected:
                raise RuntimeError(f"{name} saw {got} records, expected {expected}")
            best[name] = min(best[name], elapsed)
    return best
