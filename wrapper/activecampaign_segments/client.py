"""``SegmentsClient`` and ``AsyncSegmentsClient``: thin shells that do the I/O.

Every decision is made by plain code both clients share: ``_config`` checks the
settings, ``_paging.Pager`` says which cursor to request and what to yield,
``_records`` parses a 200 body, ``_errors`` turns anything else into an exception.
The two classes differ only in ``await``.

How requests go through the generated client, and why not through ``sync_detailed``:
the generated operation modules build each request (``_get_kwargs``: path template,
percent-encoding of the segment id, query names), the request is sent with the
generated client's own httpx client (``client.api``), and a 200 body is parsed by the
generated models' ``from_dict`` (in ``_records``). The generated ``sync_detailed`` is
not used because it cannot fail cleanly: its ``_build_response`` calls
``HTTPStatus(code)``, which raises ``ValueError`` on the CDN codes 520-527, and its
``_parse_response`` calls ``response.json()`` on 400/404/429 bodies, which crashes on
an HTML error page; either way the response is lost. So the status is checked here,
on the raw response, before any body is handed to the generated models.
``_get_kwargs`` is private by name but part of every openapi-python-client template;
the unit tests assert the URLs it builds, so a regeneration that changes it fails
loudly instead of silently.

Retries and the rate limiter live in the httpx transport (``_transport``), under the
generated client's httpx client, so raw calls through ``client.api`` get them too.

The windowed parallel walk of one segment (``count_history(..., concurrency=N)``) is
planned by ``_windows.WindowedWalk``; each client only runs its requests: the async
client as tasks (its default, ``concurrency=4``), the sync client on N worker threads
(only when asked: by default it walks page after page and starts no thread). Both
loops are written the same way, and both time the first request to let the walk run
no more windows than the shared rate limiter can use.
"""

from __future__ import annotations

import asyncio
import time
import types
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sized
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from typing import Any, Final, NoReturn, Required, Self, TypedDict

import httpx
from activecampaign_segments_api.api.count_history import (
    get_count_history_by_segment_id as _first_page_op,
)
from activecampaign_segments_api.api.count_history import (
    get_count_history_with_timestamp as _page_before_op,
)
from activecampaign_segments_api.api.count_history import (
    get_recent_count_history as _recent_op,
)
from activecampaign_segments_api.client import AuthenticatedClient

from ._config import ClientConfig, env_settings, proxy_from_environment
from ._errors import (
    TOKEN_HEADER,
    ResponseValidationError,
    Secret,
    error_from_exception,
    error_from_response,
    redact,
)
from ._limiter import RateLimiter, limiter_key, shared_limiter
from ._paging import Pager, Timepoint
from ._records import CountPage, CountRecord, parse_count_history
from ._transport import AsyncRetryingTransport, RetryingTransport, TransportStats
from ._windows import (
    DEFAULT_CONCURRENCY,
    WindowedWalk,
    check_concurrency,
    windows_worth_running,
)

__all__ = ["AsyncSegmentsClient", "SegmentsClient"]

MAX_IDS_PER_REQUEST: Final = 100
"""``latest_counts`` splits its ids into requests of at most this many (the API's limit)."""

_USER_AGENT: Final = "activecampaign-segments/0.1.0"


class _Api(AuthenticatedClient):
    """The generated client, unchanged but for a ``repr`` that does not print the token."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"AuthenticatedClient(base_url={self._base_url!r}, token='***')"


class _WrongSideTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Fills the generated client's other httpx slot (async for the sync client and
    vice versa), so a raw call there fails with a clear message instead of going out
    without retries, rate limit or timeout."""

    def __init__(self, message: str) -> None:
        self._message = message

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError(self._message)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError(self._message)


def _check_segment_id(segment_id: object) -> str:
    if not isinstance(segment_id, str) or not segment_id.strip():
        raise ValueError(f"segment_id must be a non-empty string, got {segment_id!r}")
    return segment_id


class _Request(TypedDict, total=False):
    """The arguments of ``httpx.Client.request`` for one API call, as the generated
    operation modules build them (``_get_kwargs``), typed."""

    method: Required[str]
    url: Required[str]
    params: httpx.QueryParams


