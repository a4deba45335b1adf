"""A drill of upstream changes, as ActiveCampaign might publish them, each with its verdict.

Every change is made to the current upstream document (never to a literal copy of today's),
and the expected lines are built from the current document and overlay too, so the drill
still holds after any update that goes through. Per change: the verdict (does an overlay
precondition stop the update?), the report line that says why, and, for the changes that
stop, the `mergeable` line `make update-spec` ends with (run for real on a copy: it stops
before generating anything). The changes that go through reach `mergeable: yes` only after
the regeneration, the type check and the fast tests: `test_update_spec_e2e.py` runs those
for real, and `tools/drill_update_spec.py` runs every change of this drill that way.
"""

from __future__ import annotations

import copy
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import build_spec
import update_spec

UPSTREAM: dict[str, Any] = json.loads((ROOT / "openapi/upstream/count-history.json").read_text())
OVERLAY: dict[str, Any] = yaml.safe_load((ROOT / "openapi/overlay.yaml").read_text())
ATTRIBUTES = ("components", "schemas", "SegmentCountHistoryAttributeDO")
FIRST_PAGE_PATH = "/api/3/segmentsV2/{segmentId}/count-history"
FIRST_PAGE = ("paths", FIRST_PAGE_PATH, "get")
Mutation = Callable[[dict[str, Any]], None]


