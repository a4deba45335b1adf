"""Fixtures of the history store tests: simulators to change, clients, store paths.

Tests that add or forget records on the server get their own simulator (function
scope); the others share one. Simulators run in a thread with no rate limit, and the
clients are built with the limiter off, so nothing waits on a bucket.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from activecampaign_segments import SegmentsClient
from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.server import SimulatorHandle, serve_in_thread

TOKEN = "store-Secret-Token-3c1d"
SEGMENTS = 3
HISTORY = 130  # three pages: the last one short
BIG = "big"
BIG_HISTORY = 600


def _config(**overrides: Any) -> SimulatorConfig:
    fields: dict[str, Any] = {
        "segments": SEGMENTS,
        "history": HISTORY,
        "rps": 0.0,
        "token": TOKEN,
        "extra_segments": {BIG: BIG_HISTORY},
    }
    fields.update(overrides)
    return SimulatorConfig(**fields)


@pytest.fixture(scope="session")
def shared_sim() -> Iterator[SimulatorHandle]:
    """A simulator no test changes."""
    with serve_in_thread(_config()) as handle:
        yield handle


@pytest.fixture
def make_sim() -> Iterator[Callable[..., SimulatorHandle]]:
    """Start a private simulator (SimulatorConfig overrides as keywords); stopped after."""
    from contextlib import ExitStack

    with ExitStack() as stack:

        def start(**overrides: Any) -> SimulatorHandle:
            return stack.enter_context(serve_in_thread(_config(**overrides)))

        yield start


@pytest.fixture
def sim(make_sim: Callable[..., SimulatorHandle]) -> SimulatorHandle:
    """A private simulator this test may change (Store.add, Store.forget_before)."""
    return make_sim()


def client_for(
    handle: SimulatorHandle, *, transport: httpx.BaseTransport | None = None, retries: int = 4
) -> SegmentsClient:
    """A client of ``handle`` with the limiter off."""
    return SegmentsClient(
        handle.base_url,
        handle.token,
        requests_per_second=None,
        max_retries=retries,
        transport=transport,
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A store path that does not exist yet."""
    return tmp_path / "history.db"
