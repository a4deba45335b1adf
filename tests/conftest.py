"""Shared pytest configuration: the project root and the anyio backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def anyio_backend() -> str:
    # The client is asyncio-only (httpx's async transports run on asyncio here).
    return "asyncio"


@pytest.fixture(autouse=True, scope="session")
def _private_limiter_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The cross-process rate-limit file of this run, not the user's cache directory.

    Processes the tests start inherit it, so they share it as processes on one machine do.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ACTIVECAMPAIGN_LIMITER_DIR", str(tmp_path_factory.mktemp("limiter")))
        yield
