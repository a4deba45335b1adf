"""Overlay preconditions (`x-expects`): well-formedness, and each outcome on small documents.

The drill (`test_update_drill.py`) runs them on the real overlay and document; here each rule
is pinned down on a document of a few keys, so a mutant of the check has a case that kills it.
"""

from __future__ import annotations

import copy
import json
import sys
from typing import Any

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import build_spec
import overlay_preconditions as pre

DOC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {},
    "components": {"schemas": {"S": {"type": "object", "required": ["a"], "properties": {}}}},
}


def action(**fields: Any) -> dict[str, Any]:
    return {"target": "$.components.schemas.S", "description": "why", **fields}


def overlay(*actions: dict[str, Any]) -> dict[str, Any]:
    return {"overlay": "1.0.0", "info": {"title": "o", "version": "1"}, "actions": list(actions)}


def run(*actions: dict[str, Any], doc: dict[str, Any] = DOC) -> list[pre.Finding]:
    findings: list[pre.Finding] = []
    build_spec.apply_lenient(copy.deepcopy(doc), overlay(*actions), findings)
    return findings


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"remove": True}, "a remove action must say what it removes"),
        ({"update": {"type": "x"}, "x-expects": "object"}, "must be a non-empty mapping"),
        ({"update": {"type": "x"}, "x-expects": {}}, "must be a non-empty mapping"),
        ({"update": {"type": "x"}, "x-expects": {"title": "S"}}, "'title', which the update"),
        ({"update": {"a": {"b": 1}}, "x-expects": {"a/c": 1}}, "'a/c', which the update"),
        ({"update": "x", "x-expects": {"a": 1}}, "needs an update that is a mapping"),
        ({"update": {"type": "x"}, "x-expect": {"type": "object"}}, "unknown extension"),
    ],
)
def test_a_malformed_precondition_is_named(fields: dict[str, Any], problem: str) -> None:
    assert problem in (pre.validate(action(**fields)) or "")


def test_a_well_formed_precondition_passes_validation() -> None:
    assert pre.validate(action(update={"a": {"b": 1}}, **{"x-expects": {"a/b": 0}})) is None
    assert pre.validate(action(update={"type": "x"})) is None  # adds only: nothing to declare
    assert pre.validate(action(remove=True, **{"x-expects": {"type": "object"}})) is None


def test_an_expected_replacement_is_silent_and_applies() -> None:
    assert run(action(update={"type": "array"}, **{"x-expects": {"type": "object"}})) == []


def test_an_adding_action_is_silent() -> None:
    assert run(action(update={"title": "S", "properties": {"b": {"type": "string"}}})) == []


@pytest.mark.parametrize(
    ("fields", "kind", "field", "expected", "found"),
    [
        ({"update": {"type": "array"}, "x-expects": {"type": "string"}}, "changed",
         "components.schemas.S.type", "string", "object"),
        ({"update": {"type": "array"}}, "overwrites", "components.schemas.S.type", pre.ABSENT,
         "object"),
        ({"update": {"minimum": 0}, "x-expects": {"minimum": 1}}, "changed",
         "components.schemas.S.minimum", 1, pre.ABSENT),
    ],
)  # fmt: skip
def test_upstream_changed_under_the_action(
    fields: dict[str, Any], kind: str, field: str, expected: Any, found: Any
) -> None:
    (finding,) = run(action(**fields))
    assert (finding.kind, finding.field, finding.expected, finding.found) == (
        kind,
        field,
        expected,
        found,
    )
    assert finding.breaking and "overlay action #1" in finding.line()


def test_an_adopted_fix_is_redundant_and_skipped() -> None:
    (finding,) = run(action(update={"type": "object"}, **{"x-expects": {"type": "string"}}))
    assert finding.kind == "redundant" and not finding.breaking
    assert "is now redundant" in finding.line() and "delete it" in finding.line()


def test_list_items_already_there_are_adopted_not_duplicated() -> None:
    doc, findings = copy.deepcopy(DOC), []
    out = build_spec.apply(doc, overlay(action(update={"required": ["a", "b"]})), findings=findings)
    assert out["components"]["schemas"]["S"]["required"] == ["a", "b"]
    assert [f.kind for f in findings] == ["adopted"]
    assert run(action(update={"required": ["a"]}))[0].kind == "redundant"


def test_a_target_gone_is_breaking_for_an_expecting_update() -> None:
    gone = {"target": "$.components.schemas.Gone", "description": "why", "update": {"type": "x"}}
    (finding,) = run({**gone, "x-expects": {"type": "y"}})
    assert finding.kind == "missing" and finding.breaking
    assert "found nothing (the target matches nothing)" in finding.line()


def test_a_remove_action() -> None:
    removes = action(remove=True, **{"x-expects": copy.deepcopy(DOC["components"]["schemas"]["S"])})
    assert run(removes) == []
    (changed,) = run(action(remove=True, **{"x-expects": {"type": "string"}}))
    assert changed.kind == "changed" and changed.breaking
    gone = {**removes, "target": "$.components.schemas.Gone"}
    (redundant,) = run(gone)
    assert redundant.kind == "redundant" and not redundant.breaking


def test_make_spec_refuses_a_broken_precondition_and_notes_a_redundant_action() -> None:
    real = build_spec.load_overlay(ROOT / "openapi/overlay.yaml")
    doc = json.loads((ROOT / "openapi/upstream/count-history.json").read_text())
    schema = doc["components"]["schemas"]["SegmentCountHistoryResponseRootDO"]
    # What the current document already reports (an earlier update may have adopted a fix).
    before: list[pre.Finding] = []
    build_spec.apply(copy.deepcopy(doc), real, findings=before)
    schema["required"] = ["data"]  # upstream adopts one of our fixes
    findings: list[pre.Finding] = []
    built = build_spec.apply(doc, real, findings=findings)
    assert built["components"]["schemas"]["SegmentCountHistoryResponseRootDO"]["required"] == [
        "data"
    ]
    adopted = [
        f
        for f in findings
        if f.kind == "redundant" and "SegmentCountHistoryResponseRootDO" in f.target
    ]
    assert len(adopted) == 1
    assert [f for f in findings if f not in before and f not in adopted] == []
    doc["components"]["schemas"]["SegmentCountHistoryAttributeDO"]["properties"]["result_count"][
        "type"
    ] = "string"
    with pytest.raises(build_spec.PreconditionError, match="found `string`"):
        build_spec.apply(doc, real)
