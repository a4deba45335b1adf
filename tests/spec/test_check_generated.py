"""`make check-generated` passes on the committed tree and fails on any drift."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import generate

# Each runs the generator (seconds): `make update-spec`'s fast checks leave them out, having
# just regenerated the client with the same code.
pytestmark = pytest.mark.slow


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of everything check-generated reads."""
    for name in ("openapi", "tools", "generated"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def _check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(root / "tools/generate.py"), "--check", "--root", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_committed_tree_is_current(project: Path) -> None:
    proc = _check(project)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_hand_edited_generated_file_fails_with_a_diff(project: Path) -> None:
    target = project / "generated/activecampaign_segments_api/client.py"
    target.write_text(target.read_text() + "\n# edited by hand\n")
    proc = _check(project)
    assert proc.returncode == 1
    assert "+# edited by hand" not in proc.stdout  # the diff shows it as removed by regeneration
    assert "-# edited by hand" in proc.stdout
    assert "generated/activecampaign_segments_api/client.py" in proc.stdout


def test_extra_file_in_generated_fails(project: Path) -> None:
    (project / "generated/activecampaign_segments_api/extra.py").write_text("x = 1\n")
    proc = _check(project)
    assert proc.returncode == 1
    assert "extra.py" in proc.stdout


def test_stale_effective_document_fails(project: Path) -> None:
    spec = project / "openapi/segments.json"
    doc = json.loads(spec.read_text())
    doc["info"]["version"] = "0.0.0"
    spec.write_text(json.dumps(doc, indent=2) + "\n")
    proc = _check(project)
    assert proc.returncode == 1
    assert "openapi/segments.json (committed)" in proc.stdout


def test_overlay_change_without_regenerating_fails(project: Path) -> None:
    overlay = project / "openapi/overlay.yaml"
    overlay.write_text(overlay.read_text().replace("Comma-separated segment ids", "Segment ids"))
    proc = _check(project)
    assert proc.returncode == 1


def test_generator_warnings_are_failures(tmp_path: Path) -> None:
    doc = json.loads((ROOT / "openapi/segments.json").read_text())
    doc["paths"]["/odd"] = {
        "get": {
            "operationId": "odd",
            "responses": {
                "200": {
                    "description": "an unsupported content type",
                    "content": {"application/weird": {"schema": {"type": "string"}}},
                }
            },
        }
    }
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(doc))
    with pytest.raises(SystemExit, match="openapi-python-client failed"):
        generate.generate_client(ROOT, spec, tmp_path / "out")


def test_generate_twice_is_stable(project: Path) -> None:
    before = generate.tree(project / "generated/activecampaign_segments_api")
    assert generate.main(["--root", str(project)]) == 0
    assert generate.main(["--root", str(project)]) == 0
    assert generate.tree(project / "generated/activecampaign_segments_api") == before
    assert not list((project / "generated").glob(".generate-*"))
