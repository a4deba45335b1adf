"""Shared pytest configuration: the project root and the anyio backend."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def anyio_backend() -> str:
    # The client is asyncio-only (httpx's async transports run on asyncio here).
    return "asyncio"
