"""The API token never shows: not in a log line, an exception's text, or a client's repr.

One distinctive token goes through every path the suite can provoke, with the sync and the async
client alike: a fetch that survives resets, stalls, 503/520 and 429 (through the fault proxy),
every error status, exhausted retries, a refused connection, a timeout, malformed bodies, a
server that ignores the cursor, and a hostile server that echoes the token back in its error
bodies and headers. Everything logged (every logger at DEBUG, httpx and httpcore included) and
the text of every exception (str, repr and the formatted traceback chain) is searched for it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from activecampaign_segments import (
    ActiveCampaignError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncSegmentsClient,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    SegmentsClient,
    ServerError,
    _transport,
)
from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.dataset import FORBIDDEN_SEGMENT
from activecampaign_simulator.server import serve_in_thread

from tests.documented import complete
from tests.faults.proxy import serve_proxy

TOKEN = "LEAKCHECK-tok-7d2f9a41c3b8e605"
OTHER_TOKEN = "other-server-token-0b1d"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _echoing_server(request: httpx.Request) -> httpx.Response:
    """A hostile server: puts the token it received into every answer it can."""
    token = request.headers.get("api-token", "")
    path = request.url.path
    error = {"errors": [{"title": f"bad token {token}", "detail": token, "code": token}]}
    if "/400/" in path:
        return httpx.Response(400, json=error)
    if "/401/" in path:
        return httpx.Response(401, json=error, headers={"WWW-Authenticate": token})
    if "/429/" in path:
        return httpx.Response(429, json=error, headers={"Retry-After": token})
    if "/500/" in path:
        return httpx.Response(500, text=f"<html>{token}</html>")
    if "/302/" in path:
        return httpx.Response(302, headers={"Location": f"https://evil.invalid/?t={token}"})
    if "/malformed/" in path:
        return httpx.Response(200, content=f'{{"data": [{{"attributes": "{token}"}}'.encode())
    if "/wrongtype/" in path:
        record = {
            "timestamp": token,
            "segment_id": "wrongtype",
            "segment_hash": token,
            "run_id": token,
            "result_count": token,
        }
        return httpx.Response(200, json={"data": [{"id": token, "attributes": record}]})
    if "/batch" in path or path.endswith("segmentsV2/count-history"):
        return httpx.Response(200, json={"data": [{"attributes": {"segment_id": token}}]})
    return httpx.Response(404, json=error)


def _stuck_server(request: httpx.Request) -> httpx.Response:
    """Ignores the cursor: the same full page for every request (a PaginationError)."""
    records = [
        {
            "id": str(1_700_000_000 - i),
            "type": "SegmentCountHistory",
            "attributes": complete(
                {
                    "timestamp": f"2023-11-14T22:{13 - i // 60:02d}:{(20 - i) % 60:02d}.000Z",
                    "segment_id": "stuck",
                    "segment_hash": "h",
                    "run_id": f"r{i}",
                    "result_count": 1,
                }
            ),
        }
        for i in range(50)
    ]
    return httpx.Response(200, content=json.dumps({"data": records}).encode())


# (name, client options, action, expected exception or None)
Scenario = tuple[str, dict[str, Any], tuple[Any, ...], type[Exception] | None]


@pytest.fixture
def scenarios(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Scenario]]:
    """Start the servers every scenario needs; compress retry waits 100x."""
    real_async_sleep = asyncio.sleep
    monkeypatch.setattr(_transport, "async_sleep", lambda s: real_async_sleep(s / 100))
    monkeypatch.setattr(_transport, "sleep", lambda s: None)
    with ExitStack() as stack:

        def sim(**fields: Any) -> str:
            config = SimulatorConfig(segments=2, history=200, rps=0, token=TOKEN, **fields)
            return stack.enter_context(serve_in_thread(config)).base_url

        good = sim()
        faulty = sim(error_rate=0.2, throttle_rate=0.1, seed=4)
        proxy = stack.enter_context(
            serve_proxy(faulty, reset_rate=0.05, stall_rate=0.05, seed=2, stall_seconds=5)
        )
        stalling = stack.enter_context(serve_proxy(good, stall_rate=1.0, stall_seconds=5))
        other = stack.enter_context(
            serve_in_thread(SimulatorConfig(segments=1, history=10, rps=0, token=OTHER_TOKEN))
        ).base_url
        mock = {"base_url": "http://127.0.0.1:9", "max_retries": 1}
        yield [
            (
                "survives faults",
                {"base_url": proxy.base_url, "max_retries": 10},
                ("history", "1"),
                None,
            ),
            ("latest", {"base_url": good}, ("latest", ["1", "2", "x"]), None),
            ("401", {"base_url": other}, ("page", "1"), AuthenticationError),
            ("403", {"base_url": good}, ("page", FORBIDDEN_SEGMENT), PermissionDeniedError),
            ("404", {"base_url": good}, ("page", "nope"), NotFoundError),
            ("400", {"base_url": good}, ("page", "1", 2**63), BadRequestError),
            (
                "429 exhausted",
                {"base_url": sim(throttle_rate=1.0), "max_retries": 1},
                ("page", "1"),
                RateLimitError,
            ),
            (
                "5xx exhausted",
                {"base_url": sim(error_rate=1.0), "max_retries": 1},
                ("page", "1"),
                ServerError,
            ),
            (
                "malformed",
                {"base_url": sim(malformed_rate=1.0)},
                ("page", "1"),
                ResponseValidationError,
            ),
            (
                "refused",
                {"base_url": f"http://127.0.0.1:{_closed_port()}", "max_retries": 1},
                ("page", "1"),
                APIConnectionError,
            ),
            (
                "timeout",
                {"base_url": stalling.base_url, "max_retries": 1},
                ("page", "1"),
                APITimeoutError,
            ),
            *[
                (
                    f"echo {kind}",
                    {**mock, "transport": httpx.MockTransport(_echoing_server)},
                    ("page", kind),
                    error,
                )
                for kind, error in [
                    ("400", BadRequestError),
                    ("401", AuthenticationError),
                    ("404", NotFoundError),
                    ("429", RateLimitError),
                    ("500", ServerError),
                    ("302", APIStatusError),
                    ("malformed", ResponseValidationError),
                    ("wrongtype", ResponseValidationError),
                ]
            ],
            (
                "echo batch",
                {**mock, "transport": httpx.MockTransport(_echoing_server)},
                ("latest", ["1"]),
                ResponseValidationError,
            ),
            (
                "stuck cursor",
                {**mock, "transport": httpx.MockTransport(_stuck_server)},
                ("history", "stuck"),
                PaginationError,
            ),
        ]


def _texts(exc: BaseException) -> list[str]:
    texts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    if isinstance(exc, APIStatusError):
        texts += [repr(exc.errors), str(exc.status_code)]
    return texts


def _run_sync(options: dict[str, Any], action: tuple[Any, ...]) -> tuple[list[str], object]:
    with SegmentsClient(api_token=TOKEN, requests_per_second=None, timeout=0.5, **options) as c:
        texts = [repr(c), str(c), repr(c.api), repr(c.stats)]
        try:
            kind, *args = action
            if kind == "history":
                result: object = list(c.count_history(*args))
            elif kind == "latest":
                result = c.latest_counts(*args)
            else:
                result = c.count_history_page(args[0], before=args[1] if len(args) > 1 else None)
        except ActiveCampaignError as exc:
            return [*texts, *_texts(exc)], exc
        return [*texts, repr(result)], result


def _run_async(options: dict[str, Any], action: tuple[Any, ...]) -> tuple[list[str], object]:
    async def go() -> tuple[list[str], object]:
        async with AsyncSegmentsClient(
            api_token=TOKEN, requests_per_second=None, timeout=0.5, **options
        ) as c:
            texts = [repr(c), str(c), repr(c.api), repr(c.stats)]
            try:
                kind, *args = action
                if kind == "history":
                    result: object = [r async for r in c.count_history(*args)]
                elif kind == "latest":
                    result = await c.latest_counts(*args)
                else:
                    before = args[1] if len(args) > 1 else None
                    result = await c.count_history_page(args[0], before=before)
            except ActiveCampaignError as exc:
                return [*texts, *_texts(exc)], exc
            return [*texts, repr(result)], result

    return asyncio.run(go())


@pytest.mark.timeout(120)
@pytest.mark.parametrize("run", [_run_sync, _run_async], ids=["sync", "async"])
def test_token_never_in_logs_exceptions_or_reprs(
    scenarios: list[Scenario],
    caplog: pytest.LogCaptureFixture,
    run: Callable[[dict[str, Any], tuple[Any, ...]], tuple[list[str], object]],
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    outcomes: dict[str, str] = {}
    for name, options, action, expected in scenarios:
        texts, result = run(options, action)
        if expected is None:
            assert not isinstance(result, Exception), f"{name}: {result!r}"
        else:
            assert isinstance(result, expected), f"{name}: got {result!r}"
        outcomes[name] = type(result).__name__
        leaked = [text for text in texts if TOKEN in text]
        assert leaked == [], f"{name}: the token appears in {leaked[0][:300]!r}"
    logged = caplog.text + "".join(
        record.exc_text or "" for record in caplog.records if record.exc_text
    )
    assert caplog.records, "nothing was logged: the log check would prove nothing"
    assert TOKEN not in logged
    assert TOKEN not in "".join(record.getMessage() for record in caplog.records)
    assert len(outcomes) == len(scenarios)