def _typed(kwargs: Mapping[str, object]) -> _Request:
    # `_get_kwargs` returns dict[str, Any]; check its shape here, once per request, so no
    # `Any` reaches the request and a template that starts sending something else (a body,
    # headers) fails loudly instead of being dropped.
    method, url, params = kwargs.get("method"), kwargs.get("url"), kwargs.get("params")
    # An optional header parameter the document adds makes the template carry `headers`,
    # empty while the wrapper sets none of them: nothing is dropped, so that goes through
    # (a non-empty one still fails loudly).
    empty = {"headers"} if kwargs.get("headers") in ({}, None) else set()
    unknown = sorted(set(kwargs) - {"method", "url", "params"} - empty)
    if not isinstance(method, str) or not isinstance(url, str) or unknown:
        raise TypeError(f"the generated client built an unexpected request: {sorted(kwargs)}")
    request: _Request = {"method": method, "url": url}
    if params is not None:
        if not isinstance(params, Mapping):
            raise TypeError(f"the generated client built query params {params!r}")
        request["params"] = httpx.QueryParams(params)
    return request


def _page_request(segment_id: str, before: int | None) -> _Request:
    # Keyword arguments, typed by the generated signatures: a parameter the document
    # makes required, renames or retypes fails `make lint` here, naming it.
    if before is None:
        request = _typed(_first_page_op._get_kwargs(segment_id=segment_id))
    else:
        request = _typed(_page_before_op._get_kwargs(segment_id=segment_id, timestamp=before))
    if segment_id in (".", ".."):
        # quote() leaves dots alone and httpx resolves "." and ".." path segments
        # (RFC 3986), which would send the request to another resource entirely.
        encoded = "%2E" * len(segment_id)
        request["url"] = request["url"].replace(f"/{segment_id}/", f"/{encoded}/", 1)
    return request


def _latest_request(chunk: list[str]) -> _Request:
    return _typed(_recent_op._get_kwargs(segment_ids=",".join(chunk)))


def _id_chunks(ids: Iterable[str]) -> list[list[str]]:
    """Check, deduplicate (keeping order) and split ids into requests of at most 100."""
    if isinstance(ids, str | bytes):
        raise ValueError("ids must be an iterable of segment ids, not a single string")
    unique: dict[str, None] = {}
    for segment_id in ids:
        _check_segment_id(segment_id)
        if "," in segment_id:
            # The API takes the ids comma-separated; such an id cannot be asked for.
            raise ValueError(f"a segment id cannot contain a comma: {segment_id!r}")
        unique[segment_id] = None
    ordered = list(unique)
    return [
        ordered[i : i + MAX_IDS_PER_REQUEST] for i in range(0, len(ordered), MAX_IDS_PER_REQUEST)
    ]


def _raise_connection_error(exc: httpx.RequestError, token: Secret) -> NoReturn:
    error = error_from_exception(exc)
    if redact(str(exc), token) != str(exc):
        # The cause would print the token in every traceback; keep it out of them.
        raise error from None
    raise error from exc


def _records_of(response: httpx.Response) -> tuple[list[CountRecord], Secret]:
    """The records of a 200 response (else its error), and the token to redact."""
    if response.status_code != 200:
        raise error_from_response(response)
    secret = Secret.of(response.request)
    return parse_count_history(response.content, secret=secret), secret


def _page_records(segment_id: str, response: httpx.Response) -> list[CountRecord]:
    records, secret = _records_of(response)
    for index, record in enumerate(records):
        if record.segment_id != segment_id:
            raise ResponseValidationError(
                f"data[{index}].attributes.segment_id",
                redact(
                    f"a record of segment {record.segment_id!r} in the history of {segment_id!r}",
                    secret,
                ),
            )
    return records


def _collect_latest(
    chunk: list[str], response: httpx.Response, into: dict[str, CountRecord]
) -> None:
    records, secret = _records_of(response)
    asked = set(chunk)
    for index, record in enumerate(records):
        where = f"data[{index}].attributes.segment_id"
        if record.segment_id not in asked:
            problem = f"{record.segment_id!r} was not asked for"
        elif record.segment_id in into:
            problem = f"{record.segment_id!r} answered twice"
        else:
            into[record.segment_id] = record
            continue
        raise ResponseValidationError(where, redact(problem, secret))


def _check_waiting(requests: Sized) -> None:
    """A walk that is not done always waits for a request; never spin or hang."""
    if not requests:
        raise RuntimeError("the windowed walk is not done but waits for no request (a bug)")


