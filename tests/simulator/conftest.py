"""Fixtures for the simulator's tests: in-process clients over small data sets."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

with warnings.catch_warnings():
    # Starlette warns on import that its TestClient will move to another HTTP
    # library; that is about the test client, not the app under test.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from activecampaign_simulator.app import create_app
from activecampaign_simulator.config import SimulatorConfig

TOKEN = "sim-token"
AUTH = {"Api-Token": TOKEN}
API = "/api/3/segmentsV2"

# Starlette warns that its TestClient will move to another HTTP library; the
# behaviour under test is the app's, not the test client's. Modules set
# ``pytestmark = QUIET_TESTCLIENT``.
QUIET_TESTCLIENT = pytest.mark.filterwarnings(
    "ignore::starlette.exceptions.StarletteDeprecationWarning"
)

MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    """Build an in-process client for a simulator configured with ``**options``.

    Small data sets and no rate limit unless asked: tests stay fast and only the
    rate-limit tests meet 429s.
    """
    clients: list[TestClient] = []

    def make(*, clock: Callable[[], float] | None = None, **options: Any) -> TestClient:
        options.setdefault("segments", 3)
        options.setdefault("history", 120)
        options.setdefault("rps", 0)
        config = SimulatorConfig(**options)
        app = create_app(config) if clock is None else create_app(config, clock=clock)
        client = TestClient(app, raise_server_exceptions=False)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    """The default small simulator."""
    return make_client()
