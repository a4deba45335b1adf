"""What the server received: the decoded path and query values of a request as it was sent.

The semantic rules compare an answer with the request, and the request that matters is the one
on the wire, decoded the way a server decodes it, not the values the generator started from: a
segment id ``"É"`` travels as ``%C3%89`` and a server answers records whose ``segment_id`` is
``"É"``. Comparing with the encoded form (or the generator's pre-serialisation value) raises false
alarms on servers that do nothing wrong.

Where HTTP leaves the reading open, every reading is kept and a rule holds if it holds for one
of them: ``+`` in a query is a space to a form decoder and a plus to RFC 3986; repeated query
parameters may be joined or the last one taken. A path whose shape no longer matches the
operation once dot segments (``.``/``..``) are resolved, or whose bytes are not UTF-8, cannot be
attributed to the operation at all: then nothing is judged (``received`` returns None).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote, unquote_plus, unquote_to_bytes, urlsplit

__all__ = ["Received", "received"]


@dataclass(frozen=True)
class Received:
    """The decoded values a server read from one request.

    Attributes:
        path: path parameter name -> its percent-decoded value (UTF-8).
        query: query parameter name -> every reading of every value sent under that name.
    """

    path: dict[str, str] = field(default_factory=dict)
    query: dict[str, frozenset[str]] = field(default_factory=dict)

    def query_readings(self, name: str) -> frozenset[str]:
        """Every value the server may have read for ``name`` (empty when it was not sent)."""
        return self.query.get(name, frozenset())


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, on the raw path (``%2E`` is data, not a dot)."""
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    return "/".join(output)


def _decode(raw: str) -> str | None:
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return None


def _path_params(raw_path: str, template: str) -> dict[str, str] | None:
    expected = template.split("/")[1:]
    segments = raw_path.split("/")[1:]
    if len(segments) < len(expected):
        return None
    # A base URL may carry a prefix before /api/3: compare the tail.
    tail = segments[len(segments) - len(expected) :]
    params: dict[str, str] = {}
    for want, raw in zip(expected, tail, strict=True):
        value = _decode(raw)
        if value is None:
            return None
        if want.startswith("{") and want.endswith("}"):
            if not value:
                return None
            params[want[1:-1]] = value
        elif value != want:
            return None
    return params


def _query(raw_query: str) -> dict[str, frozenset[str]]:
    readings: dict[str, set[str]] = {}
    for pair in raw_query.split("&"):
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition("=")
        for decode in (unquote, unquote_plus):
            name = decode(raw_name, errors="strict")
            value = decode(raw_value, errors="strict")
            readings.setdefault(name, set()).add(value)
    return {name: frozenset(values) for name, values in readings.items()}


def received(url: str, template: str) -> Received | None:
    """The values a server read from ``url`` sent to the operation at path ``template``.

    Args:
        url: the request URL exactly as sent (percent-encoded).
        template: the operation's path, e.g. ``/api/3/segmentsV2/{segmentId}/count-history``.

    Returns:
        The decoded values, or None when the request cannot be attributed to the operation
        (its path does not match the template, before or after resolving dot segments, or a
        segment is not UTF-8): then no rule should judge the answer.
    """
    parts = urlsplit(url)
    params = _path_params(parts.path, template)
    resolved = _remove_dot_segments(parts.path)
    if params is None or (resolved != parts.path and _path_params(resolved, template) != params):
        return None
    try:
        query = _query(parts.query)
    except UnicodeDecodeError:
        return None
    return Received(path=params, query=query)
