"""The change report between two effective OpenAPI documents (``make update-spec``).

    python tools/spec_changes.py OLD.json NEW.json [--markdown reports/spec-changes.md]

Each document is first reduced to its *surface*: what a client generated from it relies on,
operation by operation (``GET /path``), every ``$ref`` resolved: the operation id, the
parameters (location, type, required, enum, constraints, default), the request body, the
responses by status and media type with every field of their bodies flattened to a path
(``data[].attributes.result_count``: type, required, enum, constraints) and their headers,
and the security requirements with the schemes they name. DeepDiff compares the two
surfaces; each difference it reports is classified ``breaking`` or ``non-breaking`` for a
client built on the old document by exactly one of our rules (``RULES``), chosen by where
in the surface the difference is. Documentation (descriptions, summaries, titles,
examples) and whatever lies outside the operations (``info``, ``servers``, components no
operation uses) are compared on the documents themselves and are never breaking.

Why DeepDiff on a surface rather than on the documents: the rules are about OpenAPI
meaning, not JSON shape (a parameter is its name and location, not a list index; a
component schema changes every operation that uses it; ``required`` is a set), so the
surface puts each fact the rules read at a stable path, and DeepDiff finds every
difference between the two, including set members (enum values, security alternatives).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deepdiff import DeepDiff

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
DOCUMENT = "(document)"

# Schema keywords that only document: a change there changes no behaviour.
DOC_KEYS = frozenset(
    {"description", "summary", "title", "example", "examples", "externalDocs", "$comment"}
)
# Keywords that limit the values a schema admits, and which way is "tighter".
LOWER_BOUNDS = frozenset({"minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"})
UPPER_BOUNDS = frozenset({"maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"})
CONSTRAINTS = LOWER_BOUNDS | UPPER_BOUNDS | {"pattern", "multipleOf", "const", "uniqueItems"}
# Keywords the surface reads itself (structure), or that are documentation.
STRUCTURE = frozenset(
    {"type", "format", "nullable", "enum", "properties", "items", "required", "$ref"}
    | {"allOf", "oneOf", "anyOf", "default"}
)
# Parameter keywords that decide how a value is written into the request.
SERIALIZATION = frozenset({"style", "explode", "allowReserved", "allowEmptyValue", "content"})
# Operation keywords the surface reads itself.
OPERATION_KEYS = frozenset(
    {"operationId", "tags", "parameters", "requestBody", "responses", "security"}
)
# Keys whose value is a map of names (or a list of named things): a key below one of them is a
# name ("a property called title"), not a keyword.
NAME_MAPS = frozenset(
    {"properties", "schemas", "responses", "parameters", "headers", "securitySchemes"}
    | {"paths", "content", "examples", "links", "callbacks", "variables", "requestBodies"}
    | {"patternProperties", "$defs", "definitions", "mapping", "encoding"}
)


@dataclass(frozen=True)
class Rule:
    """How one kind of change is classified, and why."""

    breaking: bool
    why: str


RULES: dict[str, Rule] = {
    "operation-added": Rule(False, "a client built on the old document never calls it"),
    "operation-removed": Rule(True, "the old client calls it; the server no longer offers it"),
    "operation-id-changed": Rule(True, "the generated module and function are named after it"),
    "operation-tags-changed": Rule(True, "the generated modules are grouped by the first tag"),
    "parameter-added-optional": Rule(False, "the old client can keep leaving it out"),
    "parameter-added-required": Rule(True, "the old client does not send it"),
    "parameter-removed": Rule(True, "the old client sends it, and its generated argument goes"),
    "parameter-moved": Rule(True, "the old client sends it in the old place"),
    "parameter-now-required": Rule(True, "the old client may leave it out"),
    "parameter-now-optional": Rule(False, "the old client may still send it"),
    "parameter-type-widened": Rule(False, "every value the old client sends is still accepted"),
    "parameter-retyped": Rule(True, "a value the old client sends may be refused"),
    "parameter-enum-value-added": Rule(False, "the old client never sends the new value"),
    "parameter-enum-value-removed": Rule(True, "the old client may send the removed value"),
    "parameter-enum-added": Rule(True, "a value the old client sends may not be in it"),
    "parameter-enum-removed": Rule(False, "every value the old client sends is still accepted"),
    "parameter-serialization-changed": Rule(True, "the old client encodes it the old way"),
    "parameter-constraint-loosened": Rule(False, "every value the old client sends still fits"),
    "parameter-constraint-tightened": Rule(True, "a value the old client sends may not fit"),
    "parameter-default-changed": Rule(True, "an old call that leaves it out now means another"),
    "request-body-added-optional": Rule(False, "the old client can keep sending none"),
    "request-body-added-required": Rule(True, "the old client sends none"),
    "request-body-removed": Rule(True, "the old client sends one"),
    "request-body-changed": Rule(True, "the old client sends the old shape"),
    "success-status-added": Rule(True, "the old client treats an unknown 2xx as an error"),
    "success-status-removed": Rule(True, "the old client's success answer is gone"),
    "error-status-added": Rule(False, "the client turns every non-2xx into a typed error"),
    "error-status-removed": Rule(False, "the old client simply never sees it"),
    "response-media-added": Rule(False, "the old client asks for the media types it knows"),
    "response-media-removed": Rule(True, "the old client reads the removed media type"),
    "response-field-added": Rule(False, "the old client ignores it (the wrapper puts it in extra)"),
    "response-field-removed": Rule(True, "the old client reads it"),
    "response-retyped": Rule(True, "the old client reads the old type"),
    "response-type-narrowed": Rule(False, "every value sent still has the old type"),
    "response-now-required": Rule(False, "the old client copes with it being present"),
    "response-now-optional": Rule(True, "the old client relies on it being present"),
    "response-enum-value-added": Rule(True, "the old client refuses values it does not know"),
    "response-enum-value-removed": Rule(
        False, "every value sent is still one the old client knows"
    ),
    "response-enum-added": Rule(False, "every value sent is still one the old client accepts"),
    "response-enum-removed": Rule(True, "the server may send values the old client refuses"),
    "response-constraint-loosened": Rule(True, "the server may send values the old client refuses"),
    "response-constraint-tightened": Rule(False, "every value sent still fits the old client"),
    "response-default-changed": Rule(False, "a default in a response changes no value sent"),
    "security-alternative-added": Rule(False, "the old client's credentials still work"),
    "security-alternative-removed": Rule(True, "the old client's credentials may be refused"),
    "security-scheme-changed": Rule(True, "the old client sends its credentials the old way"),
    "security-scheme-added": Rule(False, "only a new alternative uses it"),
    "keyword-changed": Rule(False, "a keyword the generated client does not act on"),
    "documentation": Rule(False, "documentation changes no behaviour"),
    "outside-operations": Rule(False, "no operation's requests or answers change"),
    "unclassified": Rule(True, "no rule knows this change: review it (counted as breaking)"),
}


@dataclass(frozen=True)
class Change:
    """One line of the report."""

    operation: str
    where: str
    what: str
    rule: str

    @property
    def breaking(self) -> bool:
        """Whether the rule that classified it says breaking."""
        return RULES[self.rule].breaking

    @property
    def kind(self) -> str:
        """``breaking`` or ``non-breaking``."""
        return "breaking" if self.breaking else "non-breaking"


# ---------------------------------------------------------------------------- the surface


class _Resolver:
    """Follows local ``$ref``s of one document."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.doc = doc

    def target(self, ref: str) -> Any:
        node: Any = self.doc
        for part in ref.removeprefix("#/").split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, Mapping) or part not in node:
                return None
            node = node[part]
        return node

    def deref(self, node: Any, seen: tuple[str, ...] = ()) -> tuple[Any, tuple[str, ...]]:
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen or not ref.startswith("#/"):
                return {"type": f"ref({ref})"}, seen
            seen = (*seen, ref)
            node = self.target(ref)
        return node, seen


