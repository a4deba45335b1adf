"""What an answer carries that the document does not describe: attributes, headers, statuses.

Nightly against the real API, this is how the team learns that ActiveCampaign added a field or
a header before anyone reads a changelog. Pure functions over the effective document (a dict)
and one answer; `verdicts.Observations` counts what they return.

An attribute is undescribed when the answer's object has a key its schema does not list (and the
schema gives no `additionalProperties` schema for it); the walk follows `$ref`, arrays and the
properties of `allOf`/`anyOf`/`oneOf` branches. A header is undescribed when it is neither
declared for that response nor one of the standard HTTP headers any server may send. A status is
undescribed when the operation lists neither it, its class (`4XX`) nor `default`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["STANDARD_HEADERS", "undescribed"]

STANDARD_HEADERS = frozenset(
    {
        "accept-ranges", "access-control-allow-credentials", "access-control-allow-headers",
        "access-control-allow-methods", "access-control-allow-origin",
        "access-control-expose-headers", "access-control-max-age", "age", "allow", "alt-svc",
        "cache-control", "connection", "content-disposition", "content-encoding",
        "content-language", "content-length", "content-location", "content-range",
        "content-security-policy", "content-type", "date", "etag", "expires", "keep-alive",
        "last-modified", "link", "location", "pragma", "referrer-policy", "retry-after",
        "server", "set-cookie", "strict-transport-security", "trailer", "transfer-encoding",
        "upgrade", "vary", "via", "www-authenticate", "x-content-type-options",
        "x-frame-options", "x-xss-protection",
    }
)  # fmt: skip
"""Headers of HTTP itself (RFC 9110 and the common security headers): never drift."""

_COMBINATORS = ("allOf", "anyOf", "oneOf")


def _resolve(document: dict[str, Any], schema: Any, depth: int = 0) -> dict[str, Any]:
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and depth < 32:
        target: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        schema, depth = target, depth + 1
    return schema if isinstance(schema, dict) else {}


def _branches(document: dict[str, Any], schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema and every combinator branch under it, resolved."""
    found = [schema]
    for keyword in _COMBINATORS:
        for branch in schema.get(keyword) or ():
            found += _branches(document, _resolve(document, branch))
    return found


def _walk(document: dict[str, Any], schema: dict[str, Any], value: Any, path: str) -> Iterator[str]:
    branches = _branches(document, schema)
    if isinstance(value, dict):
        properties: dict[str, Any] = {}
        extra_schema: Any = None
        for branch in branches:
            properties.update(branch.get("properties") or {})
            if isinstance(branch.get("additionalProperties"), dict):
                extra_schema = branch["additionalProperties"]
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if key in properties:
                yield from _walk(document, _resolve(document, properties[key]), item, where)
            elif extra_schema is not None:
                yield from _walk(document, _resolve(document, extra_schema), item, where)
            else:
                yield where
    elif isinstance(value, list):
        items = next((b["items"] for b in branches if isinstance(b.get("items"), dict)), None)
        if items is not None:
            seen: set[str] = set()
            for item in value:
                for where in _walk(document, _resolve(document, items), item, f"{path}[]"):
                    if where not in seen:
                        seen.add(where)
                        yield where


def _response(document: dict[str, Any], operation: dict[str, Any], status: int) -> Any:
    responses = operation.get("responses") or {}
    for key in (str(status), f"{str(status)[0]}XX", f"{str(status)[0]}xx", "default"):
        if key in responses:
            return _resolve(document, responses[key])
    return None


def undescribed(
    document: dict[str, Any],
    path: str,
    method: str,
    status: int,
    headers: Iterable[str],
    body: Any,
) -> list[tuple[str, str]]:
    """What one answer carries that the document does not describe, as ``(kind, name)`` pairs.

    Args:
        document: the effective OpenAPI document.
        path: the operation's path template.
        method: the HTTP method, any case.
        status: the answer's status code.
        headers: the answer's header names.
        body: the decoded JSON body, or None when there is none (or it is not JSON).

    Returns:
        ``("status", "418")``, ``("header", "x-new-header")`` or
        ``("attribute", "data[].attributes.contact_delta")`` items, each once.
    """
    operation = ((document.get("paths") or {}).get(path) or {}).get(method.lower())
    if not isinstance(operation, dict):
        return []
    response = _response(document, operation, status)
    if response is None:
        return [("status", str(status))]
    items: list[tuple[str, str]] = []
    declared = {name.lower() for name in response.get("headers") or {}}
    for name in sorted({header.lower() for header in headers}):
        if name not in declared and name not in STANDARD_HEADERS:
            items.append(("header", name))
    media = (response.get("content") or {}).get("application/json") or {}
    schema = _resolve(document, media.get("schema")) if media else {}
    if schema and body is not None:
        items += [
            ("attribute", where) for where in dict.fromkeys(_walk(document, schema, body, ""))
        ]
    return items
