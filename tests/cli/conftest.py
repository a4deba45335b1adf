"""Fixtures for the CLI tests: loopback simulators and a runner that checks every run.

The simulators run in a background thread (``serve_in_thread``) with no rate limit,
and the CLI is driven with ``--rps 0``, so the suite does not wait on buckets.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.server import SimulatorHandle, serve_in_thread

from tests.cli.helpers import BIG_HISTORY, BIG_SEGMENT, HISTORY, SEGMENTS, TOKEN


def _serve(**overrides: Any) -> Iterator[SimulatorHandle]:
    config = SimulatorConfig(
        segments=len(SEGMENTS), history=HISTORY, rps=0.0, token=TOKEN, **overrides
    )
    with serve_in_thread(config) as handle:
        yield handle


@pytest.fixture(scope="session")
def sim() -> Iterator[SimulatorHandle]:
    """A well-behaved simulator, with one longer history (BIG_SEGMENT)."""
    yield from _serve(extra_segments={BIG_SEGMENT: BIG_HISTORY})


@pytest.fixture(scope="session")
def throttling_sim() -> Iterator[SimulatorHandle]:
    """Answers every request 429 (Retry-After: 1)."""
    yield from _serve(throttle_rate=1.0)


@pytest.fixture(scope="session")
def failing_sim() -> Iterator[SimulatorHandle]:
    """Answers every request 503 or 520."""
    yield from _serve(error_rate=1.0)


@pytest.fixture(scope="session")
def malformed_sim() -> Iterator[SimulatorHandle]:
    """Answers every request 200 with a body that breaks the spec."""
    yield from _serve(malformed_rate=1.0)


@pytest.fixture(scope="session")
def slow_sim() -> Iterator[SimulatorHandle]:
    """Takes a second to answer anything."""
    yield from _serve(latency=1.0)
