"""Standalone JSON Schemas of the spec's response bodies, for generating and validating bodies.

`openapi/segments.json` describes bodies with `$ref`s into `components`; hypothesis-jsonschema and
jsonschema need one self-contained schema, so the references are inlined here (the document has
no recursive references).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi" / "segments.json"


def load_spec() -> dict[str, Any]:
    """The effective OpenAPI document."""
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return spec


def inline_refs(node: Any, spec: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """A copy of `node` with every local `$ref` replaced by (a copy of) its target."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            if ref in seen:
                raise ValueError(f"recursive reference {ref}; cannot inline")
            target: Any = spec
            for part in ref.removeprefix("#/").split("/"):
                target = target[part]
            return inline_refs(copy.deepcopy(target), spec, (*seen, ref))
        return {key: inline_refs(value, spec, seen) for key, value in node.items()}
    if isinstance(node, list):
        return [inline_refs(item, spec, seen) for item in node]
    return node


def response_schemas(status: str = "200") -> dict[str, dict[str, Any]]:
    """operationId -> the standalone JSON Schema of its `status` application/json body."""
    spec = load_spec()
    schemas: dict[str, dict[str, Any]] = {}
    for methods in spec["paths"].values():
        for operation in methods.values():
            response = inline_refs(operation["responses"].get(status), spec)
            if response and "application/json" in response.get("content", {}):
                schema = response["content"]["application/json"]["schema"]
                schemas[operation["operationId"]] = schema
    return schemas


def distinct_response_schemas(status: str = "200") -> dict[str, dict[str, Any]]:
    """Like `response_schemas`, one entry per distinct schema, keyed by its operations' ids.

    The three operations share one 200 schema today; testing it once per distinct schema keeps
    the suite fast and still covers an operation whose schema starts to differ.
    """
    groups: dict[str, tuple[list[str], dict[str, Any]]] = {}
    for operation_id, schema in response_schemas(status).items():
        key = json.dumps(schema, sort_keys=True)
        groups.setdefault(key, ([], schema))[0].append(operation_id)
    return {"+".join(ids): schema for ids, schema in groups.values()}