def _types(schema: Mapping[str, Any]) -> str:
    """The schema's type as one comparable string: ``integer``, ``string(date-time)|null``."""
    declared = schema.get("type")
    names = (
        set(declared)
        if isinstance(declared, list)
        else {declared}
        if isinstance(declared, str)
        else set()
    )
    if not names:
        if "properties" in schema:
            names = {"object"}
        elif "items" in schema:
            names = {"array"}
    if schema.get("nullable") is True:
        names.add("null")
    fmt = schema.get("format")
    tokens = sorted(f"{n}({fmt})" if fmt and n != "null" else str(n) for n in names)
    for combiner in ("oneOf", "anyOf"):
        if isinstance(schema.get(combiner), list):
            tokens.append(f"{combiner}[{len(schema[combiner])}]")
    return "|".join(tokens) or "any"


def _facts(schema: Mapping[str, Any], required: bool) -> dict[str, Any]:
    facts: dict[str, Any] = {"type": _types(schema), "required": required}
    if isinstance(schema.get("enum"), list):
        facts["enum"] = frozenset(json.dumps(v, sort_keys=True) for v in schema["enum"])
    limits = {k: json.dumps(schema[k], sort_keys=True) for k in CONSTRAINTS if k in schema}
    if limits:
        facts["constraints"] = limits
    if "default" in schema:
        facts["default"] = json.dumps(schema["default"], sort_keys=True)
    other = {
        k: json.dumps(v, sort_keys=True, default=str)
        for k, v in schema.items()
        if k not in STRUCTURE
        and k not in CONSTRAINTS
        and k not in DOC_KEYS
        and not (k == "additionalProperties" and isinstance(v, Mapping))
    }
    if other:
        facts["keywords"] = other
    return facts


