"""Exit codes and the one place that turns an exception into a one-line message.

Every failure class a person can meet has its own exit code, so scripts can tell a
wrong token from a server outage without parsing text:

====  ==========================================================
code  meaning
====  ==========================================================
0     success
1     any other error (unexpected response status, a bug)
2     usage error (unknown option, bad option value) -- Click's own code
3     missing or invalid configuration (base URL, token)
4     authentication failed (HTTP 401)
5     segment not found (404) or forbidden (403)
6     rate limited: still HTTP 429 after every retry
7     server error: still HTTP 5xx after every retry
8     network unreachable or timed out
9     invalid date or date range
10    the server answered something that is not the documented API
11    an optional extra is missing (matplotlib for ``plot``)
12    the output file cannot be written
13    the history store (``--db``) cannot be used: a directory, not a store, corrupt,
      written by a newer version, or cannot be written
14    the history store stayed locked by another process past the timeout
130   interrupted (Ctrl-C)
====  ==========================================================
"""

from __future__ import annotations

import enum

from activecampaign_segments import (
    ActiveCampaignError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
)
from activecampaign_segments._errors import Secret
from activecampaign_segments._errors import redact as _redact
from activecampaign_segments._extras import MissingExtraError, require
from activecampaign_segments.store import StoreError, StoreLockedError


class ExitCode(enum.IntEnum):
    """The process exit status of ``ac-segments`` for each class of outcome."""

    OK = 0
    ERROR = 1
    USAGE = 2
    CONFIG = 3
    AUTH = 4
    NOT_FOUND = 5
    RATE_LIMITED = 6
    SERVER = 7
    NETWORK = 8
    INVALID_DATE = 9
    BAD_RESPONSE = 10
    MISSING_EXTRA = 11
    OUTPUT = 12
    STORE = 13
    STORE_LOCKED = 14
    INTERRUPTED = 130


class CliError(Exception):
    """An error the CLI itself detects; carries the exit code to leave with."""

    def __init__(self, code: ExitCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def require_extra(extra: str, command: str) -> None:
    """Fail before any request, naming the ``pip install`` to run, if ``extra`` is missing."""
    try:
        require(extra, command)
    except MissingExtraError as exc:
        raise CliError(ExitCode.MISSING_EXTRA, str(exc)) from None


MIN_REDACTED_LENGTH = 8


def redact(text: str, secret: str | None) -> str:
    """Replace every occurrence of ``secret`` in ``text`` (defence in depth for the token).

    Secrets shorter than ``MIN_REDACTED_LENGTH`` are left alone: a one-letter "token"
    would turn every message into asterisks, and real API tokens are 64+ characters.
    """
    if secret and len(secret) >= MIN_REDACTED_LENGTH:
        return str(_redact(text, Secret(secret)))
    return text


def one_line(text: str) -> str:
    """Collapse a message to a single line: stderr gets exactly one line per error."""
    return " ".join(text.split())


def describe(exc: BaseException, base_url: str | None = None) -> tuple[ExitCode, str]:
    """Map an exception to its exit code and a short explanation for a person.

    ``base_url`` (the configured API URL) is named in network errors: the server that
    could not be reached is the first thing to check.
    """
    if isinstance(exc, CliError):
        return exc.code, exc.message
    # Order matters: the most specific classes first (timeout is a connection error,
    # every status class is an APIStatusError).
    if isinstance(exc, AuthenticationError):
        return ExitCode.AUTH, (
            f"authentication failed: {exc} "
            "(check --api-token / ACTIVECAMPAIGN_API_KEY and the account's base URL)"
        )
    if isinstance(exc, PermissionDeniedError):
        return ExitCode.NOT_FOUND, f"forbidden: {exc}"
    if isinstance(exc, NotFoundError):
        return ExitCode.NOT_FOUND, f"not found: {exc}"
    if isinstance(exc, RateLimitError):
        return ExitCode.RATE_LIMITED, (
            f"rate limited after retries: {exc} (lower --rps or raise --max-retries)"
        )
    if isinstance(exc, ServerError):
        return ExitCode.SERVER, f"server error after retries: {exc}"
    where = f" {base_url}" if base_url else ""
    if isinstance(exc, APITimeoutError):
        return ExitCode.NETWORK, f"timed out waiting for{where}: {exc} (raise --timeout?)"
    if isinstance(exc, APIConnectionError):
        return ExitCode.NETWORK, f"network unreachable: cannot reach{where}: {exc}"
    if isinstance(exc, (ResponseValidationError, PaginationError)):
        return ExitCode.BAD_RESPONSE, f"unexpected response from the server: {exc}"
    if isinstance(exc, APIStatusError):
        return ExitCode.ERROR, f"request failed: {exc}"
    if isinstance(exc, ActiveCampaignError):
        return ExitCode.ERROR, str(exc)
    if isinstance(exc, StoreLockedError):
        return ExitCode.STORE_LOCKED, f"{exc}; try again later (sync --lock-timeout waits longer)"
    if isinstance(exc, StoreError):
        return ExitCode.STORE, str(exc)
    if isinstance(exc, OSError):
        return ExitCode.OUTPUT, f"cannot write output: {exc}"
    return ExitCode.ERROR, (
        f"unexpected {type(exc).__name__}: {exc} (rerun with --debug for the traceback)"
    )
