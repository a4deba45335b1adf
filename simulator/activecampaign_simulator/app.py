"""The Starlette application: the three count-history operations and JSON errors.

Every answer, for every path and method, is JSON: the API's ``errors`` body for
401/403/404/400/405/429/5xx alike, never Starlette's text/plain defaults (a
``segmentId`` with ``%0A`` or a trailing slash reaches the router's 404) and never a
traceback. Routes match the raw path one decoded segment at a time, so a ``segmentId``
holding ``%2F`` is one (unknown) id, never a path into another operation. A request to
an operation goes through, in order: the ``Api-Token`` check (401), the per-account
bucket (429 with ``Retry-After``), the injected faults, parameter validation (400), the
segment lookup (404, 403), then the data.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import http
import json
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.dataset import PAGE_SIZE, Row
from activecampaign_simulator.faults import FaultInjector
from activecampaign_simulator.lenient import derived_rows, page_of, php_int, segment_ids_from_query
from activecampaign_simulator.ratelimit import Clock, TokenBucket, retry_after_header
from activecampaign_simulator.routing import RawPathRoute
from activecampaign_simulator.store import Store, to_attributes

API_PREFIX = "/api/3/segmentsV2"
MAX_BATCH_IDS = 100
_INT64_MAX = 2**63 - 1
_DIGITS = re.compile(r"[0-9]+")
_TITLES = {520: "Web Server Returned an Unknown Error"}
SHORT_PAGE = 40
"""Records per page under the ``short_pages`` quirk."""


def _derived_uuid(text: str) -> str:
    """A version-4-shaped UUID derived from ``text`` (deterministic: for the run_id quirks)."""
    h = hashlib.sha256(text.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def _title(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return _TITLES.get(status, "Error")


def _shown(value: str, limit: int = 120) -> str:
    """A client-supplied value, shortened, for an error detail."""
    return json.dumps(value if len(value) <= limit else value[:limit] + "...")


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A compact JSON response (the API's bodies are plain JSON, UTF-8)."""
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(content, status_code=status, headers=headers, media_type="application/json")


