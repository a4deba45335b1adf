"""The pytest plugin: fixtures over the bundled simulator (``pytest11`` entry point).

pytest loads this module at start-up in every project that has the package installed,
so it imports nothing but pytest and the package's core: the simulator, Starlette and
uvicorn are imported when a test first asks for a fixture, and if they are missing that
test fails with the one-line missing-extra message (every other test runs as usual). No
server starts unless a test uses a fixture; then one serves the whole session (per xdist
worker), and each test gets a fresh account on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from .._crossprocess import ENV_LIMITER_DIR
from .._extras import MissingExtraError
from ..client import AsyncSegmentsClient, SegmentsClient
from ._account import SimulatedAccount, _tls_context

if TYPE_CHECKING:
    from ._server import SimulatorServer

_HINT = "ask for the ac_simulator fixture (or ac_client, ac_env) in each test that uses one"


@pytest.fixture(scope="session")
def _activecampaign_simulator_server() -> Iterator[SimulatorServer]:
    """The simulator server every test's account lives on (started on first use)."""
    try:
        from ._server import SimulatorServer
    except MissingExtraError as exc:
        missing = str(exc)
    else:
        missing = ""
    if missing:  # outside the except block: one line, no "During handling of ..." chain
        pytest.fail(missing, pytrace=False)
    with SimulatorServer() as server:
        yield server


@pytest.fixture
def ac_simulator(
    _activecampaign_simulator_server: SimulatorServer, request: pytest.FixtureRequest
) -> Iterator[SimulatedAccount]:
    """A fresh, empty simulated ActiveCampaign account for this test.

    ``base_url`` and ``api_token`` to point your code at; ``add_count()`` and
    ``add_history()`` to give it data; ``fail_next()``, ``set_rate_limit()`` and
    ``set_latency()`` to make it misbehave; ``requests`` to see what your code sent.
    """
    owner = f"the test {request.node.nodeid}"
    with _activecampaign_simulator_server.account(owner, _HINT) as account:
        yield account


@pytest.fixture
def ac_client(ac_simulator: SimulatedAccount) -> Iterator[SegmentsClient]:
    """A ``SegmentsClient`` bound to ``ac_simulator``: no rate-limiter pauses; closed after."""
    with ac_simulator.client() as client:
        yield client


@pytest.fixture
def ac_async_client(ac_simulator: SimulatedAccount) -> Iterator[AsyncSegmentsClient]:
    """An ``AsyncSegmentsClient`` bound to ``ac_simulator``: no limiter pauses; closed after.

    A plain fixture, so it works under any async plugin (anyio, pytest-asyncio). Its
    connections are not kept alive between requests: each test's event loop is gone by
    the time the fixture closes the client, and no connection may be left bound to it.
    """
    limits = httpx.Limits(max_keepalive_connections=0)
    transport = httpx.AsyncHTTPTransport(verify=_tls_context(), limits=limits)
    client = ac_simulator.async_client(transport=transport)
    try:
        yield client
    finally:
        with contextlib.suppress(RuntimeError):  # called from a running loop: left to GC
            asyncio.run(client.aclose())


@pytest.fixture
def ac_env(
    ac_simulator: SimulatedAccount, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> SimulatedAccount:
    """``ac_simulator``, in ``ACTIVECAMPAIGN_API_URL`` and ``ACTIVECAMPAIGN_API_KEY``.

    For code that calls ``SegmentsClient.from_env()`` or runs ``ac-segments``. Every other
    ``ACTIVECAMPAIGN_*`` variable is unset for the test (a history store path, say), so the
    code under test cannot reach a real account's settings, and the rate schedule that
    processes on one machine share is kept in the test's own temporary directory
    (``ACTIVECAMPAIGN_LIMITER_DIR``), not in the user's cache. Restored after the test.
    """
    for name in [n for n in os.environ if n.startswith("ACTIVECAMPAIGN_")]:
        monkeypatch.delenv(name)
    for name, value in ac_simulator.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(ENV_LIMITER_DIR, str(tmp_path / "rate-limits"))
    return ac_simulator
