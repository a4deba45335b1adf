"""`make spec` refuses a bad overlay with a clear error and keeps the previous output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

SCRIPT = ROOT / "tools/build_spec.py"


def _run(overlay: Path, output: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--overlay", str(overlay), "--output", str(output)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def output(tmp_path: Path) -> Path:
    path = tmp_path / "segments.json"
    path.write_text('{"previous": true}\n')
    return path


def _overlay_with(tmp_path: Path, mutate: object) -> Path:
    doc = yaml.safe_load((ROOT / "openapi/overlay.yaml").read_text())
    mutate(doc)  # type: ignore[operator]
    path = tmp_path / "overlay.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_the_real_overlay_builds_the_committed_document(tmp_path: Path) -> None:
    out = tmp_path / "segments.json"
    proc = _run(ROOT / "openapi/overlay.yaml", out)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == (ROOT / "openapi/segments.json").read_bytes()


def test_target_matching_nothing_names_the_action(tmp_path: Path, output: Path) -> None:
    def mutate(doc: dict) -> None:
        doc["actions"][4]["target"] = "$.paths['/api/3/segmentsV2/{segmentId}/no-such'].get"

    proc = _run(_overlay_with(tmp_path, mutate), output)
    assert proc.returncode == 1
    assert "overlay action #5" in proc.stderr
    assert "matches nothing" in proc.stderr
    assert "no-such" in proc.stderr
    assert output.read_text() == '{"previous": true}\n'


def test_malformed_yaml(tmp_path: Path, output: Path) -> None:
    bad = tmp_path / "overlay.yaml"
    bad.write_text("overlay: 1.0.0\nactions: [\n  - target: $.x\n")
    proc = _run(bad, output)
    assert proc.returncode == 1
    assert "cannot read the overlay" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert output.read_text() == '{"previous": true}\n'


def test_action_without_update_or_remove_is_malformed(tmp_path: Path, output: Path) -> None:
    def mutate(doc: dict) -> None:
        doc["actions"][1].pop("update")

    proc = _run(_overlay_with(tmp_path, mutate), output)
    assert proc.returncode == 1
    assert "overlay action #2" in proc.stderr and "malformed" in proc.stderr
    assert output.read_text() == '{"previous": true}\n'


def test_action_without_description_is_refused(tmp_path: Path, output: Path) -> None:
    def mutate(doc: dict) -> None:
        doc["actions"][0].pop("description")

    proc = _run(_overlay_with(tmp_path, mutate), output)
    assert proc.returncode == 1
    assert "overlay action #1" in proc.stderr and "no description" in proc.stderr
    assert output.read_text() == '{"previous": true}\n'


def test_invalid_jsonpath(tmp_path: Path, output: Path) -> None:
    def mutate(doc: dict) -> None:
        doc["actions"][0]["target"] = "$.[[["

    proc = _run(_overlay_with(tmp_path, mutate), output)
    assert proc.returncode == 1
    assert "overlay action #1" in proc.stderr and "invalid JSONPath" in proc.stderr
    assert output.read_text() == '{"previous": true}\n'


def test_result_that_is_not_valid_openapi(tmp_path: Path, output: Path) -> None:
    def mutate(doc: dict) -> None:
        version = json.loads((ROOT / "openapi/upstream/count-history.json").read_text())["info"][
            "version"
        ]
        doc["actions"].append(
            {
                "target": "$.info",
                "description": "break it",
                "x-expects": {"version": version},
                "update": {"version": 7},
            }
        )

    proc = _run(_overlay_with(tmp_path, mutate), output)
    assert proc.returncode == 1
    assert "not valid OpenAPI 3.1" in proc.stderr
    assert output.read_text() == '{"previous": true}\n'