def _node(doc: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _action(field: str) -> tuple[int, dict[str, Any]]:
    """The (1-based) overlay action that targets ``...properties.<field>``, and the action."""
    (found,) = [
        (i + 1, a)
        for i, a in enumerate(OVERLAY["actions"])
        if a["target"].endswith(f".properties.{field}")
    ]
    return found


def _props(doc: dict[str, Any]) -> dict[str, Any]:
    return _node(doc, ATTRIBUTES)["properties"]


def _unused_status(doc: dict[str, Any]) -> str:
    return next(
        str(s) for s in range(500, 600) if str(s) not in _node(doc, FIRST_PAGE)["responses"]
    )


def _fresh(name: str, taken: Any) -> str:
    """``name``, suffixed until ``taken`` lacks it: the drill changes something even on a
    document an earlier run of the drill (``tools/drill_update_spec.py``) already changed."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    return candidate


def _optional_attribute() -> str:
    schema = _node(UPSTREAM, ATTRIBUTES)
    return next(n for n in schema["properties"] if n not in schema.get("required", []))


@dataclass(frozen=True)
class Drill:
    name: str
    change: Mutation
    breaking: bool  # does an overlay precondition stop the update?
    words: tuple[str, ...]  # what the report line says
    mergeable: str | None = None  # the last line, for the changes that stop


RESULT_NO, RESULT = _action("result_count")
ACTIVE_NO, _ = _action("active_result_count")
EXPECTED = RESULT["x-expects"]["type"]
ROOT_DO_NO = next(
    i + 1
    for i, a in enumerate(OVERLAY["actions"])
    if a["target"].endswith("SegmentCountHistoryResponseRootDO")
)
RESPONSES_NO = next(
    i + 1 for i, a in enumerate(OVERLAY["actions"]) if a["target"] == "$.paths.*.get.responses"
)
STOPPED = "mergeable: no: upstream changed under an overlay action: overlay action #"


def retype_result(value: Any) -> Mutation:
    return lambda doc: _props(doc)["result_count"].__setitem__("type", value)


def adopt_result_fix(doc: dict[str, Any]) -> None:
    _props(doc)["result_count"].update(RESULT["update"])


def remove_active(doc: dict[str, Any]) -> None:
    del _props(doc)["active_result_count"]


def result_minimum(doc: dict[str, Any]) -> None:
    _props(doc)["result_count"]["minimum"] = 5


def own_429(doc: dict[str, Any]) -> None:
    _node(doc, FIRST_PAGE)["responses"]["429"] = {"description": "Too many requests, slow down"}


def adopt_required_data(doc: dict[str, Any]) -> None:
    _node(doc, ("components", "schemas", "SegmentCountHistoryResponseRootDO"))["required"] = [
        "data"
    ]


def new_error_status(doc: dict[str, Any]) -> None:
    _node(doc, FIRST_PAGE)["responses"][_unused_status(doc)] = {"description": "Server error"}


def attribute_now_required(doc: dict[str, Any]) -> None:
    _node(doc, ATTRIBUTES).setdefault("required", []).append(_optional_attribute())


def optional_header(doc: dict[str, Any]) -> None:
    parameters = _node(doc, FIRST_PAGE)["parameters"]
    name = _fresh("X-Drill-Probe", {p.get("name") for p in parameters})
    parameters.append(
        {"name": name, "in": "header", "required": False, "schema": {"type": "string"}}
    )


def optional_attribute(doc: dict[str, Any]) -> None:
    _props(doc)[_fresh("drill_probe_count", _props(doc))] = {"type": "integer"}


def description_edit(doc: dict[str, Any]) -> None:
    counts = _props(doc)["result_count"]
    counts["description"] = counts.get("description", "") + " (edited)"


def summary_edit_same_version(doc: dict[str, Any]) -> None:
    operation = _node(doc, FIRST_PAGE)
    operation["summary"] = operation.get("summary", "") + " (edited)"


FIELD = "components.schemas.SegmentCountHistoryAttributeDO.properties"
DRILL = [
    Drill(
        "result_count-string",
        retype_result("string"),
        True,
        (f"#{RESULT_NO}", f"{FIELD}.result_count.type: expected `{EXPECTED}`, found `string`"),
        f"{STOPPED}{RESULT_NO}",
    ),
    Drill(
        "result_count-nullable",
        retype_result(["integer", "null"]),
        True,
        (f'result_count.type: expected `{EXPECTED}`, found `["integer", "null"]`',),
        f"{STOPPED}{RESULT_NO}",
    ),
    Drill(
        "result_count-fix-adopted",
        adopt_result_fix,
        False,
        (f"overlay action #{RESULT_NO}", "is now redundant", "delete it"),
    ),
    Drill(
        "active_result_count-removed",
        remove_active,
        True,
        (f"overlay action #{ACTIVE_NO}", "active_result_count.type: expected", "found nothing"),
        f"{STOPPED}{ACTIVE_NO}",
    ),
    Drill(
        "result_count-own-minimum",
        result_minimum,
        True,
        (f"{FIELD}.result_count.minimum: expected nothing, found `5`",),
        f"{STOPPED}{RESULT_NO}",
    ),
    Drill(
        "own-429",
        own_429,
        True,
        (f"overlay action #{RESPONSES_NO}", ".responses.429: expected nothing, found"),
        f"{STOPPED}{RESPONSES_NO}",
    ),
    Drill(
        "required-data-adopted",
        adopt_required_data,
        False,
        (f"overlay action #{ROOT_DO_NO}", "is now redundant"),
    ),
    Drill("new-error-status", new_error_status, False, ("status added", "error-status-added")),
    Drill("attribute-now-required", attribute_now_required, False, ("now required",)),
    Drill("optional-header", optional_header, False, ("X-Drill-Probe", "added (header, string")),
    Drill("optional-attribute", optional_attribute, False, ("drill_probe_count", "added")),
    Drill("description-edit", description_edit, False, ("description changed", "documentation")),
    Drill("edit-same-version", summary_edit_same_version, False, ("summary changed",)),
]


def _report(change: Mutation) -> tuple[str, str | None]:
    new = copy.deepcopy(UPSTREAM)
    change(new)
    old_effective = json.loads((ROOT / "openapi/segments.json").read_text())
    overlay = build_spec.load_overlay(ROOT / "openapi/overlay.yaml")
    effective, failure, skipped, findings = update_spec._effective(new, overlay)
    report = update_spec._report(
        UPSTREAM, new, old_effective, overlay, effective, skipped, findings
    )
    return report, failure


@pytest.mark.parametrize("drill", DRILL, ids=[d.name for d in DRILL])
def test_the_verdict_and_the_report_line(drill: Drill) -> None:
    report, failure = _report(drill.change)
    lines = [line for line in report.splitlines() if all(w in line for w in drill.words)]
    assert lines, report
    if drill.breaking:
        assert failure is not None and failure.startswith("upstream changed under an overlay")
        assert lines[0].startswith("- breaking: "), lines
    else:
        assert failure is None, failure
        assert not lines[0].startswith("- breaking"), lines


@pytest.mark.parametrize(
    "drill",
    [d for d in DRILL if d.name.startswith(("result_count-string", "result_count-nullable"))],
    ids=lambda d: d.name,
)
def test_a_change_under_an_overlay_action_is_marked_masked_in_the_upstream_diff(
    drill: Drill,
) -> None:
    report, _ = _report(drill.change)
    upstream_part = report.split("## Changes to the upstream document", 1)[1]
    assert f"(masked by overlay action #{RESULT_NO})" in upstream_part, upstream_part
    effective_part = report.split("## Changes to the effective document", 1)[1].split("##")[0]
    assert "result_count" not in effective_part  # what the overlay hides


def test_the_drill_covers_the_issue() -> None:
    assert len(DRILL) >= 12
    under_overlay = [d for d in DRILL if d.name.startswith(("result_count", "active", "own"))]
    assert len(under_overlay) >= 4


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("drill") / "project"
    for name in ("openapi", "generated"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "reports" not in p.parts
    }


@pytest.mark.parametrize("drill", [d for d in DRILL if d.breaking], ids=lambda d: d.name)
def test_a_change_under_an_action_stops_with_its_mergeable_line(
    drill: Drill, pristine: Path, tmp_path: Path, capsys
) -> None:
    new = copy.deepcopy(UPSTREAM)
    drill.change(new)
    spec = tmp_path / "published.json"
    spec.write_text(json.dumps(new))
    before = _files(pristine)
    assert update_spec.main([str(spec), "--root", str(pristine)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[-1].startswith(drill.mergeable or "?"), out.splitlines()[-1]
    assert "restored the previous upstream document" in out
    assert _files(pristine) == before
