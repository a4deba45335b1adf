"""The default transport honours the environment's proxy settings, under retries and limits.

A tiny forward proxy on loopback records the request lines it receives: through a proxy, an
HTTP request line carries the absolute URL (``GET http://host:port/path``); sent directly it
carries only the path. The same server answers both ways, so the test needs nothing else.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import httpx
import pytest
from activecampaign_segments import (
    APIConnectionError,
    AsyncSegmentsClient,
    SegmentsClient,
    _transport,
)
from activecampaign_segments._config import proxy_from_environment

BODY = json.dumps({"data": []}).encode()


class _Recorder(BaseHTTPRequestHandler):
    lines: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).lines.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass


@pytest.fixture
def proxy() -> Iterator[str]:
    _Recorder.lines = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _fetch(kind: str, base_url: str, **options: Any) -> None:
    """One page of segment 7 through a fresh sync or async client."""
    if kind == "sync":
        with SegmentsClient(base_url, "token-proxy-test", requests_per_second=None, **options) as c:
            assert c.count_history_page("7").records == []
        return

    async def run() -> None:
        async with AsyncSegmentsClient(
            base_url, "token-proxy-test", requests_per_second=None, **options
        ) as client:
            assert (await client.count_history_page("7")).records == []

    asyncio.run(run())


# The target host is never contacted: only the proxy answers. It must not be loopback
# (loopback is never proxied); ".invalid" names never resolve (RFC 2606), and with a
# proxy the client does not resolve the target itself. allow_insecure: it is http://.
TARGET = "http://segments.invalid"


@pytest.fixture(autouse=True)
def clean_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_http_proxy_from_the_environment_is_used(kind, proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", proxy)
    _fetch(kind, TARGET, allow_insecure=True)
    assert _Recorder.lines == [f"{TARGET}/api/3/segmentsV2/7/count-history"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"HTTP_PROXY": "http://p:3128"}, "http://p:3128"),
        ({"http_proxy": "http://p:3128"}, "http://p:3128"),
        ({"ALL_PROXY": "http://p:3128"}, "http://p:3128"),
        ({"HTTPS_PROXY": "http://p:3128"}, None),  # another scheme's proxy
        ({"HTTP_PROXY": "http://p:3128", "NO_PROXY": "segments.invalid"}, None),
        ({"HTTP_PROXY": "http://p:3128", "NO_PROXY": ".invalid"}, None),
        ({"HTTP_PROXY": "http://p:3128", "NO_PROXY": "*"}, None),
        ({"HTTP_PROXY": "http://p:3128", "NO_PROXY": "other.example"}, "http://p:3128"),
        ({}, None),
    ],
)
def test_proxy_from_environment(env, expected, monkeypatch):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert proxy_from_environment(TARGET) == expected


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_loopback_is_never_proxied(kind, proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # would fail if it were used
    _fetch(kind, proxy)
    assert _Recorder.lines == ["/api/3/segmentsV2/7/count-history"]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_an_explicit_transport_ignores_the_environment(kind, proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    transport = httpx.HTTPTransport() if kind == "sync" else httpx.AsyncHTTPTransport()
    _fetch(kind, proxy, transport=transport)
    assert _Recorder.lines == ["/api/3/segmentsV2/7/count-history"]


def test_requests_through_the_proxy_are_still_retried(monkeypatch):
    # A proxy that is down: the connection error is retried, then raised as ours.
    monkeypatch.setattr(_transport, "sleep", lambda seconds: None)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    client = SegmentsClient(
        TARGET, "token-proxy-test", requests_per_second=None, max_retries=2, allow_insecure=True
    )
    with client, pytest.raises(APIConnectionError):
        client.count_history_page("7")
    assert (client.stats.requests, client.stats.retries) == (3, 2)
