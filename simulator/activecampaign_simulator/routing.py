"""A Starlette route matched on the raw request path, one percent-decoded segment at a time.

Starlette's own routes match the *decoded* ``scope["path"]``, where ``%2F`` has already
become ``/``: a segment id ``1/count-history/5`` (sent as ``1%2Fcount-history%2F5``) would
then reach segment 1's cursor route. ActiveCampaign, like RFC 3986 says, treats a
percent-encoded reserved character as data, so this route splits ``scope["raw_path"]`` on
literal ``/`` first and decodes each segment on its own. An id holding ``/`` stays one id
(an unknown one: 404), and ``%2E%2E`` is the id ``..``, never resolved as a dot segment.
Everything else (endpoint, methods, the 405 for other methods) is Starlette's ``Route``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any
from urllib.parse import quote, unquote_to_bytes

from starlette.routing import Match, Route
from starlette.types import Scope


def raw_segments(scope: Scope) -> list[str] | None:
    """The request path's segments, each percent-decoded separately as UTF-8.

    ``None`` when a segment is not UTF-8 once decoded: no route can match it, so the
    request gets the app's 404. Without ``raw_path`` (optional in ASGI; uvicorn, httpx and
    Starlette's TestClient all set it) the decoded path is re-encoded, which is the best
    left to do: ``/`` and ``%2F`` are indistinguishable there.
    """
    raw: bytes | None = scope.get("raw_path")
    if raw is None:
        raw = quote(scope["path"], safe="/").encode("ascii")
    try:
        return [unquote_to_bytes(part).decode("utf-8") for part in raw.split(b"/")]
    except UnicodeDecodeError:
        return None


class RawPathRoute(Route):
    """A ``Route`` whose template is matched segment by segment on the raw path.

    ``path`` is a plain template such as ``/api/3/segmentsV2/{segmentId}/count-history``:
    each ``{name}`` takes exactly one non-empty segment as a string, and every other
    segment must equal the decoded request segment.
    """

    def __init__(
        self, path: str, endpoint: Callable[..., Any], *, methods: Collection[str]
    ) -> None:
        super().__init__(path, endpoint, methods=list(methods))
        # Starlette adds HEAD to every GET route; keep exactly the methods asked for.
        self.methods = set(methods)
        self.template = path.split("/")

    def _params(self, segments: list[str]) -> dict[str, str] | None:
        if len(segments) != len(self.template):
            return None
        params: dict[str, str] = {}
        for expected, actual in zip(self.template, segments, strict=True):
            if expected.startswith("{") and expected.endswith("}"):
                if not actual:
                    return None
                params[expected[1:-1]] = actual
            elif actual != expected:
                return None
        return params

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """``FULL`` for a matching path and method, ``PARTIAL`` (405) for another method."""
        if scope["type"] != "http":
            return Match.NONE, {}
        segments = raw_segments(scope)
        params = None if segments is None else self._params(segments)
        if params is None:
            return Match.NONE, {}
        child_scope = {
            "endpoint": self.endpoint,
            "path_params": {**scope.get("path_params", {}), **params},
        }
        if self.methods and scope["method"] not in self.methods:
            return Match.PARTIAL, child_scope
        return Match.FULL, child_scope
