"""The change report's rules, one case each, on changes to the real effective document.

Each case changes a copy of `openapi/segments.json` (optionally after a `before` change made
to both sides) and asserts the report has a line with that rule, naming the place, and
classified as the rule says. A final check keeps the cases and `RULES` in step.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import spec_changes
from spec_changes import RULES, Change

Mutation = Callable[[dict[str, Any]], None]
BASE = json.loads((ROOT / "openapi/segments.json").read_text(encoding="utf-8"))
FIRST = ("paths", "/api/3/segmentsV2/{segmentId}/count-history", "get")
PAGE = ("paths", "/api/3/segmentsV2/{segmentId}/count-history/{timestamp}", "get")
BATCH = ("paths", "/api/3/segmentsV2/count-history", "get")
ATTR = ("components", "schemas", "SegmentCountHistoryAttributeDO")
DATA = ("components", "schemas", "SegmentCountHistoryDataDO")
JSON_200 = ("responses", "200", "content", "application/json")
FIRST_OP = "GET /api/3/segmentsV2/{segmentId}/count-history"
FIELD = "response 200 application/json data[].attributes"


def _node(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def put(*path_and_value: Any) -> Mutation:
    *path, value = path_and_value

    def mutate(doc: dict[str, Any]) -> None:
        _node(doc, tuple(path[:-1]))[path[-1]] = copy.deepcopy(value)

    return mutate


def drop(*path: Any) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        container = _node(doc, path[:-1])
        if isinstance(container, list):
            container.remove(path[-1])
        else:
            del container[path[-1]]

    return mutate


def append(*path_and_value: Any) -> Mutation:
    *path, value = path_and_value
    return lambda doc: _node(doc, tuple(path)).append(copy.deepcopy(value))


def both(*mutations: Mutation) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        for mutation in mutations:
            mutation(doc)

    return mutate


def nothing(doc: dict[str, Any]) -> None:
    """No change on both sides."""


def compare(after: Mutation, before: Mutation = nothing) -> list[Change]:
    old = copy.deepcopy(BASE)
    before(old)
    new = copy.deepcopy(old)
    after(new)
    return spec_changes.compare(old, new)


# A status no version of the document has used yet (the case must change something).
UNUSED = next(str(s) for s in range(500, 600) if str(s) not in _node(BASE, FIRST)["responses"])
# Names no version of the document uses: each case must change something, whatever the
# current document holds.
LIMIT = {"name": "probe_limit", "in": "query", "schema": {"type": "integer"}}
REQUIRED_LIMIT = {**LIMIT, "required": True}
ENUM_AB = put(*BATCH, "parameters", 0, "schema", "enum", ["a", "b"])
XML = put(*FIRST, "responses", "200", "content", "application/xml", {"schema": {"type": "string"}})
BODY = {"required": False, "content": {"application/json": {"schema": {"type": "object"}}}}
NEW_OP = {
    "get": {
        "operationId": "get_segment",
        "responses": {"200": {"description": "A segment"}},
    }
}

# (rule, before (both sides), after (new side only), operation, where)
CASES: list[tuple[str, Mutation, Mutation, str, str]] = [
    ("operation-added", nothing, put("paths", "/api/3/probe/{segmentId}", NEW_OP),
     "GET /api/3/probe/{segmentId}", "operation"),
    ("operation-removed", nothing, drop("paths", "/api/3/segmentsV2/count-history"),
     "GET /api/3/segmentsV2/count-history", "operation"),
    ("operation-id-changed", nothing, put(*FIRST, "operationId", "first_page"), FIRST_OP,
     "operationId"),
    ("operation-tags-changed", nothing, put(*FIRST, "tags", ["History"]), FIRST_OP, "tags"),
    ("parameter-added-optional", nothing, append(*FIRST, "parameters", LIMIT), FIRST_OP,
     "parameter probe_limit"),
    ("parameter-added-required", nothing, append(*FIRST, "parameters", REQUIRED_LIMIT),
     FIRST_OP, "parameter probe_limit"),
    ("parameter-removed", nothing, put(*BATCH, "parameters", []),
     "GET /api/3/segmentsV2/count-history", "parameter segmentIds"),
    ("parameter-moved", nothing, put(*BATCH, "parameters", 0, "in", "header"),
     "GET /api/3/segmentsV2/count-history", "parameter segmentIds"),
    ("parameter-now-required", append(*FIRST, "parameters", LIMIT),
     put(*FIRST, "parameters", -1, "required", True), FIRST_OP, "parameter probe_limit"),
    ("parameter-now-optional", nothing, put(*BATCH, "parameters", 0, "required", False),
     "GET /api/3/segmentsV2/count-history", "parameter segmentIds"),
    ("parameter-type-widened", nothing, put(*PAGE, "parameters", 1, "schema", {"type": "number"}),
     "GET /api/3/segmentsV2/{segmentId}/count-history/{timestamp}", "parameter timestamp"),
    ("parameter-retyped", nothing, put(*FIRST, "parameters", 0, "schema", "type", "integer"),
     FIRST_OP, "parameter segmentId"),
    ("parameter-enum-value-added", ENUM_AB,
     put(*BATCH, "parameters", 0, "schema", "enum", ["a", "b", "c"]),
     "GET /api/3/segmentsV2/count-history", "parameter segmentIds"),
    ("parameter-enum-value-removed", ENUM_AB,
     put(*BATCH, "parameters", 0, "schema", "enum", ["a"]),
     "GET /api/3/segmentsV2/count-history", "parameter segmentIds"),
    ("parameter-enum-added", nothing, ENUM_AB, "GET /api/3/segmentsV2/count-history",
     "parameter segmentIds"),
    ("parameter-enum-removed", ENUM_AB, drop(*BATCH, "parameters", 0, "schema", "enum"),
     "GET /api/3/segmentsV2/count-history", "parameter segmentIds"),
    ("parameter-constraint-loosened", nothing, drop(*PAGE, "parameters", 1, "schema", "minimum"),
     "GET /api/3/segmentsV2/{segmentId}/count-history/{timestamp}", "parameter timestamp"),
    ("parameter-constraint-tightened", nothing,
     put(*PAGE, "parameters", 1, "schema", "minimum", 1000),
     "GET /api/3/segmentsV2/{segmentId}/count-history/{timestamp}", "parameter timestamp"),
    ("parameter-default-changed", nothing,
     put(*BATCH, "parameters", 0, "schema", "default", "1"),
     "GET /api/3/segmentsV2/count-history", "parameter segmentIds"),
    ("parameter-serialization-changed", nothing, put(*BATCH, "parameters", 0, "explode", False),
     "GET /api/3/segmentsV2/count-history", "parameter segmentIds"),
    ("request-body-added-optional", nothing, put(*FIRST, "requestBody", BODY), FIRST_OP,
     "request body"),
    ("request-body-added-required", nothing,
     put(*FIRST, "requestBody", {**BODY, "required": True}), FIRST_OP, "request body"),
    ("request-body-removed", put(*FIRST, "requestBody", BODY), drop(*FIRST, "requestBody"),
     FIRST_OP, "request body"),
    ("request-body-changed", put(*FIRST, "requestBody", BODY),
     put(*FIRST, "requestBody", "content", "application/json", "schema", {"type": "array"}),
     FIRST_OP, "request body"),
    ("success-status-added", nothing, put(*FIRST, "responses", "202", {"description": "Later"}),
     FIRST_OP, "response 202"),
    ("success-status-removed", nothing, drop(*FIRST, "responses", "200"), FIRST_OP,
     "response 200"),
    ("error-status-added", nothing, put(*FIRST, "responses", UNUSED, {"description": "Oops"}),
     FIRST_OP, f"response {UNUSED}"),
    ("error-status-removed", nothing, drop(*FIRST, "responses", "400"), FIRST_OP,
     "response 400"),
    ("response-media-added", nothing, XML, FIRST_OP, "response 200 application/xml"),
    ("response-media-removed", XML, drop(*FIRST, "responses", "200", "content", "application/xml"),
     FIRST_OP, "response 200 application/xml"),
    ("response-field-added", nothing, put(*ATTR, "properties", "probe_added", {"type": "integer"}),
     FIRST_OP, f"{FIELD}.probe_added"),
    ("response-field-removed", nothing, drop(*ATTR, "properties", "count_updating_with_runid"),
     FIRST_OP, f"{FIELD}.count_updating_with_runid"),
    ("response-retyped", nothing, put(*ATTR, "properties", "segment_id", "type", "integer"),
     FIRST_OP, f"{FIELD}.segment_id"),
    ("response-type-narrowed", put(*ATTR, "properties", "result_count", "type", "number"),
     put(*ATTR, "properties", "result_count", "type", "integer"), FIRST_OP,
     f"{FIELD}.result_count"),
    ("response-now-required", put(*ATTR, "properties", "probe", {"type": "integer"}),
     append(*ATTR, "required", "probe"), FIRST_OP, f"{FIELD}.probe"),
    ("response-now-optional", nothing, drop(*ATTR, "required", "run_id"), FIRST_OP,
     f"{FIELD}.run_id"),
    ("response-enum-value-added", nothing,
     put(*DATA, "properties", "type", "enum", ["SegmentCountHistory", "Other"]), FIRST_OP,
     "response 200 application/json data[].type"),
    ("response-enum-value-removed",
     put(*DATA, "properties", "type", "enum", ["SegmentCountHistory", "Other"]),
     put(*DATA, "properties", "type", "enum", ["SegmentCountHistory"]), FIRST_OP,
     "response 200 application/json data[].type"),
    ("response-enum-added", nothing, put(*ATTR, "properties", "run_id", "enum", ["r"]),
     FIRST_OP, f"{FIELD}.run_id"),
    ("response-enum-removed", nothing, drop(*DATA, "properties", "type", "enum"), FIRST_OP,
     "response 200 application/json data[].type"),
    ("response-constraint-loosened", nothing, drop(*ATTR, "properties", "result_count", "minimum"),
     FIRST_OP, f"{FIELD}.result_count"),
    ("response-constraint-tightened", nothing,
     put(*ATTR, "properties", "result_count", "maximum", 10**9), FIRST_OP,
     f"{FIELD}.result_count"),
    ("response-default-changed", nothing, put(*ATTR, "properties", "run_id", "default", "r"),
     FIRST_OP, f"{FIELD}.run_id"),
    ("security-alternative-added", nothing, append(*FIRST, "security", {}), FIRST_OP,
     "security"),
    ("security-alternative-removed", nothing, put(*FIRST, "security", []), FIRST_OP,
     "security"),
    ("security-scheme-changed", nothing,
     put("components", "securitySchemes", "Api_Key", "name", "X-Token"), FIRST_OP,
     "security scheme Api_Key"),
    ("security-scheme-added",
     put("components", "securitySchemes", "Basic", {"type": "http", "scheme": "basic"}),
     append(*FIRST, "security", {"Basic": []}), FIRST_OP, "security scheme Basic"),
    ("keyword-changed", nothing, put(*ATTR, "properties", "run_id", "readOnly", True), FIRST_OP,
     f"{FIELD}.run_id"),
    ("documentation", nothing,
     put(*ATTR, "properties", "result_count", "description", "Contacts that matched"),
     "(document)",
     "components.schemas.SegmentCountHistoryAttributeDO.properties.result_count.description"),
    ("outside-operations", nothing, put("info", "version", BASE["info"]["version"] + ".1"),
     "(document)", "info.version"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "before", "after", "operation", "where"), CASES, ids=[c[0] for c in CASES]
)
def test_each_rule(
    rule: str, before: Mutation, after: Mutation, operation: str, where: str
) -> None:
    changes = compare(after, before)
    lines = [c for c in changes if c.rule == rule]
    assert lines, spec_changes.render(changes)
    line = next((c for c in lines if c.operation == operation and c.where == where), None)
    assert line is not None, spec_changes.render(changes)
    assert line.breaking is RULES[rule].breaking
    assert line.kind == ("breaking" if RULES[rule].breaking else "non-breaking")
    # The line names the operation and the place, and the rule is explained in the legend.
    rendered = spec_changes.render(changes)
    assert f"| {line.kind}" in rendered and where in rendered and f"`{rule}`" in rendered


def test_every_rule_has_a_case() -> None:
    assert {case[0] for case in CASES} | {"unclassified"} == set(RULES)


def test_a_change_no_rule_knows_counts_as_breaking() -> None:
    where, what, rule = spec_changes._classify("values_changed", ["mystery", "x"], 1, 2)
    assert rule == "unclassified" and RULES[rule].breaking
    assert "mystery" in where and "1 -> 2" in what


def test_a_schema_shared_by_three_operations_is_reported_for_each() -> None:
    field = "data[].attributes.count_updating_with_runid"
    using = sorted(
        operation
        for operation, facts in spec_changes.surface(BASE).items()
        if any(
            field in media
            for media in facts["responses"].get("200", {}).get("content", {}).values()
        )
    )
    assert len(using) >= 3  # the first page, the paging companion, the batch companion
    changes = compare(drop(*ATTR, "properties", "count_updating_with_runid"))
    assert sorted(c.operation for c in changes if c.rule == "response-field-removed") == using


def test_a_rename_is_a_breaking_removal_with_a_hint_and_an_addition() -> None:
    def rename(doc: dict[str, Any]) -> None:
        props = _node(doc, ATTR)["properties"]
        props["probe_new"] = props.pop("probe_old")

    probe = put(*ATTR, "properties", "probe_old", {"type": "integer"})
    changes = [c for c in compare(rename, probe) if c.operation == FIRST_OP]
    removed = next(c for c in changes if c.where == f"{FIELD}.probe_old")
    added = next(c for c in changes if c.where == f"{FIELD}.probe_new")
    assert (removed.rule, removed.kind) == ("response-field-removed", "breaking")
    assert removed.what.endswith("renamed to probe_new?")
    assert (added.rule, added.kind) == ("response-field-added", "non-breaking")


def test_a_property_called_like_a_documentation_keyword_is_a_field() -> None:
    # "title" below "properties" is a field's name, not documentation.
    changes = compare(put(*ATTR, "properties", "title", {"type": "string"}))
    assert {c.rule for c in changes} == {"response-field-added"}


def test_an_unused_component_is_outside_the_operations() -> None:
    changes = compare(put("components", "schemas", "Unused", {"type": "object"}))
    assert [(c.where, c.rule) for c in changes] == [
        ("components.schemas.Unused", "outside-operations")
    ]


def test_a_recursive_schema_is_walked_once() -> None:
    tree = {"type": "object", "properties": {"child": {"$ref": "#/components/schemas/Tree"}}}

    def add_tree(doc: dict[str, Any]) -> None:
        doc["components"]["schemas"]["Tree"] = copy.deepcopy(tree)
        _node(doc, ATTR)["properties"]["tree"] = {"$ref": "#/components/schemas/Tree"}

    changes = compare(add_tree)
    wheres = {c.where for c in changes if c.operation == FIRST_OP}
    assert wheres == {f"{FIELD}.tree", f"{FIELD}.tree.child"}


def test_no_change_and_the_report_layout() -> None:
    assert spec_changes.compare(BASE, copy.deepcopy(BASE)) == []
    assert "No changes." in spec_changes.render([])
    changes = compare(both(put("info", "version", "9"), drop(*ATTR, "required", "run_id")))
    report = spec_changes.render(changes)
    assert "4 changes: 3 breaking, 1 non-breaking" in report
    table = [line for line in report.splitlines() if line.startswith("|")]
    assert table[0].split("|")[1:-1] == [
        f" {name.ljust(len(cell) - 2)} "
        for name, cell in zip(
            ["class", "operation", "where", "change", "rule"],
            table[0].split("|")[1:-1],
            strict=True,
        )
    ]
    assert len({len(line) for line in table}) == 1  # aligned columns
    assert table[2].startswith("| breaking")  # breaking changes first
    assert table[-1].startswith("| non-breaking")


def test_the_command_line_prints_and_writes_the_report(tmp_path, capsys) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(BASE))
    doc = copy.deepcopy(BASE)
    put("info", "version", BASE["info"]["version"] + ".1")(doc)
    new.write_text(json.dumps(doc))
    out = tmp_path / "reports" / "spec-changes.md"
    assert spec_changes.main([str(old), str(new), "--markdown", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "info.version" in printed and out.read_text() == printed
    assert spec_changes.main([str(old), str(tmp_path / "missing.json")]) == 2


def test_an_operation_keyword_is_reported_as_such() -> None:
    (change,) = compare(put(*FIRST, "deprecated", True))
    assert (change.operation, change.where, change.rule) == (
        FIRST_OP,
        "operation",
        "keyword-changed",
    )
    assert change.what == "deprecated (none) -> true" and not change.breaking