class _ClientBase:
    """What the sync and async clients share: settings, the generated client, stats."""

    def __init__(
        self,
        base_url: str,
        api_token: str,
        *,
        timeout: float | None,
        max_retries: int,
        requests_per_second: float | None,
        transport: object,
        allow_insecure: bool,
        asynchronous: bool,
    ) -> None:
        self._config = ClientConfig.create(
            base_url=base_url,
            api_token=api_token,
            timeout=timeout,
            max_retries=max_retries,
            requests_per_second=requests_per_second,
            allow_insecure=allow_insecure,
        )
        rate = self._config.requests_per_second
        self._limiter: RateLimiter | None = (
            None if rate is None else shared_limiter(limiter_key(self._config.base_url), rate)
        )
        self._stats = TransportStats()
        self._timeout = httpx.Timeout(self._config.timeout)
        self._api = _Api(
            base_url=self._config.base_url,
            token=self._config.api_token,
            prefix="",
            auth_header_name=TOKEN_HEADER,
            timeout=self._timeout,
            follow_redirects=False,
            raise_on_unexpected_status=False,
        )
        # The inner transport sits under the retries and the limiter, so they apply
        # under any transport (a proxy, a MockTransport in tests). The generated
        # client's other httpx slot gets a transport that refuses with a clear message.
        options = self._httpx_options()
        retries, limiter = self._config.max_retries, self._limiter
        name = type(self).__name__
        # With no transport given, the default one honours the environment's proxy
        # settings (HTTPS_PROXY, NO_PROXY, ...) under the retries and the limiter.
        proxy = proxy_from_environment(self._config.base_url) if transport is None else None
        if asynchronous:
            if transport is not None and not isinstance(transport, httpx.AsyncBaseTransport):
                raise TypeError(f"{name} needs an httpx.AsyncBaseTransport as transport")
            inner = AsyncRetryingTransport(
                transport or httpx.AsyncHTTPTransport(proxy=proxy),
                max_retries=retries,
                limiter=limiter,
                stats=self._stats,
            )
            self._api.set_async_httpx_client(httpx.AsyncClient(transport=inner, **options))
            wrong = _WrongSideTransport(f"{name}.api makes async calls; use SegmentsClient.api")
            self._api.set_httpx_client(httpx.Client(transport=wrong, trust_env=False))
        else:
            if transport is not None and not isinstance(transport, httpx.BaseTransport):
                raise TypeError(f"{name} needs a sync httpx.BaseTransport as transport")
            sync_inner = RetryingTransport(
                transport or httpx.HTTPTransport(proxy=proxy),
                max_retries=retries,
                limiter=limiter,
                stats=self._stats,
            )
            self._api.set_httpx_client(httpx.Client(transport=sync_inner, **options))
            wrong = _WrongSideTransport(f"{name}.api makes sync calls; use AsyncSegmentsClient.api")
            self._api.set_async_httpx_client(httpx.AsyncClient(transport=wrong, trust_env=False))

    @classmethod
    def from_env(cls, **options: Any) -> Self:
        """A client from ``ACTIVECAMPAIGN_API_URL`` and ``ACTIVECAMPAIGN_API_KEY``.

        ``options`` are the constructor's keyword options (``timeout``, ``max_retries``,
        ``requests_per_second``, ``transport``, ``allow_insecure``).

        Raises:
            ValueError: a variable is unset or empty, or holds a bad value.
        """
        base_url, api_token = env_settings()
        return cls(base_url, api_token, **options)

    def _httpx_options(self) -> dict[str, Any]:
        return {
            "base_url": self._config.base_url,
            "headers": {
                TOKEN_HEADER: self._config.api_token,
                "Accept": "application/json",
                "User-Agent": _USER_AGENT,
            },
            "timeout": self._timeout,
            # A redirect would carry the token to another place; a 3xx is an error.
            "follow_redirects": False,
            # httpx would mount environment proxies beside our transport, bypassing its
            # retries and rate limit; the default inner transport applies them instead.
            "trust_env": False,
        }

    def _waits(self) -> float:
        """Seconds this client's requests spent so far waiting (limiter, retry backoff)."""
        return self._stats.limiter_wait + self._stats.retry_wait

    def _pace(self, walk: WindowedWalk, concurrency: int, round_trip: float) -> None:
        """After the first answer: run only as many windows as the limiter can use."""
        rate = None if self._limiter is None else self._limiter.rate
        walk.limit_concurrency(windows_worth_running(concurrency, round_trip, rate))

    @property
    def api(self) -> AuthenticatedClient:
        """The generated ``AuthenticatedClient``, for raw calls (with retries and rate limit)."""
        return self._api

    @property
    def stats(self) -> TransportStats:
        """Counters of this client's transport: requests sent, retries, 429s received."""
        return self._stats

    def __repr__(self) -> str:
        config = self._config
        return (
            f"{type(self).__name__}(base_url={config.base_url!r}, api_token='***', "
            f"timeout={config.timeout!r}, max_retries={config.max_retries!r}, "
            f"requests_per_second={config.requests_per_second!r})"
        )

    __str__ = __repr__


