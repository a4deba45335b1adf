"""`make update-spec` end to end, on copies of the project in temporary folders.

Each test copies the spec, the tools, the generated client, the wrapper (and what `make lint`
and the spec tests read) into a temporary folder, changes the upstream document there as
ActiveCampaign might, runs `tools/update_spec.py` there (the real generator, the real
`mypy --strict`), and checks the outcome:

- a new optional attribute, a new error status, a new operation, an attribute becoming
  required, a new optional query parameter, an optional header and a description edit without
  a version bump go through, in three updates one after the other in one copy, each ending on
  `mergeable: yes` (update-spec's own fast checks ran the spec and records tests there);
  afterwards `make lint`'s checks, `make check-generated` and the spec tests pass there with
  no hand edits;
- a renamed, removed or retyped attribute and a new required parameter are reported
  `breaking`, stop at the type check with mypy naming the field, and leave the copy exactly
  as it was (or, with KEEP=1, consistent: document, digest, effective document and client);
- a rename the overlay still targets stops at update-spec itself, naming the overlay action.

Slow (each regeneration runs openapi-python-client and ruff, each type check mypy, each
verdict the fast tests): about two minutes in all on two cores. mypy's cache is shared by the
tests (seeded from the project's own when `make lint` has left one), so only the changed
modules are checked again.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import update_spec

pytestmark = pytest.mark.slow

COPIED = ("openapi", "tools", "generated", "wrapper", "pyproject.toml", ".github")
# What update-spec's fast checks run in the copy (the spec tests, the records unit tests) and
# what they import.
TESTS = ("__init__.py", "conftest.py", "documented.py", "spec", "unit")
ATTRIBUTES = ("components", "schemas", "SegmentCountHistoryAttributeDO")
FIRST_PAGE = ("paths", "/api/3/segmentsV2/{segmentId}/count-history", "get")
FIELD = "response 200 application/json data[].attributes"
Change = Callable[[dict[str, Any]], None]


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("mypy") / "cache"
    if (ROOT / ".mypy_cache").is_dir():
        shutil.copytree(ROOT / ".mypy_cache", cache)
    return cache


def _copy_project(into: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", ".generate-*")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, into / name, ignore=ignore)
        else:
            shutil.copy2(source, into / name)
    for name in TESTS:
        source = ROOT / "tests" / name
        if source.is_dir():
            shutil.copytree(source, into / "tests" / name, ignore=ignore)
        else:
            (into / "tests").mkdir(exist_ok=True)
            shutil.copy2(source, into / "tests" / name)
    return into


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for folder in ("openapi", "generated")
        for p in sorted((root / folder).rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def _run(root: Path, cache: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        env={
            **os.environ,
            "MYPY_CACHE_DIR": str(cache),
            # The copy's packages, not the project's (installed in editable mode).
            "PYTHONPATH": f"{root / 'generated'}{os.pathsep}{root / 'wrapper'}",
            **env,
        },
    )


def _update(
    root: Path, cache: Path, change: Change, *extra: str
) -> subprocess.CompletedProcess[str]:
    doc = json.loads((root / "openapi/upstream/count-history.json").read_text())
    change(doc)
    spec = root.parent / "published.json"
    spec.write_text(json.dumps(doc))  # minified, as a download might be
    tool = str(root / "tools/update_spec.py")
    return _run(root, cache, sys.executable, tool, str(spec), "--root", str(root), *extra)


def _node(doc: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _line(report: str, *words: str) -> str:
    """The report's table line that holds all of ``words``."""
    found = [
        line
        for line in report.splitlines()
        if line.startswith("|") and all(w in line for w in words)
    ]
    assert found, f"no line with {words} in:\n{report}"
    return found[0]


# ------------------------------------------------------------------ changes that go through


def new_optional_attribute(doc: dict[str, Any]) -> None:
    _node(doc, ATTRIBUTES)["properties"]["list_count"] = {
        "type": "integer",
        "description": "How many lists the matching contacts are on",
    }


def new_operation(doc: dict[str, Any]) -> None:
    doc["paths"]["/api/3/segmentsV2/{segmentId}"] = {
        "get": {
            "operationId": "get_segment",
            "tags": ["Segments"],
            "summary": "Retrieve a segment",
            "parameters": [
                {"name": "segmentId", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {
                "200": {
                    "description": "A segment",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"name": {"type": "string"}},
                            }
                        }
                    },
                }
            },
        }
    }


