"""Benchmark 8: what a fresh simulated account costs a user's test (the pytest plugin).

A generated test module runs in this process with ``pytest.main``, the plugin found through
its entry point as in a user's project: N tests that use no fixture (the baseline), N that
ask for ``ac_simulator`` and N that ask for ``ac_client`` (an account and a client bound to
it, one request each). pytest times every test's setup and teardown phases; the cost of a
fixture is the median of those phases over its tests, after the first (which starts the
session's server), minus the median of the baseline's. The first test's setup is shown
beside it, and so is one ``with simulated_account()`` block, which starts and stops a server
of its own (the context manager for unittest and notebooks).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pytest
from activecampaign_segments.testing import simulated_account

from bench.results import Figure, check

TITLE = "8. Testing fixtures: a fresh simulated account per test (pytest, in process)"
GOAL_MS = 20.0

_MODULE = """
import pytest

N = {n}


@pytest.mark.parametrize("i", range(N))
def test_plain(i):
    pass


@pytest.mark.parametrize("i", range(N))
def test_account(i, ac_simulator):
    ac_simulator.add_count("4", i)


@pytest.mark.parametrize("i", range(N))
def test_client(i, ac_simulator, ac_client):
    ac_simulator.add_count("4", i)
    assert ac_client.latest_counts(["4"])["4"].result_count == i
"""


class _PhaseTimes:
    """A pytest plugin object: setup + teardown seconds of each test, by test function."""

    def __init__(self) -> None:
        self.seconds: dict[str, list[float]] = defaultdict(list)
        self.setup: dict[str, list[float]] = defaultdict(list)
        self.failed: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        name = report.nodeid.split("::")[-1].split("[")[0]
        if report.failed:
            self.failed.append(report.nodeid)
        if report.when == "setup":
            self.setup[name].append(report.duration)
            self.seconds[name].append(report.duration)
        elif report.when == "teardown":
            self.seconds[name][-1] += report.duration


def _run_module(n: int) -> _PhaseTimes:
    times = _PhaseTimes()
    with tempfile.TemporaryDirectory() as folder:
        module = Path(folder) / "test_fresh_accounts.py"
        module.write_text(_MODULE.format(n=n), encoding="utf-8")
        args = ["-q", "-p", "no:cacheprovider", "--rootdir", folder, str(module)]
        # This process imported the package before pytest started: nothing to rewrite.
        args += ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
        status = pytest.main(args, plugins=[times])
    if status != 0 or times.failed:
        raise RuntimeError(f"the generated tests failed ({status}): {times.failed[:3]}")
    return times


def _ms(seconds: float) -> float:
    return seconds * 1000


def run(machine: str, token: str, quick: bool) -> list[Figure]:
    """Run the generated module and one ``simulated_account()`` block; return the figures."""
    del token  # every account makes its own token
    n = 50 if quick else 300
    times = _run_module(n)
    baseline = statistics.median(times.seconds["test_plain"])
    account = statistics.median(times.seconds["test_account"][1:]) - baseline
    client = statistics.median(times.seconds["test_client"][1:]) - baseline
    first = times.setup["test_account"][0]
    start = time.perf_counter()
    with simulated_account() as block:
        block.add_count("4", 1)
    block_seconds = time.perf_counter() - start
    goal, met = check(round(_ms(account), 3), "<=", GOAL_MS)
    return [
        Figure(
            "ac_simulator: a fresh account per test, after the first (setup + teardown)",
            _ms(account),
            "ms",
            goal,
            met,
            machine,
        ),
        Figure(
            "ac_client: a fresh account and client per test, after the first",
            _ms(client),
            "ms",
            machine=machine,
        ),
        Figure(
            "ac_simulator: the session's first test (starts the server)",
            _ms(first),
            "ms",
            machine=machine,
        ),
        Figure(
            "simulated_account(): one with block (its own server started and stopped)",
            _ms(block_seconds),
            "ms",
            machine=machine,
        ),
    ]
