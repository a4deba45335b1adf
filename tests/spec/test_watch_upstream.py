"""The nightly upstream watch: the workflow file is valid, and its script decides right.

The workflow is validated offline against the GitHub workflow schema that check-jsonschema
ships (``vendor.github-workflows``); the script part (``tools/watch_upstream.py``) runs here
against local documents on a copy of the spec files.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import update_spec
import watch_upstream

WORKFLOW = ROOT / ".github/workflows/upstream-spec.yml"
UPSTREAM = ROOT / "openapi/upstream/count-history.json"


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    tool = Path(sys.executable).parent / "check-jsonschema"
    return subprocess.run(
        [str(tool), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_workflow_is_a_valid_github_workflow(tmp_path: Path) -> None:
    proc = _validate(WORKFLOW)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The check can fail: a job without `runs-on` is not a workflow GitHub accepts.
    broken = yaml.safe_load(WORKFLOW.read_text())
    del broken["jobs"]["update-spec"]["runs-on"]
    mutant = tmp_path / "broken.yml"
    mutant.write_text(yaml.safe_dump(broken))
    assert _validate(mutant).returncode == 1


def test_the_workflow_runs_nightly_and_opens_a_pull_request_with_the_report() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["schedule"][0]["cron"].split()[2:] == ["*", "*", "*"]
    steps = workflow["jobs"]["update-spec"]["steps"]
    watch = next(s for s in steps if s.get("id") == "watch")
    assert "tools/watch_upstream.py" in watch["run"]
    pull = next(s for s in steps if "create-pull-request" in s.get("uses", ""))
    assert pull["if"] == "steps.watch.outputs.changed == 'true'"
    assert pull["with"]["body-path"] == str(update_spec.REPORT)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for name in ("openapi", "generated"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    return root


@pytest.fixture
def github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    files = {"GITHUB_OUTPUT": tmp_path / "output", "GITHUB_STEP_SUMMARY": tmp_path / "summary"}
    for name, path in files.items():
        path.write_text("")
        monkeypatch.setenv(name, str(path))
    return files


def _outputs(github: dict[str, Path]) -> dict[str, str]:
    lines = github["GITHUB_OUTPUT"].read_text().splitlines()
    return dict(line.split("=", 1) for line in lines)


def test_an_unchanged_document_opens_nothing(
    project: Path, github: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # This copy holds no wrapper or tests to check: the fast checks are recorded, not run.
    monkeypatch.setattr(update_spec, "fast_checks", lambda root, type_checked: (True, ""))
    assert watch_upstream.main([str(UPSTREAM), "--root", str(project)]) == 0
    outputs = _outputs(github)
    assert (outputs["changed"], outputs["mergeable"]) == ("false", "yes")
    assert "## Changes to the upstream document" in github["GITHUB_STEP_SUMMARY"].read_text()


def test_a_breaking_change_fails_the_job_and_shows_the_report(
    project: Path, github: dict[str, Path], tmp_path: Path, capsys
) -> None:
    doc = json.loads(UPSTREAM.read_text())
    counts = doc["components"]["schemas"]["SegmentCountHistoryAttributeDO"]["properties"]
    overlay = yaml.safe_load((ROOT / "openapi/overlay.yaml").read_text())
    (expected,) = [
        a["x-expects"]["type"] for a in overlay["actions"] if a["target"].endswith(".result_count")
    ]
    counts["result_count"]["type"] = "string"
    spec = tmp_path / "published.json"
    spec.write_text(json.dumps(doc))
    before = (project / "openapi/upstream/count-history.json").read_bytes()
    assert watch_upstream.main([str(spec), "--root", str(project)]) == 1
    outputs = _outputs(github)
    assert (outputs["changed"], outputs["mergeable"]) == ("false", "no")
    summary = github["GITHUB_STEP_SUMMARY"].read_text()
    assert f"result_count.type: expected `{expected}`, found `string`" in summary
    assert summary.rstrip().splitlines()[-1].startswith("mergeable: no: upstream changed under")
    assert (project / "openapi/upstream/count-history.json").read_bytes() == before
    assert "the job fails" in capsys.readouterr().err


def test_bad_input_fails_the_job_with_exit_2(project: Path, github: dict[str, Path]) -> None:
    assert watch_upstream.main(["http://example.com/doc.json", "--root", str(project)]) == 2
    assert _outputs(github)["changed"] == "false"
