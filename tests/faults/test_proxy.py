"""The fault proxy's own tests, against a tiny stdlib HTTP/1.1 server (no simulator needed)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.faults.proxy import serve_proxy

BODY = b'{"data": [' + b", ".join(b'{"n": %d}' % i for i in range(200)) + b"]}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so several requests share a proxied connection

    def do_GET(self) -> None:
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (BODY[:100], BODY[100:]):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_relays_responses_and_records_raw_targets(upstream: str) -> None:
    with serve_proxy(upstream) as proxy, httpx.Client(base_url=proxy.base_url) as client:
        for i in range(20):
            response = client.get(f"/api/3/segmentsV2/a%2Fb{i}/count-history")
            assert response.content == BODY
        assert client.get("/chunked").content == BODY
    assert proxy.stats.requests == 21
    assert proxy.stats.faults == {"ok": 21}
    assert proxy.stats.targets[0] == "/api/3/segmentsV2/a%2Fb0/count-history"
    assert proxy.stats.connections == 1  # keep-alive survived the relay


def test_reset_cuts_the_body_with_a_connection_error(upstream: str) -> None:
    with (
        serve_proxy(upstream, reset_rate=1.0) as proxy,
        httpx.Client(base_url=proxy.base_url) as client,
        pytest.raises(httpx.TransportError),
    ):
        client.get("/x")
    assert proxy.stats.faults == {"reset": 1}


def test_stall_outlasts_the_client_read_timeout(upstream: str) -> None:
    with (
        serve_proxy(upstream, stall_rate=1.0, stall_seconds=20) as proxy,
        httpx.Client(base_url=proxy.base_url, timeout=0.3) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.get("/x")
    assert proxy.stats.faults == {"stall": 1}


def _decisions(upstream: str, seed: int) -> list[str]:
    with (
        serve_proxy(upstream, reset_rate=0.3, stall_rate=0.2, seed=seed, stall_seconds=5) as proxy,
        httpx.Client(base_url=proxy.base_url, timeout=0.3) as client,
    ):
        outcomes = []
        for _ in range(20):
            try:
                client.get("/x")
                outcomes.append("ok")
            except httpx.ReadTimeout:
                outcomes.append("stall")
            except httpx.TransportError:
                outcomes.append("reset")
    assert sum(proxy.stats.faults.values()) == 20
    assert proxy.stats.faults == {k: outcomes.count(k) for k in set(outcomes)}
    return outcomes


def test_faults_follow_the_seed(upstream: str) -> None:
    first = _decisions(upstream, seed=7)
    assert first == _decisions(upstream, seed=7)
    assert {"ok", "reset", "stall"} <= set(first)
    assert first != _decisions(upstream, seed=8)


def test_refuses_a_non_loopback_upstream() -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"), serve_proxy("http://example.com:80"):
        pass
