"""Fixtures for the documentation tests: the pages, and the simulator their examples run against."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.server import SimulatorHandle, serve_in_thread


@pytest.fixture(scope="session")
def docs_sim() -> Iterator[SimulatorHandle]:
    """The bundled simulator with its default data and rate limit, as a reader would run it.

    One for the whole session: the examples only read, and starting one per page would cost
    more than all the examples of a page.
    """
    with serve_in_thread(SimulatorConfig()) as handle:
        yield handle
