"""The exceptions the client raises, and the one place that maps a response to one.

Our exception hierarchy::

    ActiveCampaignError
    ├── APIConnectionError ........... no response at all (refused, reset, DNS, TLS, ...)
    │   └── APITimeoutError .......... the request timed out
    ├── APIStatusError ............... a response other than 200 (after retries); 3xx included
    │   ├── BadRequestError .......... 400
    │   ├── AuthenticationError ...... 401
    │   ├── PermissionDeniedError .... 403
    │   ├── NotFoundError ............ 404
    │   ├── RateLimitError ........... 429
    │   └── ServerError .............. 500-599 (the CDN codes 520-527 included)
    ├── ResponseValidationError ...... a 200 whose body does not match the spec
    └── PaginationError .............. a server whose cursor does not move the walk forward

Bad arguments raise the built-in ``ValueError`` before any request is sent.

No message built here ever contains the API token: a server that echoes the token
back in an error body gets it replaced by ``***`` (see ``redact``).
"""

from __future__ import annotations

import json
from typing import Any, Final, final

import httpx

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "ActiveCampaignError",
    "AuthenticationError",
    "BadRequestError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseValidationError",
    "ServerError",
    "error_from_exception",
    "error_from_response",
    "redact",
]

TOKEN_HEADER: Final = "Api-Token"  # noqa: S105 - a header name
REDACTED: Final = "***"


class ActiveCampaignError(Exception):
    """Base class of every error this client raises (``ValueError`` for bad arguments aside)."""


class APIConnectionError(ActiveCampaignError):
    """The request got no response: connection refused or reset, DNS or TLS failure."""


class APITimeoutError(APIConnectionError):
    """The request timed out (after the configured retries)."""


class APIStatusError(ActiveCampaignError):
    """The server answered with a status other than 200, after retries.

    Attributes:
        status_code: the HTTP status code.
        errors: the ``errors`` list of a JSON error body (each item a dict, as sent,
            with the API token redacted), or ``[]`` when the body has none.
        response: the final ``httpx.Response``.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        errors: list[dict[str, Any]],
        response: httpx.Response,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.errors = errors
        self.response = response


class BadRequestError(APIStatusError):
    """400: the server rejected the request's parameters."""


class AuthenticationError(APIStatusError):
    """401: the API token is missing or wrong."""


class PermissionDeniedError(APIStatusError):
    """403: the token may not read this segment."""


class NotFoundError(APIStatusError):
    """404: no segment with this id in the account."""


class RateLimitError(APIStatusError):
    """429: still rate limited after every retry."""


class ServerError(APIStatusError):
    """5xx (520-527 included): the server or a CDN in front of it failed, after retries."""


class ResponseValidationError(ActiveCampaignError):
    """A 200 response whose body does not match the spec.

    Attributes:
        field: where the problem is, as a path into the body (``data[3].attributes.run_id``),
            or ``"body"`` when the body is not JSON at all.
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"invalid response body at {field}: {problem}")
        self.field = field
        self.problem = problem


class PaginationError(ActiveCampaignError):
    """The server's pages do not move the cursor forward, so walking on would loop or skip.

    Attributes:
        segment_id: the segment being walked.
        cursor: the ``before`` value (epoch seconds) of the offending request, ``None``
            for the first page.
    """

    def __init__(self, segment_id: str, cursor: int | None, problem: str) -> None:
        super().__init__(f"segment {segment_id!r}, cursor before={cursor}: {problem}")
        self.segment_id = segment_id
        self.cursor = cursor


_BY_STATUS: Final[dict[int, type[APIStatusError]]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


@final
class Secret:
    """The API token, held so that no ``repr`` shows it.

    Error paths pass the token around to redact it from what a server echoes; as a
    plain ``str`` it would be printed by any traceback that shows local variables
    (``pytest --showlocals``, rich's ``show_locals``, debuggers, error trackers).
    """

    __slots__ = ("_value",)

    def __init__(self, value: str | None) -> None:
        self._value = value or ""

    @classmethod
    def of(cls, request: httpx.Request) -> Secret:
        """The token a request carries (empty if it carries none)."""
        return cls(request.headers.get(TOKEN_HEADER))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"

    __str__ = __repr__

    def reveal(self) -> str:
        """The token itself (for the one place that must send it)."""
        return self._value


def redact(value: Any, secret: Secret | None) -> Any:
    """Return ``value`` with every occurrence of ``secret`` in its strings replaced by ``***``."""
    if not secret:
        return value
    if isinstance(value, str):
        return value.replace(secret.reveal(), REDACTED)
    if isinstance(value, list):
        return [redact(item, secret) for item in value]
    if isinstance(value, dict):
        return {redact(k, secret): redact(v, secret) for k, v in value.items()}
    return value


def _error_list(response: httpx.Response, secret: Secret | None) -> list[dict[str, Any]]:
    # Error bodies are whatever the server (or a proxy or CDN in front of it) sent:
    # HTML, plain text, empty, or JSON of any shape. Only a JSON object with an
    # ``errors`` list is used; anything else means "no parsed errors", never a crash.
    try:
        body = json.loads(response.content)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested absurdly deep
        return []
    if not isinstance(body, dict) or not isinstance(body.get("errors"), list):
        return []
    return [redact(item, secret) for item in body["errors"] if isinstance(item, dict)]


def _summary(errors: list[dict[str, Any]]) -> str:
    for item in errors:
        for key in ("detail", "title", "code"):
            text = item.get(key)
            if isinstance(text, str) and text:
                return f": {text[:200]}"
    return ""


def error_from_response(response: httpx.Response) -> APIStatusError:
    """Turn a finished, non-200 response into the matching ``APIStatusError`` subclass.

    The token to redact is read from the request that produced the response, so no
    caller can forget to pass it.
    """
    status = response.status_code
    secret = Secret.of(response.request) if _has_request(response) else None
    errors = _error_list(response, secret)
    cls = _BY_STATUS.get(status) or (ServerError if 500 <= status <= 599 else APIStatusError)
    # reason_phrase is empty for codes outside the IANA registry (520-527); say so.
    reason = response.reason_phrase or "Unknown Status"
    where = ""
    if _has_request(response):
        where = f" for GET {redact(_wire_path(response.request), secret)}"
    if 300 <= status <= 399:
        location = redact(response.headers.get("location", "?"), secret)
        where += f" (redirect to {location} not followed: it would carry the API token)"
    message = redact(f"HTTP {status} {reason}{where}{_summary(errors)}", secret)
    return cls(message, status_code=status, errors=errors, response=response)


def _wire_path(request: httpx.Request) -> str:
    # The path as sent, percent-encoding kept: "a%2Fb" shows it was one segment.
    return request.url.raw_path.split(b"?", 1)[0].decode("ascii", "replace")


def _has_request(response: httpx.Response) -> bool:
    try:
        response.request  # noqa: B018 - raises RuntimeError when the response was built by hand
    except RuntimeError:
        return False
    return True


def error_from_exception(exc: httpx.RequestError) -> APIConnectionError:
    """Turn an httpx exception that ended a request (after retries) into ours."""
    cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
    secret: Secret | None = None
    where = ""
    try:
        request = exc.request
    except RuntimeError:  # an exception raised outside a request has none
        pass
    else:
        secret = Secret.of(request)
        where = f" for GET {_wire_path(request)}"
    detail = str(exc) or type(exc).__name__
    return cls(redact(f"{type(exc).__name__}{where}: {detail}", secret))
