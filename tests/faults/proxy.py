"""A loopback TCP proxy that breaks HTTP/1.1 responses on purpose, with seeded randomness.

It sits between a client and the simulator and relays one request and then one response at a
time per connection (httpx does not pipeline), so it knows where each response starts and
ends and can, per response:

- ``reset``: send the status line, headers and half of the body, then reset the connection
  (SO_LINGER 0, so the client sees ECONNRESET mid-body, as when a load balancer dies);
- ``stall``: send the same half response, then go silent until the client gives up (its read
  timeout) or ``stall_seconds`` pass.

Every request target is recorded as it appeared on the wire, so tests can assert where a client
really sent its requests. The proxy runs its own event loop in a thread (``serve_proxy``), so a
stalled connection never blocks the client's loop, and sync and async clients use it alike.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import urlsplit

OK, RESET, STALL = "ok", "reset", "stall"


class ProxyStats:
    """What the proxy saw and did. Counters are only touched from the proxy's loop thread."""

    def __init__(self) -> None:
        self.requests = 0
        self.faults: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.targets: list[str] = []
        self.connections = 0


def _header(head: bytes, name: bytes) -> bytes | None:
    """The value of header ``name`` (lowercase) in a raw head, or None."""
    for line in head.split(b"\r\n")[1:]:
        key, sep, value = line.partition(b":")
        if sep and key.strip().lower() == name:
            return value.strip()
    return None


async def _read_head(reader: asyncio.StreamReader) -> bytes | None:
    """The status/request line and headers up to the blank line, or None at a clean EOF."""
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise
        return None


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    """A chunked body, raw (size lines included), up to and including the last chunk."""
    raw = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        raw += size_line
        size = int(size_line.split(b";")[0].strip(), 16)
        if size == 0:
            # Trailers (usually none) end with an empty line.
            while True:
                line = await reader.readuntil(b"\r\n")
                raw += line
                if line == b"\r\n":
                    return bytes(raw)
        raw += await reader.readexactly(size + 2)


async def _read_body(reader: asyncio.StreamReader, head: bytes) -> tuple[bytes, bool]:
    """The body of a message with this head, and whether the connection ends after it."""
    closing = (_header(head, b"connection") or b"").lower() == b"close"
    length = _header(head, b"content-length")
    if length is not None:
        return await reader.readexactly(int(length)), closing
    if (_header(head, b"transfer-encoding") or b"").lower() == b"chunked":
        return await _read_chunked(reader), closing
    status = head.split(b" ", 2)
    if len(status) > 1 and status[0].startswith(b"HTTP/") and status[1] in (b"204", b"304"):
        return b"", closing
    if head.startswith(b"HTTP/"):
        return await reader.read(), True  # a response delimited by the connection's end
    return b"", closing  # a request without a body


class FaultProxy:
    """Relay to ``upstream`` (host, port), breaking a seeded random share of responses."""

    def __init__(
        self,
        upstream: tuple[str, int],
        *,
        reset_rate: float = 0.0,
        stall_rate: float = 0.0,
        seed: int = 0,
        stall_seconds: float = 30.0,
    ) -> None:
        self.upstream = upstream
        self.reset_rate = reset_rate
        self.stall_rate = stall_rate
        self.stall_seconds = stall_seconds
        self.stats = ProxyStats()
        self._rng = random.Random(seed)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.port = 0

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the listening proxy."""
        return f"http://127.0.0.1:{self.port}"

    def set_rates(self, *, reset_rate: float, stall_rate: float) -> None:
        """Change the fault rates for the responses that follow."""
        self.reset_rate = reset_rate
        self.stall_rate = stall_rate

    def _decide(self) -> str:
        draw = self._rng.random()
        if draw < self.reset_rate:
            return RESET
        if draw < self.reset_rate + self.stall_rate:
            return STALL
        return OK

    async def start(self) -> int:
        """Listen on a free loopback port; return it."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def aclose(self) -> None:
        """Stop listening and cut every open connection (stalled ones included)."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with suppress(asyncio.CancelledError, Exception):
                await task
        if self._server is not None:
            await self._server.wait_closed()

    async def _accept(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.stats.connections += 1
        try:
            await self._relay(creader, cwriter)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self._tasks.discard(task)
            cwriter.close()

    async def _relay(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> None:
        ureader, uwriter = await asyncio.open_connection(*self.upstream)
        try:
            while True:
                head = await _read_head(creader)
                if head is None:
                    return
                body, _ = await _read_body(creader, head)
                parts = head.split(b" ", 2)
                self.stats.requests += 1
                self.stats.targets.append(parts[1].decode("latin-1") if len(parts) > 1 else "")
                uwriter.write(head + body)
                await uwriter.drain()

                rhead = await _read_head(ureader)
                if rhead is None:
                    return
                rbody, closing = await _read_body(ureader, rhead)
                status = rhead.split(b" ", 2)
                if len(status) > 1 and status[1].isdigit():
                    self.stats.statuses[int(status[1])] += 1
                fault = self._decide()
                self.stats.faults[fault] += 1
                if fault == OK:
                    cwriter.write(rhead + rbody)
                    await cwriter.drain()
                    if closing:
                        return
                    continue
                cwriter.write(rhead + rbody[: len(rbody) // 2])
                await cwriter.drain()
                if fault == RESET:
                    _reset(cwriter)
                    return
                # STALL: hold the half response until the client hangs up or time runs out.
                with suppress(TimeoutError, ConnectionError):
                    await asyncio.wait_for(creader.read(1), self.stall_seconds)
                return
        finally:
            uwriter.close()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with an RST instead of a FIN: the peer reads ECONNRESET, not a clean end."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@contextmanager
def serve_proxy(
    upstream_base_url: str,
    *,
    reset_rate: float = 0.0,
    stall_rate: float = 0.0,
    seed: int = 0,
    stall_seconds: float = 30.0,
) -> Iterator[FaultProxy]:
    """Run a FaultProxy in front of ``upstream_base_url`` on its own loop in a thread."""
    parts = urlsplit(upstream_base_url)
    if parts.hostname != "127.0.0.1" or parts.port is None:
        raise ValueError(f"the proxy only relays to 127.0.0.1:PORT, not {upstream_base_url!r}")
    proxy = FaultProxy(
        (parts.hostname, parts.port),
        reset_rate=reset_rate,
        stall_rate=stall_rate,
        seed=seed,
        stall_seconds=stall_seconds,
    )
    loop = asyncio.new_event_loop()
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(proxy.start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="fault-proxy", daemon=True)
    thread.start()
    if not started.wait(10):
        raise RuntimeError("the fault proxy did not start")
    try:
        yield proxy
    finally:
        asyncio.run_coroutine_threadsafe(proxy.aclose(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
