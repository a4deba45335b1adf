"""Fixtures of the wrapper's unit tests: every client case runs over sync and async."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .fakes import Api


@pytest.fixture(params=["sync", "async"])
def client_kind(request: pytest.FixtureRequest) -> str:
    """Which client a shared case runs on."""
    return str(request.param)


@pytest.fixture
def connect(client_kind: str) -> Iterator[Callable[..., Api]]:
    """``connect(handler, **options)``: an ``Api`` over the sync or async client.

    Defaults for unit tests: no retries, no rate limit, ``httpx.MockTransport(handler)``.
    """
    opened: list[Api] = []

    def make(handler: Callable[..., Any], **options: Any) -> Api:
        api = Api(client_kind, handler, **options)
        opened.append(api)
        return api

    yield make
    for api in opened:
        api.close()