def new_optional_query_parameter(doc: dict[str, Any]) -> None:
    _node(doc, FIRST_PAGE)["parameters"].append(
        {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer"}}
    )


def description_edit(doc: dict[str, Any]) -> None:
    # An edit without a bump of info.version, as vendors do.
    counts = _node(doc, ATTRIBUTES)["properties"]["result_count"]
    counts["description"] = counts.get("description", "") + " (when it was evaluated)"


def new_error_status(doc: dict[str, Any]) -> None:
    responses = _node(doc, FIRST_PAGE)["responses"]
    status = next(str(s) for s in range(500, 600) if str(s) not in responses)
    responses[status] = {"description": "Internal Server Error"}


def optional_attribute_now_required(doc: dict[str, Any]) -> None:
    schema = _node(doc, ATTRIBUTES)
    optional = [n for n in schema["properties"] if n not in schema.get("required", [])]
    # active_result_count while it is optional (the case the issue met), else another one.
    name = "active_result_count" if "active_result_count" in optional else optional[0]
    schema.setdefault("required", []).append(name)


def optional_header(doc: dict[str, Any]) -> None:
    _node(doc, FIRST_PAGE)["parameters"].append(
        {"name": "X-Request-Id", "in": "header", "required": False, "schema": {"type": "string"}}
    )


def bump(doc: dict[str, Any]) -> None:
    doc["info"]["version"] = doc["info"]["version"] + ".1"


# Each update is several changes in one published document (each update regenerates,
# type-checks and runs the fast checks: about a minute), each change with its report line.
GOES_THROUGH: list[list[tuple[Change, tuple[str, ...]]]] = [
    [
        (
            new_optional_attribute,
            (f"{FIELD}.list_count", "added (integer, optional)", "response-field-added"),
        ),
        (new_error_status, ("status added", "error-status-added")),
        (bump, ("info.version", "outside-operations")),
    ],
    [
        (
            new_operation,
            ("GET /api/3/segmentsV2/{segmentId} ", "added (get_segment)", "operation-added"),
        ),
        (optional_attribute_now_required, ("now required", "response-now-required")),
        (
            new_optional_query_parameter,
            ("parameter limit", "added (query, integer, optional)", "parameter-added-optional"),
        ),
        (optional_header, ("parameter X-Request-Id", "added (header, string, optional)")),
    ],
    [
        (
            description_edit,
            ("properties.result_count.description", "description changed", "documentation"),
        ),
    ],
]


def test_compatible_changes_go_through_and_leave_a_tree_that_passes_the_checks(
    tmp_path: Path, mypy_cache: Path
) -> None:
    root = _copy_project(tmp_path / "project")
    for changes in GOES_THROUGH:

        def published(doc: dict[str, Any], changes: list[tuple[Change, Any]] = changes) -> None:
            for change, _ in changes:
                change(doc)

        proc = _update(root, mypy_cache, published)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        for _, words in changes:
            line = _line(proc.stdout, *words)
            assert line.startswith("| non-breaking"), line
            assert (root / "reports/spec-changes.md").read_text().count(words[0]) >= 1
        assert "update-spec: [3/3] type check passed" in proc.stdout
        assert proc.stdout.splitlines()[-1] == "mergeable: yes"

    upstream = json.loads((root / "openapi/upstream/count-history.json").read_text())
    assert "list_count" in _node(upstream, ATTRIBUTES)["properties"]
    assert "/api/3/segmentsV2/{segmentId}" in upstream["paths"]
    # `make lint`, `make check-generated` and the spec tests, in the copy, no hand edits.
    # (mypy --strict on the wrapper ran in each update-spec above; the simulator, the rest of
    # `make lint`'s mypy, imports nothing generated.)
    bin_dir = Path(sys.executable).parent
    checks = [
        (str(bin_dir / "ruff"), "check", "."),
        (str(bin_dir / "ruff"), "format", "--check", "."),
        (str(bin_dir / "openapi-spec-validator"), "openapi/segments.json"),
        (sys.executable, "tools/generate.py", "--check", "--root", str(root)),
        (
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-m",
            "not slow",
            "tests/spec",
        ),
    ]
    for check in checks:
        proc = _run(root, mypy_cache, *check)
        assert proc.returncode == 0, f"{check}:\n{proc.stdout}\n{proc.stderr}"
    # The attribute ActiveCampaign added reaches users in `extra` at once.
    script = (
        "import json\n"
        "from activecampaign_segments._records import parse_count_history\n"
        "from tests.documented import complete\n"
        "body = {'data': [{'id': '1', 'type': 'SegmentCountHistory', 'attributes': complete({\n"
        "    'timestamp': '2025-01-01T00:00:00.000Z', 'segment_id': '4', 'segment_hash': 'h',\n"
        "    'run_id': 'r', 'result_count': 3, 'list_count': 7})}]}\n"
        "(record,) = parse_count_history(json.dumps(body).encode())\n"
        "print(dict(record.extra))\n"
    )
    proc = _run(root, mypy_cache, sys.executable, "-c", script)
    assert proc.stdout.strip() == "{'list_count': 7}", proc.stderr


# ---------------------------------------------------------------------- changes that break


def renamed_attribute(doc: dict[str, Any]) -> None:
    properties = _node(doc, ATTRIBUTES)["properties"]
    properties["active_count"] = properties.pop("active_result_count")


def removed_attribute(doc: dict[str, Any]) -> None:
    del _node(doc, ATTRIBUTES)["properties"]["count_updating_with_runid"]


def retyped_attribute(doc: dict[str, Any]) -> None:
    _node(doc, ATTRIBUTES)["properties"]["segment_id"] = {"type": "integer"}


def new_required_parameter(doc: dict[str, Any]) -> None:
    _node(doc, FIRST_PAGE)["parameters"].append(
        {"name": "limit", "in": "query", "required": True, "schema": {"type": "integer"}}
    )


RECORDS = "wrapper/activecampaign_segments/_records.py"
BREAKS: list[tuple[Change, tuple[str, ...], tuple[str, ...]]] = [
    (
        renamed_attribute,
        (f"{FIELD}.active_result_count", "renamed to active_count?", "response-field-removed"),
        (RECORDS, "missing following", "active_result_count"),
    ),
    (
        removed_attribute,
        (f"{FIELD}.count_updating_with_runid", "removed", "response-field-removed"),
        (RECORDS, "missing following", "count_updating_with_runid"),
    ),
    (
        new_required_parameter,
        ("parameter limit", "added (query, integer, required)", "parameter-added-required"),
        ("wrapper/activecampaign_segments/client.py", 'Missing named argument "limit"'),
    ),
]


@pytest.mark.parametrize(
    ("change", "report_words", "mypy_words"), BREAKS, ids=[c[0].__name__ for c in BREAKS]
)
def test_a_breaking_change_stops_at_the_type_check_and_restores_the_tree(
    tmp_path: Path,
    mypy_cache: Path,
    change: Change,
    report_words: tuple[str, ...],
    mypy_words: tuple[str, ...],
) -> None:
    root = _copy_project(tmp_path / "project")
    if change is renamed_attribute:
        # As the README says: retarget the overlay action that named the old attribute.
        overlay = root / "openapi/overlay.yaml"
        overlay.write_text(
            overlay.read_text().replace("properties.active_result_count", "properties.active_count")
        )
    before = _tree(root)
    proc = _update(root, mypy_cache, change)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert _line(proc.stdout, *report_words).startswith("| breaking")
    # mypy's message names the file and the field (on one of its lines), and says what is wrong.
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line or ": note:" in line]
    assert any(mypy_words[0] in line and mypy_words[-1] in line for line in errors), proc.stdout
    assert all(any(w in line for line in errors) for w in mypy_words), proc.stdout
    assert "update-spec: stopped: the type check failed" in proc.stdout
    assert "restored the previous upstream document" in proc.stdout
    assert _tree(root) == before
    assert proc.stdout.splitlines()[-1].startswith("mergeable: no: the type check failed: ")
    assert not list((root / "generated").glob(".generate-*"))
    report = (root / "reports/spec-changes.md").read_text()
    assert (
        report_words[0] in report and "Outcome: stopped (the previous tree was restored)" in report
    )


