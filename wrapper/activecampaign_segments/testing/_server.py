"""The server behind the fixtures: one simulator on a loopback port, any number of accounts.

Each account is a complete simulator app of its own (``create_app``: its own SQLite store,
emptied, and its own token), so a test can never see another test's data, and opening one
costs about a millisecond: no port, no thread, no server start. One uvicorn server per pytest
session (per xdist worker) routes each request to the account whose token it carries.

In front of each account sits what a test controls: the log of requests, the queue of
``fail_next`` failures, an optional rate limit and latency. Requests with no open account's
token (a missing or wrong one) go to the newest open account, which answers them 401 and
logs them; a closed account's token gets a 401 saying that its test has ended.

This module is the ``testing`` extra: it imports the simulator (Starlette, uvicorn).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import threading
from collections import deque
from collections.abc import Iterator
from types import TracebackType
from typing import Self

import attrs

from .._extras import require
from .._records import CountRecord, parse_count_history
from ._account import ReceivedRequest, SimulatedAccount

require("testing", "activecampaign_segments.testing")  # one line naming the pip install

# After the check, so a missing extra is one line, not a bare ImportError.
from activecampaign_simulator.app import Simulator, create_app, error_response  # noqa: E402
from activecampaign_simulator.config import SimulatorConfig  # noqa: E402
from activecampaign_simulator.dataset import Row, SegmentSpec, generate_rows  # noqa: E402
from activecampaign_simulator.ratelimit import TokenBucket, retry_after_header  # noqa: E402
from activecampaign_simulator.server import SimulatorHandle, serve_in_thread  # noqa: E402
from activecampaign_simulator.store import Store  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402
from starlette.responses import Response  # noqa: E402
from starlette.types import ASGIApp, Message, Receive, Scope, Send  # noqa: E402

__all__ = ["AccountBackend", "SimulatorServer"]

# As in the simulator's data set: about 3 % of counts share a second with a neighbour.
_SAME_SECOND_RATE = 0.03


def _api_token(scope: Scope) -> bytes | None:
    for name, value in scope["headers"]:
        if name == b"api-token":
            token: bytes = value
            return token
    return None


class AccountBackend:
    """One account: a simulator app of its own, and the controls a test has over it."""

    def __init__(self, base_url: str, owner: str, hint: str) -> None:
        self.base_url = base_url
        self.owner = owner
        self.hint = hint
        self.token = "sim-" + secrets.token_hex(16)
        config = SimulatorConfig(segments=0, history=0, rps=0, token=self.token)
        self.app = create_app(config)
        self._simulator: Simulator = self.app.state.simulator
        self._store: Store = self.app.state.store
        self._store.clear()  # no boundary segments either: an empty account
        self._token = self.token.encode("ascii")
        self._lock = threading.Lock()
        self._failures: deque[tuple[int, str | None]] = deque()
        self._log: list[ReceivedRequest] = []
        self._bucket: TokenBucket | None = None
        self._latency = 0.0
        self.closed_reason: str | None = None

    # -- data ------------------------------------------------------------------------------

    def newest(self, segment_id: str) -> Row | None:
        """The segment's newest count, if it has any."""
        rows = self._store.page(segment_id, limit=1)
        return rows[0] if rows else None

    def record_count(self, segment_id: str) -> int:
        """How many counts the segment holds."""
        return self._store.record_count(segment_id)

    def generated_rows(self, segment_id: str, n: int, *, seed: int) -> list[Row]:
        """``n`` counts of the simulator's realistic data set, newest first (not stored)."""
        spec = SegmentSpec(segment_id, n, same_second_rate=_SAME_SECOND_RATE)
        return list(generate_rows(seed, spec))

    def add_rows(self, rows: list[Row]) -> list[CountRecord]:
        """Store the rows; the records a client reads for them, in the same order."""
        for row in rows:
            self._store.add(row)
        # The very bytes the app answers for these rows, parsed by the client's own parser.
        body = json.dumps(
            {"data": [self._simulator.record(row) for row in rows]},
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return parse_count_history(body.encode())

    # -- controls --------------------------------------------------------------------------

    def queue_failures(self, status: int, times: int, retry_after: str | None) -> None:
        """Fail the next ``times`` requests with ``status`` (after any already queued)."""
        with self._lock:
            self._failures.extend([(status, retry_after)] * times)

    def received(self) -> list[ReceivedRequest]:
        """A copy of the request log."""
        with self._lock:
            return list(self._log)

    def set_rate_limit(self, rps: float | None) -> None:
        """A fresh bucket of ``rps`` requests a second, or none."""
        with self._lock:
            self._bucket = None if rps is None else TokenBucket(rps)

    def set_latency(self, seconds: float) -> None:
        """Seconds added before every answer."""
        with self._lock:
            self._latency = seconds

    def close(self, reason: str) -> None:
        """Refuse further use, with ``reason`` as the error; free the store."""
        with self._lock:
            if self.closed_reason is None:
                self.closed_reason = reason
                self._store.close()

    # -- ASGI ------------------------------------------------------------------------------

    def _pre_empted(self, scope: Scope, failure: tuple[int, str | None] | None) -> Response | None:
        """The answer a queued failure or the rate limit gives instead of the API's, if any."""
        if failure is not None:
            status, retry_after = failure
            headers = None if retry_after is None else {"Retry-After": retry_after}
            return error_response(status, "Injected by the test (fail_next).", headers)
        bucket = self._bucket
        # The API checks the token first: a request without the right one is a 401 however
        # fast it comes, and takes nothing from the bucket.
        if bucket is not None and _api_token(scope) == self._token:
            wait = bucket.try_acquire()
            if wait > 0:
                detail = f"Rate limit of {bucket.rate:g} requests per second exceeded."
                return error_response(429, detail, {"Retry-After": retry_after_header(wait)})
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        with self._lock:
            index = len(self._log)
            self._log.append(ReceivedRequest(scope["method"], scope["path"], query))
            failure = self._failures.popleft() if self._failures else None
            latency = self._latency

        async def logging_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                with self._lock:
                    self._log[index] = attrs.evolve(self._log[index], status=message["status"])
            await send(message)

        if latency:
            await asyncio.sleep(latency)
        response = self._pre_empted(scope, failure)
        if response is not None:
            await response(scope, receive, logging_send)
        else:
            await self.app(scope, receive, logging_send)


class _Accounts:
    """The open accounts by token, and why each closed one closed."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open: dict[bytes, AccountBackend] = {}
        self.closed: dict[bytes, str] = {}

    def route(self, token: bytes | None) -> AccountBackend | str:
        """The account for a request with ``token``, or the detail of a 401."""
        with self.lock:
            if token is not None and token in self.open:
                return self.open[token]
            if token is not None and token in self.closed:
                return self.closed[token]
            if self.open:
                return next(reversed(self.open.values()))  # the newest: it answers the 401
        return "No simulated account is open on this server."


class _Router:
    """The ASGI app in front of the accounts: each request goes to its token's account."""

    def __init__(self, app: ASGIApp, accounts: _Accounts) -> None:
        self.accounts = accounts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        account = self.accounts.route(_api_token(scope))
        if isinstance(account, str):
            await error_response(401, account)(scope, receive, send)
        else:
            await account(scope, receive, send)


class SimulatorServer:
    """A simulator server for many accounts, on a free loopback port, as a context manager.

    ``with SimulatorServer() as server, server.account(owner, hint) as account: ...``
    """

    def __init__(self) -> None:
        self._accounts = _Accounts()
        self._stack = contextlib.ExitStack()
        self._handle: SimulatorHandle | None = None

    def __enter__(self) -> Self:
        app = Starlette(middleware=[Middleware(_Router, accounts=self._accounts)])
        # serve_in_thread reads a token from here for its handle; no account accepts it.
        app.state.config = SimulatorConfig(segments=0, history=0, rps=0)
        self._handle = self._stack.enter_context(serve_in_thread(app=app))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stack.close()
        self._handle = None

    @property
    def base_url(self) -> str:
        """Where the server listens."""
        if self._handle is None:
            raise RuntimeError("the simulator server is not running")
        return self._handle.base_url

    @contextlib.contextmanager
    def account(self, owner: str, hint: str = "") -> Iterator[SimulatedAccount]:
        """A fresh, empty account for the ``with`` block; ``owner`` names the block.

        ``hint`` ends the message of the error raised when the account is used after
        ``owner`` has ended (and of the 401 its token then gets).
        """
        backend = AccountBackend(self.base_url, owner, hint)
        key = backend.token.encode("ascii")
        with self._accounts.lock:
            self._accounts.open[key] = backend
        try:
            yield SimulatedAccount(backend)
        finally:
            reason = f"{owner} has ended, and its simulated account with it" + (
                f"; {hint}" if hint else ""
            )
            with self._accounts.lock:
                del self._accounts.open[key]
                self._accounts.closed[key] = reason
            backend.close(reason)