class SegmentsClient(_ClientBase):
    """A client for ActiveCampaign's segment count history API.

    Args:
        base_url: the account's API URL, e.g. ``https://acct.api-us1.com`` (a trailing
            ``/`` or ``/api/3`` is fine). ``http://`` only to loopback hosts.
        api_token: the account's API token (Settings > Developer).
        timeout: seconds per request attempt (``None``: no timeout).
        max_retries: extra attempts after a failed one (connection errors, timeouts,
            408, 429, 500, 502-504, 520-527).
        requests_per_second: the rate shared by every client of this host in the
            process; ``None`` turns the limiter off.
        transport: the httpx transport underneath the retries and rate limit (tests,
            proxies); by default ``httpx.HTTPTransport`` with the environment's proxy
            settings (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``, ``NO_PROXY``).
        allow_insecure: allow ``http://`` to a host that is not loopback.

    Raises:
        ValueError: a bad setting (no request is made).
    """

    def __init__(
        self,
        base_url: str,
        api_token: str,
        *,
        timeout: float | None = 30.0,
        max_retries: int = 4,
        requests_per_second: float | None = 5.0,
        transport: httpx.BaseTransport | None = None,
        allow_insecure: bool = False,
    ) -> None:
        super().__init__(
            base_url,
            api_token,
            timeout=timeout,
            max_retries=max_retries,
            requests_per_second=requests_per_second,
            transport=transport,
            allow_insecure=allow_insecure,
            asynchronous=False,
        )
        self._http = self._api.get_httpx_client()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections. The client cannot be used afterwards."""
        self._http.close()

    def _send(self, request: _Request) -> httpx.Response:
        try:
            return self._http.request(**request)
        except httpx.RequestError as exc:
            _raise_connection_error(exc, Secret(self._config.api_token))

    def _fetch(self, segment_id: str, before: int | None) -> list[CountRecord]:
        return _page_records(segment_id, self._send(_page_request(segment_id, before)))

    def count_history_page(self, segment_id: str, *, before: int | None = None) -> CountPage:
        """Fetch one page (one request): up to 50 records older than ``before``, newest first.

        ``before`` is whole epoch seconds (exclusive); ``None`` asks for the newest page.
        Pass the returned ``next_before`` to get the next page; it is ``None`` on the last.

        Raises:
            ValueError: a bad argument (no request is made).
            ActiveCampaignError: a subclass, for every failure of the request.
        """
        pager = Pager.start(_check_segment_id(segment_id), before=before)
        if pager.done:
            return CountPage([], None)
        outcome = pager.feed(self._fetch(segment_id, pager.before))
        return CountPage(outcome.records, outcome.next_before)

    def count_history_pages(
        self,
        segment_id: str,
        *,
        before: int | None = None,
        since: Timepoint | None = None,
        until: Timepoint | None = None,
    ) -> Iterator[CountPage]:
        """Walk the history page by page (one request each), newest first.

        Each page holds only records not yielded before and within ``[since, until)``;
        save its ``next_before`` to resume later from there. Arguments are checked
        now (``ValueError``), the requests are made as the iterator is consumed.
        """
        pager = Pager.start(_check_segment_id(segment_id), before=before, since=since, until=until)
        return self._walk(pager)

    def _walk(self, pager: Pager) -> Iterator[CountPage]:
        while not pager.done:
            outcome = pager.feed(self._fetch(pager.segment_id, pager.before))
            yield CountPage(outcome.records, outcome.next_before)

    def count_history(
        self,
        segment_id: str,
        *,
        since: Timepoint | None = None,
        until: Timepoint | None = None,
        concurrency: int = 1,
    ) -> Iterator[CountRecord]:
        """Every count record of a segment, newest first, fetched lazily page by page.

        Args:
            segment_id: the segment's id (any string; it is URL-encoded).
            since: keep records recorded at or after this (aware datetime or epoch
                seconds); paging stops at the first older record.
            until: keep records recorded strictly before this; paging starts there.
            concurrency: how many time windows of the history to fetch at once, on
                worker threads (the windowed walk of ``docs/parallel-walk.md``). The
                default 1 walks page after page in the calling thread, with no thread
                started; the CLI passes 4. The records and their order are the same
                either way.

        Every record is yielded exactly once, including records that share a second
        across a page boundary. Arguments are checked now (``ValueError``).

        With ``concurrency > 1``, stopping early (``break``, ``close()``) cancels the
        requests not yet sent and waits for those already sent (at most
        ``concurrency``) before it returns; an error in any window is raised here
        and stops the others the same way.
        """
        if check_concurrency(concurrency) == 1:
            pages = self.count_history_pages(segment_id, since=since, until=until)
            return (record for page in pages for record in page.records)
        walk = WindowedWalk.start(
            _check_segment_id(segment_id), since=since, until=until, concurrency=concurrency
        )
        return self._walk_windows(walk)

    def _timed_fetch(self, segment_id: str, before: int | None) -> tuple[list[CountRecord], float]:
        waits, start = self._waits(), time.perf_counter()
        records = self._fetch(segment_id, before)
        return records, time.perf_counter() - start - (self._waits() - waits)

    def _walk_windows(self, walk: WindowedWalk) -> Iterator[CountRecord]:
        # The same loop as AsyncSegmentsClient._walk_windows, with threads for tasks.
        concurrency, paced = walk.concurrency, False
        pool = ThreadPoolExecutor(concurrency, thread_name_prefix="ac-segments-window")
        out: dict[Future[tuple[list[CountRecord], float]], int] = {}
        try:
            while True:
                for _ in range(2):  # handing out records may make room for a window
                    for request in walk.next_requests():
                        future = pool.submit(self._timed_fetch, walk.segment_id, request.before)
                        out[future] = request.window
                    yield from walk.take()
                if walk.done:
                    return
                _check_waiting(out)
                finished, _ = wait_futures(out, return_when=FIRST_COMPLETED)
                for future in finished:
                    window = out.pop(future)
                    if not walk.wants(window):
                        continue  # abandoned: its answer (or failure) is not needed
                    records, round_trip = future.result()
                    walk.feed(window, records)
                    if not paced:
                        paced = True
                        self._pace(walk, concurrency, round_trip)
                for future, window in out.items():
                    if not walk.wants(window):
                        future.cancel()
        finally:
            for future in out:
                future.cancel()
            pool.shutdown(wait=True)

    def latest_counts(self, ids: Iterable[str]) -> dict[str, CountRecord]:
        """The most recent count of each segment, keyed by segment id.

        Ids are deduplicated and sent at most 100 per request; segments the server
        does not know are simply absent from the result. No ids, no request.
        """
        result: dict[str, CountRecord] = {}
        for chunk in _id_chunks(ids):
            _collect_latest(chunk, self._send(_latest_request(chunk)), result)
        return result


class AsyncSegmentsClient(_ClientBase):
    """The asyncio twin of [`SegmentsClient`][]: the same arguments and behaviour.

    ``async with``, ``async for record in client.count_history(...)``,
    ``await client.latest_counts(...)``; ``transport`` is an ``httpx.AsyncBaseTransport``.
    """

    def __init__(
        self,
        base_url: str,
        api_token: str,
        *,
        timeout: float | None = 30.0,
        max_retries: int = 4,
        requests_per_second: float | None = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
        allow_insecure: bool = False,
    ) -> None:
        super().__init__(
            base_url,
            api_token,
            timeout=timeout,
            max_retries=max_retries,
            requests_per_second=requests_per_second,
            transport=transport,
            allow_insecure=allow_insecure,
            asynchronous=True,
        )
        self._http = self._api.get_async_httpx_client()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections. The client cannot be used afterwards."""
        await self._http.aclose()

    async def close(self) -> None:
        """The same as [`aclose`][] (``await client.close()``)."""
        await self.aclose()

    async def _send(self, request: _Request) -> httpx.Response:
        try:
            return await self._http.request(**request)
        except httpx.RequestError as exc:
            _raise_connection_error(exc, Secret(self._config.api_token))

    async def _fetch(self, segment_id: str, before: int | None) -> list[CountRecord]:
        return _page_records(segment_id, await self._send(_page_request(segment_id, before)))

    async def count_history_page(self, segment_id: str, *, before: int | None = None) -> CountPage:
        """Fetch one page; see [`SegmentsClient.count_history_page`][]."""
        pager = Pager.start(_check_segment_id(segment_id), before=before)
        if pager.done:
            return CountPage([], None)
        outcome = pager.feed(await self._fetch(segment_id, pager.before))
        return CountPage(outcome.records, outcome.next_before)

    def count_history_pages(
        self,
        segment_id: str,
        *,
        before: int | None = None,
        since: Timepoint | None = None,
        until: Timepoint | None = None,
    ) -> AsyncIterator[CountPage]:
        """Walk the history page by page; see [`SegmentsClient.count_history_pages`][]."""
        pager = Pager.start(_check_segment_id(segment_id), before=before, since=since, until=until)
        return self._walk(pager)

    async def _walk(self, pager: Pager) -> AsyncIterator[CountPage]:
        while not pager.done:
            outcome = pager.feed(await self._fetch(pager.segment_id, pager.before))
            yield CountPage(outcome.records, outcome.next_before)

    def count_history(
        self,
        segment_id: str,
        *,
        since: Timepoint | None = None,
        until: Timepoint | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> AsyncIterator[CountRecord]:
        """Every count record, newest first; see [`SegmentsClient.count_history`][].

        Args:
            segment_id: the segment's id (any string; it is URL-encoded).
            since: keep records recorded at or after this (aware datetime or epoch
                seconds).
            until: keep records recorded strictly before this.
            concurrency: how many time windows of the history are fetched at once
                (default 4; 1 walks page after page). Windows share the client's rate
                limiter; after the first answer the walk runs only as many as the
                limiter can use (one, sending exactly the page-after-page requests,
                when the server answers faster than the limiter lets requests out).
                The records and their order are the same either way.

        Stopping early (``break``, then ``aclose()`` or garbage collection; use
        ``contextlib.aclosing`` to make it immediate) cancels the requests in
        flight; an error in any window is raised here and cancels the others.
        """
        if check_concurrency(concurrency) == 1:
            return self._records(self.count_history_pages(segment_id, since=since, until=until))
        walk = WindowedWalk.start(
            _check_segment_id(segment_id), since=since, until=until, concurrency=concurrency
        )
        return self._walk_windows(walk)

    async def _timed_fetch(
        self, segment_id: str, before: int | None
    ) -> tuple[list[CountRecord], float]:
        waits, start = self._waits(), time.perf_counter()
        records = await self._fetch(segment_id, before)
        return records, time.perf_counter() - start - (self._waits() - waits)

    async def _walk_windows(self, walk: WindowedWalk) -> AsyncIterator[CountRecord]:
        concurrency, paced = walk.concurrency, False
        out: dict[asyncio.Task[tuple[list[CountRecord], float]], int] = {}
        try:
            while True:
                for _ in range(2):  # handing out records may make room for a window
                    for request in walk.next_requests():
                        fetch = self._timed_fetch(walk.segment_id, request.before)
                        out[asyncio.create_task(fetch)] = request.window
                    for record in walk.take():
                        yield record
                if walk.done:
                    return
                _check_waiting(out)
                finished, _ = await asyncio.wait(out, return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    window = out.pop(task)
                    if not walk.wants(window):
                        continue  # abandoned: its answer (or failure) is not needed
                    records, round_trip = task.result()
                    walk.feed(window, records)
                    if not paced:
                        paced = True
                        self._pace(walk, concurrency, round_trip)
                for task, window in out.items():
                    if not walk.wants(window):
                        task.cancel()
        finally:
            for task in out:
                task.cancel()
            # Wait for the cancellations to land, so no task outlives the walk and no
            # failure of an abandoned request is left unretrieved.
            await asyncio.gather(*out, return_exceptions=True)

    @staticmethod
    async def _records(pages: AsyncIterator[CountPage]) -> AsyncIterator[CountRecord]:
        async for page in pages:
            for record in page.records:
                yield record

    async def latest_counts(self, ids: Iterable[str]) -> dict[str, CountRecord]:
        """The most recent count of each segment; see [`SegmentsClient.latest_counts`][]."""
        result: dict[str, CountRecord] = {}
        for chunk in _id_chunks(ids):
            _collect_latest(chunk, await self._send(_latest_request(chunk)), result)
        return result