def test_keep_leaves_a_change_that_fails_only_the_type_check_in_place_and_consistent(
    tmp_path: Path, mypy_cache: Path
) -> None:
    root = _copy_project(tmp_path / "project")
    before = _tree(root)
    proc = _update(root, mypy_cache, retyped_attribute, "--keep")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert _line(proc.stdout, f"{FIELD}.segment_id", "type string -> integer").startswith(
        "| breaking"
    )
    assert 'segment_id: expected "str", got "int"' in proc.stdout
    assert "KEEP=1: the new document, digest, effective document and client stay" in proc.stdout
    assert _tree(root) != before
    # Consistent: the digest pins the new document, and the effective document and the client
    # are what it generates; only the wrapper is left to adapt.
    assert update_spec.pin_problems(root) == []
    check = _run(
        root, mypy_cache, sys.executable, "tools/generate.py", "--check", "--root", str(root)
    )
    assert check.returncode == 0, check.stdout + check.stderr
    lint = _run(root, mypy_cache, sys.executable, "-m", "mypy", "-p", "activecampaign_segments")
    assert lint.returncode == 1 and 'segment_id: expected "str", got "int"' in lint.stdout


def test_a_change_the_overlay_no_longer_fits_stops_at_update_spec(
    tmp_path: Path, mypy_cache: Path
) -> None:
    # The rename again, without retargeting the overlay: `make spec` cannot apply it.
    root = _copy_project(tmp_path / "project")
    before = _tree(root)
    proc = _update(root, mypy_cache, renamed_attribute)
    assert proc.returncode == 1
    assert _line(proc.stdout, f"{FIELD}.active_result_count", "removed").startswith("| breaking")
    overlay = (root / "openapi/overlay.yaml").read_text()
    (number,) = [
        i + 1
        for i, action in enumerate(yaml.safe_load(overlay)["actions"])
        if action["target"].endswith(".active_result_count")
    ]
    last = proc.stdout.splitlines()[-1]
    assert last.startswith(
        f"mergeable: no: upstream changed under an overlay action: overlay action #{number}"
    ), last
    assert "active_result_count.type: expected" in last and "the target matches nothing" in last
    assert "(Computed with the overlay actions that match nothing left out" in proc.stdout
    assert _tree(root) == before
