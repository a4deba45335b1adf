"""The handle a test holds: one simulated ActiveCampaign account, checked at every call.

``SimulatedAccount`` checks each argument before anything reaches the simulator, so a bad
value fails at the line that passed it, never as a server error later. It imports nothing
of the simulator: the server side (``_server``) is imported only when an account is opened,
so a user's pytest starts, and this module imports, without the ``testing`` extra.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import math
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

import attrs
import httpx

from .._records import CountRecord
from ..client import AsyncSegmentsClient, SegmentsClient

if TYPE_CHECKING:
    from activecampaign_simulator.dataset import Row

    from ._server import AccountBackend

__all__ = ["AccountClosedError", "ReceivedRequest", "SimulatedAccount", "simulated_account"]

_UTC: Final = dt.UTC
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=_UTC)
# SQLite integers (the simulator's store) are signed 64-bit.
_MAX_INT: Final = 2**63 - 1
_SECOND_MS: Final = 1000
_HOUR_MS: Final = 3_600_000


class AccountClosedError(RuntimeError):
    """A simulated account used after the test, or ``with`` block, that opened it ended."""


@attrs.frozen
class ReceivedRequest:
    """One request a simulated account received.

    Attributes:
        method: the HTTP method, e.g. ``"GET"``.
        path: the path, percent-decoded, e.g. ``"/api/3/segmentsV2/4/count-history"``.
        query: the query string as sent, without the ``?`` (``""`` when there is none).
        status: the status the account answered, or ``None`` while it has not answered yet.
    """

    method: str
    path: str
    query: str
    status: int | None = None


def _segment_id(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"segment_id must be a non-empty string, got {value!r}")
    if "/" in value or "," in value:
        # "," splits ids in the batch form; "/" would make the id part of the path.
        raise ValueError(f"segment_id must not contain '/' or ',', got {value!r}")
    return value


def _whole(name: str, value: object, *, least: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= _MAX_INT:
        raise ValueError(f"{name} must be a whole number >= {least}, got {value!r}")
    return value


def _seconds(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number of seconds >= 0, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a finite number of seconds >= 0, got {value!r}")
    return float(value)


def _text(name: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _epoch_ms(recorded_at: object) -> int:
    """``recorded_at`` in epoch milliseconds (rounded down: the API's precision)."""
    if not isinstance(recorded_at, dt.datetime):
        raise ValueError(f"recorded_at must be a datetime, got {recorded_at!r}")
    if recorded_at.tzinfo is None or recorded_at.utcoffset() is None:
        raise ValueError(
            f"recorded_at must be timezone-aware (e.g. tzinfo=datetime.UTC), got the naive"
            f" {recorded_at.isoformat()}: a count's time is an instant, not a wall-clock time"
        )
    if recorded_at < _EPOCH:
        raise ValueError(f"recorded_at must not be before 1970, got {recorded_at.isoformat()}")
    return (recorded_at - _EPOCH) // dt.timedelta(milliseconds=1)


def _retry_after(value: object) -> str:
    """``Retry-After`` for ``value`` seconds: whole, or with up to three decimals."""
    seconds = _seconds("retry_after", value)
    return f"{seconds:.3f}".rstrip("0").rstrip(".")


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default TLS context, made once: making one loads the CA bundle (~40 ms), a
    cost every client of every test would pay again, though the simulator is plain HTTP."""
    return httpx.create_ssl_context()


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _first_hash(segment_id: str) -> str:
    # A segment's definition hash, stable for the segment (as ActiveCampaign's is until
    # someone edits the segment).
    return hashlib.sha256(f"segment:{segment_id}".encode()).hexdigest()


class SimulatedAccount:
    """A fresh, empty ActiveCampaign account on the bundled simulator.

    Get one from the ``ac_simulator`` fixture or from :func:`simulated_account`. It starts
    with no segment at all, answers at once (no latency) and without a rate limit; a test
    adds counts with :meth:`add_count` and :meth:`add_history`, makes the API fail with
    :meth:`fail_next`, and reads what its code sent in :attr:`requests`. Point your code at
    :attr:`base_url` and :attr:`api_token`, or at :attr:`env`.

    Every method checks its arguments first: a bad value raises ``ValueError`` at the call.
    Once the test (or ``with`` block) that opened the account has ended, every method raises
    :class:`AccountClosedError`, and the account answers HTTP requests with a 401 saying so.
    """

    def __init__(self, backend: AccountBackend) -> None:
        self._backend = backend
        self._lock = threading.Lock()
        self._run_ids: set[str] = set()

    @property
    def base_url(self) -> str:
        """The account's API URL, e.g. ``http://127.0.0.1:50123`` (loopback, plain HTTP)."""
        return self._backend.base_url

    @property
    def api_token(self) -> str:
        """The account's API token: the only one it accepts (others get a 401)."""
        return self._backend.token

    @property
    def env(self) -> dict[str, str]:
        """``ACTIVECAMPAIGN_API_URL`` and ``ACTIVECAMPAIGN_API_KEY`` for this account.

        For code that calls ``SegmentsClient.from_env()`` or runs ``ac-segments``, e.g.
        ``subprocess.run(["ac-segments", "latest", "4"], env={**os.environ, **account.env})``.
        """
        return {"ACTIVECAMPAIGN_API_URL": self.base_url, "ACTIVECAMPAIGN_API_KEY": self.api_token}

    def _open(self) -> AccountBackend:
        reason = self._backend.closed_reason
        if reason is not None:
            raise AccountClosedError(reason)
        return self._backend

    def add_count(
        self,
        segment_id: str,
        result_count: int,
        *,
        recorded_at: dt.datetime | None = None,
        active_result_count: int | None = None,
        segment_hash: str | None = None,
        run_id: str | None = None,
    ) -> CountRecord:
        """Record one count of a segment, creating the segment if it is new.

        The count is served from the next request on. The returned record is the one a
        client reads for it (they compare equal).

        Args:
            segment_id: the segment's id, e.g. ``"4"``.
            result_count: the contacts matching the segment (a whole number >= 0).
            recorded_at: when the count was taken: a timezone-aware ``datetime``, kept to
                the millisecond (the API's precision). By default the current time, or one
                second after the segment's newest count if that is later, so counts added
                in a row come back newest first, in the reverse order of adding.
            active_result_count: the matching contacts subscribed to a list, if any
                (a whole number >= 0); ``None`` leaves it out, as the API sometimes does.
            segment_hash: the segment definition's hash; by default that of the segment's
                newest count (a new segment gets one of its own).
            run_id: the evaluation's id, unique per count; by default a new UUID.

        Raises:
            ValueError: a bad argument: a negative or non-integer count, a naive
                ``datetime``, a ``run_id`` this account already holds, ...
            AccountClosedError: the test or ``with`` block of this account has ended.
        """
        segment_id = _segment_id(segment_id)
        _whole("result_count", result_count)
        if active_result_count is not None:
            _whole("active_result_count", active_result_count)
        at_ms = None if recorded_at is None else _epoch_ms(recorded_at)
        if segment_hash is not None:
            _text("segment_hash", segment_hash)
        if run_id is not None:
            _text("run_id", run_id)
        backend = self._open()
        with self._lock:
            if run_id is not None and run_id in self._run_ids:
                raise ValueError(
                    f"run_id {run_id!r} is already used by another count of this account;"
                    " each count has its own (leave run_id out to get a new one)"
                )
            newest = backend.newest(segment_id)
            if at_ms is None:
                at_ms = _now_ms() if newest is None else max(_now_ms(), newest[1] + _SECOND_MS)
            if segment_hash is None:
                segment_hash = _first_hash(segment_id) if newest is None else newest[2]
            while run_id is None or run_id in self._run_ids:
                run_id = str(uuid.uuid4())
            row: Row = (
                segment_id,
                at_ms,
                segment_hash,
                run_id,
                result_count,
                active_result_count,
                None,  # count_updating_with_runid
            )
            (record,) = backend.add_rows([row])
            self._run_ids.add(run_id)
        return record

    def add_history(self, segment_id: str, n: int) -> list[CountRecord]:
        """Record ``n`` realistic counts of a segment, about an hour apart; newest first.

        Realistic as the simulator's own data: counts drifting as a random walk, the
        definition hash changing once to three times, ``active_result_count`` missing on
        some counts, a few counts a second apart or in one second. The values are the same
        on every run; the times end at the current time, or, when the segment already has
        counts that recent, start an hour after its newest one.

        Returns:
            the new counts, newest first: what the client's ``count_history`` yields for a
            segment that held no counts before.

        Raises:
            ValueError: a bad ``segment_id``, or ``n`` not a whole number >= 0.
            AccountClosedError: the test or ``with`` block of this account has ended.
        """
        segment_id = _segment_id(segment_id)
        _whole("n", n)
        backend = self._open()
        if n == 0:
            return []
        with self._lock:
            newest = backend.newest(segment_id)
            # Seeded by what the segment holds: repeatable, and new run ids each call.
            rows = backend.generated_rows(segment_id, n, seed=backend.record_count(segment_id))
            # Whole seconds, so counts that share a second in the data still share one.
            shift = (_now_ms() - rows[0][1]) // _SECOND_MS * _SECOND_MS
            if newest is not None and rows[-1][1] + shift <= newest[1]:
                shift = (newest[1] + _HOUR_MS - rows[-1][1]) // _SECOND_MS * _SECOND_MS
            moved = [(r[0], r[1] + shift, r[2], r[3], r[4], r[5], r[6]) for r in rows]
            if any(row[3] in self._run_ids for row in moved):  # 128 random bits: never
                raise RuntimeError("the generated history repeats a run id; add it again")
            records = backend.add_rows(moved)
            self._run_ids.update(row[3] for row in moved)
        return records

    def fail_next(self, status: int, *, times: int = 1, retry_after: float | None = None) -> None:
        """Answer the next ``times`` requests with ``status`` and the API's error body.

        Failures queue up: ``fail_next(503)`` then ``fail_next(429, retry_after=1)`` fails
        the next request with a 503 and the one after with a 429. The client retries 408,
        429, 500, 502-504 and 520-527 (waiting ``Retry-After`` when sent, else a backoff of
        up to half a second on the first retry); it raises the typed error of any other
        status at once.

        Args:
            status: an HTTP error status, 400 to 599 (e.g. 429, 503, 520).
            times: how many requests in a row fail (at least 1).
            retry_after: seconds for a ``Retry-After`` header (e.g. ``0.01`` for a fast
                retry in a test); none is sent when ``None``.

        Raises:
            ValueError: ``status`` outside 400..599, ``times`` < 1, a negative ``retry_after``.
            AccountClosedError: the test or ``with`` block of this account has ended.
        """
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise ValueError(f"status must be an HTTP error status in 400..599, got {status!r}")
        _whole("times", times, least=1)
        header = None if retry_after is None else _retry_after(retry_after)
        self._open().queue_failures(status, times, header)

    @property
    def requests(self) -> list[ReceivedRequest]:
        """The requests this account received so far, in the order they arrived.

        Every request counts: those answered by :meth:`fail_next` or the rate limit and
        those with a wrong token too. Each has ``method``, ``path``, ``query`` and the
        ``status`` answered (see :class:`ReceivedRequest`).
        """
        return self._open().received()

    def set_rate_limit(self, rps: float | None) -> None:
        """Limit the account to ``rps`` requests a second, as ActiveCampaign does (5).

        Beyond it the account answers 429 with ``Retry-After``, from a token bucket of
        ``max(1, rps)`` requests. ``None`` or ``0`` turns the limit off (the default).

        Raises:
            ValueError: ``rps`` negative or not finite.
        """
        rate = 0.0 if rps is None else _seconds("rps", rps)
        self._open().set_rate_limit(rate or None)

    def set_latency(self, seconds: float) -> None:
        """Delay every answer by ``seconds`` (a real account is 0.1 to 0.3 s away; default 0).

        Raises:
            ValueError: ``seconds`` negative or not finite.
        """
        self._open().set_latency(_seconds("seconds", seconds))

    def client(self, **options: Any) -> SegmentsClient:
        """A ``SegmentsClient`` for this account, without the rate limiter's pauses.

        ``options`` are the constructor's keyword options; ``requests_per_second``
        defaults to ``None`` here. Close it (``with``) when done.
        """
        self._open()
        options.setdefault("requests_per_second", None)
        if "transport" not in options:
            options["transport"] = httpx.HTTPTransport(verify=_tls_context())
        return SegmentsClient(self.base_url, self.api_token, **options)

    def async_client(self, **options: Any) -> AsyncSegmentsClient:
        """An ``AsyncSegmentsClient`` for this account, without the rate limiter's pauses.

        ``options`` as for :meth:`client`. Close it (``async with``) when done.
        """
        self._open()
        options.setdefault("requests_per_second", None)
        if "transport" not in options:
            options["transport"] = httpx.AsyncHTTPTransport(verify=_tls_context())
        return AsyncSegmentsClient(self.base_url, self.api_token, **options)

    def __repr__(self) -> str:
        state = "closed" if self._backend.closed_reason else "open"
        return f"SimulatedAccount(base_url={self.base_url!r}, api_token='***', {state})"


@contextlib.contextmanager
def simulated_account() -> Iterator[SimulatedAccount]:
    """A fresh, empty simulated account for the ``with`` block: the fixtures without pytest.

    Starts the simulator on a free loopback port in a background thread, and stops it when
    the block ends (about a fifth of a second in all; in pytest, the ``ac_simulator``
    fixture shares one server among all tests instead)::

        with simulated_account() as account, account.client() as client:
            account.add_count("4", 1200)
            assert client.latest_counts(["4"])["4"].result_count == 1200

    Raises:
        MissingExtraError: the ``testing`` extra is not installed (an ``ImportError``
            whose one-line message says what to ``pip install``).
    """
    from ._server import SimulatorServer

    with SimulatorServer() as server, server.account("the `with simulated_account()` block") as acc:
        yield acc