def error_response(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    """The API's error shape: ``{"errors": [{"status", "title", "detail"}]}``."""
    error = {"status": str(status), "title": _title(status), "detail": detail}
    return json_response({"errors": [error]}, status, headers)


class Simulator:
    """Per-app state: configuration, data, bucket and fault dice."""

    def __init__(self, config: SimulatorConfig, store: Store, clock: Clock) -> None:
        self.config = config
        self.store = store
        self.bucket = TokenBucket(config.rps, clock=clock) if config.rps > 0 else None
        self.faults = FaultInjector(config)
        self._token = config.token.encode("ascii")

    def authorised(self, request: Request) -> bool:
        """Whether the request's first ``Api-Token`` header is the token, in constant time."""
        for name, value in request.scope["headers"]:
            if name == b"api-token":
                # Bytes, not str: compare_digest refuses non-ASCII str, and a header
                # may carry any latin-1 byte.
                return hmac.compare_digest(value, self._token)
        return False

    def gate(self, request: Request) -> Response | None:
        """The answer that pre-empts the operation (401, 429, injected fault), if any."""
        if not self.authorised(request):
            return error_response(401, "A valid Api-Token header is required.")
        if self.bucket is not None:
            wait = self.bucket.try_acquire()
            if wait > 0:
                return error_response(
                    429,
                    f"Rate limit of {self.config.rps:g} requests per second exceeded.",
                    {"Retry-After": retry_after_header(wait)},
                )
        fault = self.faults.before_answer()
        if fault == "throttle":
            return error_response(429, "Too many requests (injected).", {"Retry-After": "1"})
        if fault == "error_503":
            return error_response(503, "Service unavailable (injected).")
        if fault == "error_520":
            return error_response(520, "Unknown error (injected).")
        return None

    def record(self, row: Row, cursor: int | None = None) -> dict[str, Any]:
        """One ``SegmentCountHistory`` resource, with any configured quirk applied.

        ``cursor`` is the timestamp form's cursor (None for the other forms).
        """
        attributes = to_attributes(row)
        epoch = row[1] // 1000
        quirks = self.config.quirks
        if "duplicate_run_id" in quirks:
            attributes["run_id"] = _derived_uuid(f"{row[0]}:{row[1] // 7_200_000}")
        if cursor is not None and "unstable_run_id" in quirks:
            attributes["run_id"] = _derived_uuid(f"{attributes['run_id']}:{cursor}")
        if cursor is not None and "foreign_segment_id" in quirks:
            attributes["segment_id"] = f"{row[0]}0"
        if "wrong_type" in quirks:
            attributes["result_count"] = str(attributes["result_count"])
        if "missing_required" in quirks:
            del attributes["run_id"]
        if "id_mismatch" in quirks:
            epoch += 1
        return {"id": str(epoch), "type": "SegmentCountHistory", "attributes": attributes}

    @property
    def lenient(self) -> bool:
        """Whether the ``lenient`` profile reads what the document leaves open."""
        return self.config.profile == "lenient"

    def page(
        self, segment_id: str, before: int | None, *, limit: int, inclusive: bool
    ) -> list[Row]:
        """A page of the segment: the data set's, or (lenient) the id's derived history."""
        if self.lenient and self.store.status(segment_id) == "missing":
            rows = derived_rows(self.config.seed, segment_id)
            return page_of(rows, before, limit, inclusive)
        return self.store.page(segment_id, before, limit=limit, inclusive=inclusive)

    def latest(self, segment_ids: list[str], *, per_segment: int) -> list[Row]:
        """The newest record(s) of each id that has any (lenient: derived ones too)."""
        if not self.lenient:
            return self.store.latest(segment_ids, per_segment=per_segment)
        rows: list[Row] = []
        for segment_id in segment_ids:
            if self.store.status(segment_id) != "forbidden":
                rows += self.page(segment_id, None, limit=per_segment, inclusive=False)
        return rows

    def data_response(self, rows: list[Row], cursor: int | None = None) -> Response:
        """A 200 with ``{"data": [...]}``, or a malformed body when that fault hits."""
        malformed = self.faults.malformed_body()
        if malformed is not None:
            return Response(malformed, media_type="application/json")
        return json_response({"data": [self.record(row, cursor) for row in rows]})


def _simulator(request: Request) -> Simulator:
    simulator: Simulator = request.app.state.simulator
    return simulator


Handler = Callable[[Simulator, Request], Response]


def _operation(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap an operation with the gate and the configured latency."""

    async def endpoint(request: Request) -> Response:
        simulator = _simulator(request)
        response = simulator.gate(request) or handler(simulator, request)
        if simulator.config.latency:
            await asyncio.sleep(simulator.config.latency)
        return response

    return endpoint


def _segment_page(simulator: Simulator, request: Request) -> Response:
    segment_id: str = request.path_params["segmentId"]
    before: int | None = None
    raw = request.path_params.get("timestamp")
    if raw is not None and simulator.lenient:
        before = php_int(raw)
    elif raw is not None:
        if not _DIGITS.fullmatch(raw) or int(raw) > _INT64_MAX:
            return error_response(
                400,
                f"timestamp must be a whole number of epoch seconds (0..{_INT64_MAX}),"
                f" got {_shown(raw)}.",
            )
        before = int(raw)
    status = simulator.store.status(segment_id)
    if status == "missing" and not simulator.lenient:
        return error_response(404, f"No segment with id {_shown(segment_id)}.")
    if status == "forbidden":
        return error_response(403, f"This token may not read segment {_shown(segment_id)}.")
    quirks = simulator.config.quirks
    cursor_form = before is not None
    limit = PAGE_SIZE + 1 if "page_51" in quirks else PAGE_SIZE
    if "short_pages" in quirks:
        limit = SHORT_PAGE
    skip = cursor_form and "skip_at_page_boundary" in quirks
    if cursor_form and before is not None and "cursor_off_by_one" in quirks:
        before -= 1
    rows = simulator.page(
        segment_id,
        before,
        limit=limit + 1 if skip else limit,
        inclusive="inclusive_cursor" in quirks,
    )
    if skip and len(rows) > 1:
        del rows[1]  # a full page still: the loss is silent
    if "oldest_first" in quirks:
        rows.reverse()
    return simulator.data_response(rows, before if cursor_form else None)


def _recent(simulator: Simulator, request: Request) -> Response:
    if simulator.lenient:
        values = segment_ids_from_query(request.scope.get("query_string", b""))
    else:
        values = request.query_params.getlist("segmentIds")
    if not values:
        return error_response(400, "The segmentIds query parameter is required.")
    # A repeated parameter counts as one comma-separated list.
    ids = ",".join(values).split(",")
    if any(not segment_id for segment_id in ids):
        return error_response(400, "segmentIds must be comma-separated non-empty ids.")
    if len(ids) > MAX_BATCH_IDS:
        return error_response(
            400, f"segmentIds holds {len(ids)} ids; at most {MAX_BATCH_IDS} are allowed."
        )
    unique = list(dict.fromkeys(ids))
    quirks = simulator.config.quirks
    if "batch_previous" in quirks:
        # Each segment's second-newest record (its only one when it has one).
        rows = [
            page[-1]
            for segment_id in unique
            if (page := simulator.latest([segment_id], per_segment=2))
        ]
        return simulator.data_response(rows)
    per_segment = 2 if "batch_duplicates" in quirks else 1
    rows = simulator.latest(unique, per_segment=per_segment)
    if "batch_unasked_id" in quirks:
        others = [s for s in simulator.store.segment_ids() if s not in unique]
        rows += simulator.latest(others[:1], per_segment=1)
    return simulator.data_response(rows)


def _get_only(path: str, handler: Handler) -> RawPathRoute:
    # GET only (no HEAD): the API is read-only and answers GET alone. Matched on the raw
    # path so an encoded "/" stays inside the segment id (see routing.py).
    return RawPathRoute(path, _operation(handler), methods=["GET"])


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        detail = f"No operation at {_shown(request.url.path)}."
    elif exc.status_code == 405:
        detail = f"Method {request.method} is not allowed here; the API is read-only (GET)."
    else:
        detail = str(exc.detail)
    return error_response(exc.status_code, detail, dict(exc.headers or {}))


async def _internal_error(_request: Request, _exc: Exception) -> Response:
    # No traceback and no exception text: they may hold request data.
    return error_response(500, "The simulator failed to answer this request.")


class _StatusCounter:
    """Counts responses by status, so tests can see what the server answered."""

    def __init__(self, app: ASGIApp, counts: Counter[int]) -> None:
        self.app = app
        self.counts = counts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.counts[message["status"]] += 1
            await send(message)

        await self.app(scope, receive, counting_send)


def create_app(
    config: SimulatorConfig | None = None, *, clock: Clock = time.monotonic
) -> Starlette:
    """Build the simulator for ``config`` (defaults: seed 0, 20 segments of 300, 5 rps).

    ``clock`` drives the rate limiter (inject a fake one in tests). The app's state
    exposes the ground truth: ``app.state.store`` (``records(id)``,
    ``segment_ids()``), ``app.state.config``, ``app.state.faults.counts`` (faults
    injected by kind) and ``app.state.status_counts`` (responses by status).
    """
    config = config or SimulatorConfig()
    store = Store.build(config)
    simulator = Simulator(config, store, clock)
    app = Starlette(
        routes=[
            _get_only(f"{API_PREFIX}/count-history", _recent),
            _get_only(f"{API_PREFIX}/{{segmentId}}/count-history", _segment_page),
            _get_only(f"{API_PREFIX}/{{segmentId}}/count-history/{{timestamp}}", _segment_page),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _internal_error},
    )
    # A trailing slash must answer 404 JSON, not a 307 to another operation.
    app.router.redirect_slashes = False
    status_counts: Counter[int] = Counter()
    app.add_middleware(_StatusCounter, counts=status_counts)
    app.state.simulator = simulator
    app.state.store = store
    app.state.config = config
    app.state.faults = simulator.faults
    app.state.status_counts = status_counts
    return app
