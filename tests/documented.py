"""Canned records that follow the current effective document (``openapi/segments.json``).

Hand-written answers drift from the document the day ActiveCampaign changes it: a record
written before ``active_result_count`` became required lacks it, and the regenerated client
then refuses the answer (``KeyError``) although the update was not breaking. So every canned
record in the tests (and ``bench/canned.py``) goes through :func:`complete`, which adds each
attribute the document marks required and the record lacks, with a value its schema admits.
Nothing here knows today's list of attributes: it is read from the document at import time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EFFECTIVE = Path(__file__).resolve().parent.parent / "openapi" / "segments.json"
DOCUMENT: dict[str, Any] = json.loads(EFFECTIVE.read_text(encoding="utf-8"))
_OPERATION = DOCUMENT["paths"]["/api/3/segmentsV2/{segmentId}/count-history"]["get"]


def resolve(node: Any) -> Any:
    """``node`` with its local ``$ref`` (and those it leads to) followed."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        target: Any = DOCUMENT
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _record_schema() -> dict[str, Any]:
    body = resolve(_OPERATION["responses"]["200"]["content"]["application/json"]["schema"])
    return dict(resolve(resolve(body["properties"]["data"])["items"]))


RECORD_SCHEMA = _record_schema()
ATTRIBUTES_SCHEMA: dict[str, Any] = dict(resolve(RECORD_SCHEMA["properties"]["attributes"]))
#: The attributes the document requires in every record, in its order.
REQUIRED_ATTRIBUTES: tuple[str, ...] = tuple(ATTRIBUTES_SCHEMA.get("required", ()))
#: The attributes it describes but does not require.
OPTIONAL_ATTRIBUTES: tuple[str, ...] = tuple(
    name for name in ATTRIBUTES_SCHEMA.get("properties", {}) if name not in REQUIRED_ATTRIBUTES
)


def example(schema: Any) -> Any:
    """A value ``schema`` admits: its example or default, else the simplest of its type."""
    schema = resolve(schema)
    if not isinstance(schema, dict):
        return None
    for key in ("const", "example", "default"):
        if key in schema:
            return schema[key]
    if schema.get("enum"):
        return schema["enum"][0]
    for combiner in ("oneOf", "anyOf", "allOf"):
        if schema.get(combiner):
            return example(schema[combiner][0])
    declared = schema.get("type", "object")
    kind = (
        next((t for t in declared if t != "null"), "null")
        if isinstance(declared, list)
        else declared
    )
    if kind == "string":
        if schema.get("format") == "date-time":
            return "2024-01-01T00:00:00.000Z"
        return "x" * max(1, int(schema.get("minLength", 1)))
    if kind in ("integer", "number"):
        return max(0, int(schema.get("minimum", 0)))
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "null":
        return None
    return {
        name: example(sub)
        for name, sub in schema.get("properties", {}).items()
        if name in schema.get("required", ())
    }


def complete(attributes: dict[str, Any]) -> dict[str, Any]:
    """``attributes`` plus every attribute the document requires that it lacks (in place)."""
    properties = ATTRIBUTES_SCHEMA.get("properties", {})
    for name in REQUIRED_ATTRIBUTES:
        if name not in attributes:
            attributes[name] = example(properties.get(name, {}))
    return attributes


def complete_body(body: dict[str, Any]) -> dict[str, Any]:
    """A 200 body whose records each go through :func:`complete` (in place)."""
    for item in body.get("data", []):
        if isinstance(item, dict) and isinstance(item.get("attributes"), dict):
            complete(item["attributes"])
    return body