def _merged(
    schema: Mapping[str, Any], resolver: _Resolver, seen: tuple[str, ...]
) -> dict[str, Any]:
    """``allOf`` folded into one schema (properties and required united)."""
    merged = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema.get("allOf", []) or []:
        part, _ = resolver.deref(part, seen)
        if not isinstance(part, Mapping):
            continue
        part = _merged(part, resolver, seen)
        for key, value in part.items():
            if key == "properties":
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required":
                merged["required"] = [*merged.get("required", []), *value]
            else:
                merged.setdefault(key, value)
    return merged


def _fields(
    schema: Any, resolver: _Resolver, path: str, required: bool, seen: tuple[str, ...]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every field of a body schema as (path, facts), the body itself as ``$``."""
    # A reference back into itself resolves to a `ref(...)` type with no properties, so
    # the walk of a recursive schema stops there.
    schema, seen_here = resolver.deref(schema, seen)
    if not isinstance(schema, Mapping):
        yield path, {"type": "any", "required": required}
        return
    schema = _merged(schema, resolver, seen_here)
    yield path, _facts(schema, required)
    names = set(schema.get("required", []) or [])
    branches = [
        resolver.deref(b, seen_here)[0]
        for combiner in ("oneOf", "anyOf")
        for b in schema.get(combiner, []) or []
    ]
    for source, optional in ((schema, False), *((b, True) for b in branches)):
        if not isinstance(source, Mapping):
            continue
        for name, sub in (source.get("properties") or {}).items():
            child = f"{name}" if path == "$" else f"{path}.{name}"
            yield from _fields(sub, resolver, child, name in names and not optional, seen_here)
    if "items" in schema:
        yield from _fields(schema["items"], resolver, f"{path}[]", True, seen_here)
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping):
        yield from _fields(extra, resolver, f"{path}{{*}}", False, seen_here)


def _parameters(
    path_item: Mapping[str, Any], operation: Mapping[str, Any], resolver: _Resolver
) -> dict[str, dict[str, Any]]:
    by_place: dict[tuple[str, str], Mapping[str, Any]] = {}
    for raw in [*(path_item.get("parameters") or []), *(operation.get("parameters") or [])]:
        param, _ = resolver.deref(raw)
        if isinstance(param, Mapping) and "name" in param:
            by_place[(str(param["name"]), str(param.get("in")))] = param
    names = [name for name, _ in by_place]
    params: dict[str, dict[str, Any]] = {}
    for (name, place), param in by_place.items():
        key = name if names.count(name) == 1 else f"{name} (in {place})"
        schema, _ = resolver.deref(param.get("schema", {}))
        if not isinstance(schema, Mapping):
            schema = {}
        facts = _facts(_merged(schema, resolver, ()), bool(param.get("required")))
        facts["in"] = place
        encoding = {k: json.dumps(param[k]) for k in SERIALIZATION if k in param}
        if encoding:
            facts["serialization"] = encoding
        params[key] = facts
    return params


def _request_body(operation: Mapping[str, Any], resolver: _Resolver) -> dict[str, Any] | None:
    body, _ = resolver.deref(operation.get("requestBody"))
    if not isinstance(body, Mapping):
        return None
    content = body.get("content") or {}
    return {
        "required": bool(body.get("required")),
        "media": {
            media: json.dumps(resolver.deref((spec or {}).get("schema"))[0], sort_keys=True)
            for media, spec in content.items()
        },
    }


def _responses(operation: Mapping[str, Any], resolver: _Resolver) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, raw in (operation.get("responses") or {}).items():
        response, seen = resolver.deref(raw)
        if not isinstance(response, Mapping):
            continue
        media: dict[str, Any] = {}
        for name, spec in (response.get("content") or {}).items():
            schema = (spec or {}).get("schema", {})
            media[name] = dict(_fields(schema, resolver, "$", True, seen))
        headers: dict[str, Any] = {}
        for name, raw_header in (response.get("headers") or {}).items():
            header, _ = resolver.deref(raw_header, seen)
            if isinstance(header, Mapping):
                schema, _ = resolver.deref(header.get("schema", {}), seen)
                facts = _facts(schema if isinstance(schema, Mapping) else {}, False)
                facts["required"] = bool(header.get("required"))
                headers[name] = facts
        responses[str(status)] = {"content": media, "headers": headers}
    return responses


def _requirement(requirement: Mapping[str, Any]) -> str:
    names = sorted(requirement)
    return " + ".join(names) if names else "(no credentials)"


def surface(doc: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """What a client generated from ``doc`` relies on, by operation (``GET /path``)."""
    resolver = _Resolver(doc)
    schemes = (doc.get("components") or {}).get("securitySchemes") or {}
    ops: dict[str, dict[str, Any]] = {}
    for path, raw_item in (doc.get("paths") or {}).items():
        path_item, _ = resolver.deref(raw_item)
        if not isinstance(path_item, Mapping):
            continue
        for method in METHODS:
            operation = path_item.get(method)
            if not isinstance(operation, Mapping):
                continue
            security = operation.get("security", doc.get("security", [])) or []
            used = sorted({name for requirement in security for name in requirement})
            ops[f"{method.upper()} {path}"] = {
                "operationId": operation.get("operationId"),
                "tags": tuple(operation.get("tags") or ()),
                "keywords": {
                    k: json.dumps(v, sort_keys=True, default=str)
                    for k, v in operation.items()
                    if k not in OPERATION_KEYS and k not in DOC_KEYS
                },
                "parameters": _parameters(path_item, operation, resolver),
                "request_body": _request_body(operation, resolver),
                "responses": _responses(operation, resolver),
                "security": frozenset(_requirement(r) for r in security),
                "security_schemes": {
                    name: json.dumps(resolver.deref(schemes.get(name))[0], sort_keys=True)
                    for name in used
                },
            }
    return ops


# --------------------------------------------------------------------- classification


def _covers(wide: str, narrow: str) -> bool:
    """Whether every value of type ``narrow`` is also of type ``wide``.

    ``integer`` is a ``number``, and a type with a format is one without it
    (``integer(int64)`` is an ``integer``).
    """
    wide_set = set(wide.split("|"))

    def covered(token: str) -> bool:
        base = token.partition("(")[0]
        return token in wide_set or base in wide_set or (base == "integer" and "number" in wide_set)

    return all(covered(token) for token in narrow.split("|"))


def _direction(keyword: str, old: str | None, new: str | None) -> str:
    """``tightened``, ``loosened`` or ``changed`` (no way to tell) for one constraint."""
    if old is None:
        return "tightened"
    if new is None:
        return "loosened"
    before, after = json.loads(old), json.loads(new)
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (before, after))
    if numbers and keyword in LOWER_BOUNDS:
        return "tightened" if after > before else "loosened"
    if numbers and keyword in UPPER_BOUNDS:
        return "tightened" if after < before else "loosened"
    return "changed"


def _text(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, frozenset):
        return "{" + ", ".join(sorted(value)) + "}"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={v}" for k, v in sorted(value.items())) or "(none)"
    return str(value)


def _field(facts: Mapping[str, Any]) -> str:
    return f"{facts.get('type')}, {'required' if facts.get('required') else 'optional'}"


def _schema_fact(
    side: str, where: str, kind: str, fact: str, key: str | None, old: Any, new: Any
) -> tuple[str, str, str]:
    """A change of one fact of a parameter's or a body field's schema.

    ``side`` is ``parameter`` (the client sends it: tighter breaks) or ``response`` (the
    client reads it: looser breaks); ``fact`` is the surface's key (``type``, ``required``,
    ``enum``, ``constraints``, ...), ``key`` the keyword below ``constraints``,
    ``serialization`` or ``keywords`` when DeepDiff reports one keyword, else ``None``.
    """
    if fact == "type":
        fits = _covers(new, old) if side == "parameter" else _covers(old, new)
        rule = f"{side}-type-widened" if side == "parameter" else "response-type-narrowed"
        return where, f"type {old} -> {new}", rule if fits else f"{side}-retyped"
    if fact == "required":
        state = "required" if new else "optional"
        return where, f"now {state}", f"{side}-now-{state}"
    if fact == "enum":
        if kind == "set_item_added":
            return where, f"enum value added: {new}", f"{side}-enum-value-added"
        if kind == "set_item_removed":
            return where, f"enum value removed: {old}", f"{side}-enum-value-removed"
        if old is None:
            return where, f"enum added: {_text(new)}", f"{side}-enum-added"
        return where, f"enum removed (was {_text(old)})", f"{side}-enum-removed"
    if fact == "constraints":
        keyword = key or "constraints"
        direction = (
            _direction(keyword, old, new) if key else ("tightened" if old is None else "loosened")
        )
        if direction == "changed":
            # No way to tell which way: a parameter may now be refused, a field may surprise.
            direction = "tightened" if side == "parameter" else "loosened"
        return where, f"{keyword} {_text(old)} -> {_text(new)}", f"{side}-constraint-{direction}"
    if fact == "default":
        return where, f"default {_text(old)} -> {_text(new)}", f"{side}-default-changed"
    if fact == "serialization":
        return (
            where,
            f"{key or 'style'} {_text(old)} -> {_text(new)}",
            "parameter-serialization-changed",
        )
    if fact == "in":
        return where, f"moved from {old} to {new}", "parameter-moved"
    if fact == "keywords":
        return where, f"{key or 'keywords'} {_text(old)} -> {_text(new)}", "keyword-changed"
    return where, f"{fact} {_text(old)} -> {_text(new)}", "unclassified"


def _classify(kind: str, parts: list[Any], old: Any, new: Any) -> tuple[str, str, str]:
    """(where, what, rule) of one DeepDiff report at ``parts`` below an operation."""
    added = kind in ("dictionary_item_added", "set_item_added", "iterable_item_added")
    removed = kind in ("dictionary_item_removed", "set_item_removed", "iterable_item_removed")
    section = parts[0]
    key = str(parts[3]) if len(parts) > 3 else None
    if section == "operationId":
        return "operationId", f"{old} -> {new}", "operation-id-changed"
    if section == "tags":
        return "tags", f"{_text(old)} -> {_text(new)}", "operation-tags-changed"
    if section == "keywords":  # an operation's other keywords (deprecated, servers, ...)
        name = str(parts[1]) if len(parts) > 1 else "keywords"
        return "operation", f"{name} {_text(old)} -> {_text(new)}", "keyword-changed"
    if section == "parameters" and len(parts) >= 2:
        where = f"parameter {parts[1]}"
        if len(parts) == 2 and added:
            rule = "parameter-added-required" if new["required"] else "parameter-added-optional"
            return where, f"added ({new['in']}, {_field(new)})", rule
        if len(parts) == 2 and removed:
            return where, f"removed (was {old['in']}, {_field(old)})", "parameter-removed"
        if len(parts) >= 3:
            return _schema_fact("parameter", where, kind, str(parts[2]), key, old, new)
    if section == "request_body":
        if old is None and isinstance(new, Mapping):
            required = "required" if new["required"] else "optional"
            return "request body", f"added ({required})", f"request-body-added-{required}"
        if new is None:
            return "request body", "removed", "request-body-removed"
        return "request body", f"{_dotted(parts[1:])} changed", "request-body-changed"
    if section == "responses" and len(parts) >= 2:
        return _response(kind, parts[1:], old, new, added, removed)
    if section == "security" and (added or removed):
        verb = "added" if added else "removed"
        return (
            "security",
            f"alternative {verb}: {new if added else old}",
            f"security-alternative-{verb}",
        )
    if section == "security_schemes" and len(parts) == 2:
        where = f"security scheme {parts[1]}"
        if added:
            return where, "added", "security-scheme-added"
        return where, "removed" if removed else "definition changed", "security-scheme-changed"
    return _dotted(parts), f"{kind}: {_text(old)} -> {_text(new)}", "unclassified"


def _response(
    kind: str, parts: list[Any], old: Any, new: Any, added: bool, removed: bool
) -> tuple[str, str, str]:
    # parts: [status], [status, "content", media], [status, "content", media, field, fact,
    # key?], [status, "headers", name], [status, "headers", name, fact, key?].
    status = str(parts[0])
    success = status.startswith("2")
    if len(parts) == 1 and (added or removed):
        verb = "added" if added else "removed"
        return (
            f"response {status}",
            f"status {verb}",
            f"{'success' if success else 'error'}-status-{verb}",
        )
    if len(parts) == 3 and parts[1] == "content" and (added or removed):
        where = f"response {status} {parts[2]}"
        if added:
            return where, "media type added", "response-media-added"
        rule = "response-media-removed" if success else "error-status-removed"
        return where, "media type removed", rule
    in_body = len(parts) >= 4 and parts[1] == "content"
    in_headers = len(parts) >= 3 and parts[1] == "headers"
    if in_body or in_headers:
        name_at = 3 if in_body else 2
        where = (
            f"response {status} {parts[2]} {parts[3]}"
            if in_body
            else f"response {status} header {parts[2]}"
        )
        if len(parts) == name_at + 1 and added:
            return where, f"added ({_field(new)})", "response-field-added"
        if len(parts) == name_at + 1 and removed:
            return where, f"removed (was {_field(old)})", "response-field-removed"
        if len(parts) > name_at + 1:
            fact = str(parts[name_at + 1])
            key = str(parts[name_at + 2]) if len(parts) > name_at + 2 else None
            return _schema_fact("response", where, kind, fact, key, old, new)
    return f"response {_dotted(parts)}", f"{kind}: {_text(old)} -> {_text(new)}", "unclassified"


# Always down to the keys: by default DeepDiff reports two mappings that share few keys as
# one changed value (a renamed field would hide inside its parent).
_DEEPDIFF: dict[str, Any] = {"view": "tree", "verbose_level": 2, "threshold_to_diff_deeper": 0}


def _differing(old: Any, new: Any) -> tuple[Any, Any]:
    """``old`` and ``new`` with every mapping key whose values are equal left out.

    Only to save DeepDiff the walk of the equal parts (most of a document): the paths of
    what differs stay the same.
    """
    if not (isinstance(old, Mapping) and isinstance(new, Mapping)):
        return old, new
    keys = [*old, *(k for k in new if k not in old)]
    keys = [k for k in keys if k not in old or k not in new or old[k] != new[k]]
    pairs = {k: _differing(old[k], new[k]) for k in keys if k in old and k in new}
    return (
        {k: pairs[k][0] if k in pairs else old[k] for k in keys if k in old},
        {k: pairs[k][1] if k in pairs else new[k] for k in keys if k in new},
    )


def _missing(value: Any) -> Any:
    # DeepDiff marks the absent side of an addition or removal with a NotPresent object.
    return None if type(value).__name__ == "NotPresent" else value


def _surface_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Change]:
    diff = DeepDiff(*_differing(old, new), **_DEEPDIFF)
    for kind, levels in diff.items():
        for level in levels:
            # A set member's path ends in None; the member itself is t1 or t2.
            parts = [p for p in level.path(output_format="list") if p is not None]
            before, after = _missing(level.t1), _missing(level.t2)
            operation = str(parts[0])
            if len(parts) == 1:
                if after is not None:
                    yield Change(
                        operation, "operation", f"added ({after['operationId']})", "operation-added"
                    )
                else:
                    yield Change(
                        operation,
                        "operation",
                        f"removed ({before['operationId']})",
                        "operation-removed",
                    )
                continue
            yield Change(operation, *_classify(kind, parts[1:], before, after))


# ------------------------------------------------------------------ the documents themselves


def _used_components(doc: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(section, name) of every component some operation reaches through ``$ref``s."""
    resolver = _Resolver(doc)
    found: set[tuple[str, str]] = set()
    stack: list[Any] = [doc.get("paths") or {}]
    security = [doc.get("security") or []]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/"):
                section, _, name = ref.removeprefix("#/components/").partition("/")
                if (section, name) not in found:
                    found.add((section, name))
                    stack.append(resolver.target(ref))
            if "security" in node:
                security.append(node["security"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    for requirements in security:
        for requirement in requirements if isinstance(requirements, list) else []:
            found.update(("securitySchemes", name) for name in requirement)
    return found


def _doc_key_at(parts: list[Any]) -> int | None:
    """The index of the first documentation keyword in ``parts`` (not a name), if any."""
    for index, part in enumerate(parts):
        after_name_map = index > 0 and parts[index - 1] in NAME_MAPS
        if part in DOC_KEYS and not after_name_map:
            return index
    return None


def _operation_of(parts: list[Any]) -> tuple[str, list[Any]]:
    if len(parts) >= 3 and parts[0] == "paths" and parts[2] in METHODS:
        return f"{str(parts[2]).upper()} {parts[1]}", parts[3:]
    return DOCUMENT, parts


def _dotted(parts: Iterable[Any]) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in parts).replace(".[", "[")


def _document_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[Change]:
    used = _used_components(old) | _used_components(new)
    seen: set[tuple[str, str, str]] = set()
    diff = DeepDiff(*_differing(old, new), **_DEEPDIFF)
    for kind, levels in diff.items():
        for level in levels:
            parts = [p for p in level.path(output_format="list") if p is not None]
            doc_at = _doc_key_at(parts)
            if doc_at is not None:
                operation, rest = _operation_of(parts[: doc_at + 1])
                where = _dotted(rest)
                verb = "added" if "added" in kind else "removed" if "removed" in kind else "changed"
                line = (operation, where, f"{parts[doc_at]} {verb}")
                rule = "documentation"
            elif parts and parts[0] in ("paths", "security"):
                continue  # on the surface
            elif len(parts) >= 3 and parts[0] == "components":
                if (str(parts[1]), str(parts[2])) in used:
                    continue  # on the surface of the operations that use it
                verb = (
                    "added"
                    if "added" in kind and len(parts) == 3
                    else "removed"
                    if "removed" in kind and len(parts) == 3
                    else "changed"
                )
                line = (DOCUMENT, _dotted(parts[:3]), f"{verb} (used by no operation)")
                rule = "outside-operations"
            else:
                before, after = _missing(level.t1), _missing(level.t2)
                line = (
                    DOCUMENT,
                    _dotted(parts) or "(root)",
                    f"{_short(before)} -> {_short(after)}",
                )
                rule = "outside-operations"
            if line not in seen:
                seen.add(line)
                yield Change(*line, rule)


def _short(value: Any) -> str:
    if value is None:
        return "(none)"
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_of(what: str) -> str:
    # "added (integer, optional)" / "removed (was integer, optional)" -> "integer, optional"
    return what.partition("(")[2].removeprefix("was ").rstrip(")")


def _with_rename_hints(changes: list[Change]) -> list[Change]:
    """A removed field whose one sibling of the same type was added reads "renamed to X?"."""
    added: dict[tuple[str, str, str], list[str]] = {}
    for change in changes:
        if change.rule in ("response-field-added", "parameter-added-optional"):
            parent, _, name = change.where.rpartition(".")
            key = (change.operation, parent or change.where.split()[0], _type_of(change.what))
            added.setdefault(key, []).append(name)
    hinted = []
    for change in changes:
        if change.rule in ("response-field-removed", "parameter-removed"):
            parent, _, _ = change.where.rpartition(".")
            key = (change.operation, parent or change.where.split()[0], _type_of(change.what))
            names = added.get(key, [])
            if len(names) == 1:
                suffix = names[0].removeprefix("parameter ")
                change = Change(
                    change.operation,
                    change.where,
                    f"{change.what}; renamed to {suffix}?",
                    change.rule,
                )
        hinted.append(change)
    return hinted


def compare(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every change from ``old`` to ``new``, breaking ones first, then by operation."""
    changes = [*_surface_changes(surface(old), surface(new)), *_document_changes(old, new)]
    changes = _with_rename_hints(changes)
    return sorted(
        set(changes),
        key=lambda c: (not c.breaking, c.operation == DOCUMENT, c.operation, c.where, c.what),
    )


# ---------------------------------------------------------------------------- rendering


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(changes: list[Change], title: str = "Changes to the effective document") -> str:
    """The report as Markdown: a summary line, an aligned table, and the rules used."""
    breaking = sum(c.breaking for c in changes)
    lines = [f"## {title}", ""]
    if not changes:
        lines.append("No changes.")
        return "\n".join(lines) + "\n"
    lines.append(
        f"{len(changes)} change{'s' if len(changes) != 1 else ''}: "
        f"{breaking} breaking, {len(changes) - breaking} non-breaking "
        "(for a client built on the old document)."
    )
    lines.append("")
    header = ("class", "operation", "where", "change", "rule")
    rows = [
        tuple(_cell(x) for x in (c.kind, c.operation, c.where, c.what, c.rule)) for c in changes
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        return (
            "| "
            + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            + " |"
        )

    lines.append(line(header))
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    lines.extend(line(row) for row in rows)
    lines.append("")
    lines.append("Rules:")
    for name in sorted({c.rule for c in changes}):
        rule = RULES[name]
        lines.append(f"- `{name}` ({'breaking' if rule.breaking else 'non-breaking'}): {rule.why}.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--markdown", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    try:
        old, new = (json.loads(p.read_text(encoding="utf-8")) for p in (args.old, args.new))
    except (OSError, ValueError) as exc:
        print(f"spec_changes: error: {exc}", file=sys.stderr)
        return 2
    report = render(compare(old, new))
    sys.stdout.write(report)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
