"""The contract suite from an installed wheel, outside the checkout (issue 9).

Builds the wheel, installs it with the `contract` extra into a fresh virtual environment (uv, from
its cache), and runs `ac-segments contract` from a folder that is not the checkout: against the
bundled simulator it passes, against a simulator with one quirk it fails with exit status 1. The
wheel's copy of the effective document must be the repository's, byte for byte.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from activecampaign_simulator.process import simulator_process

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

UV = ROOT / ".tools" / "bin" / "uv"
SHIPPED_DOCUMENT = "activecampaign_segments/contract/segments.json"


@dataclass(frozen=True)
class Installed:
    wheel: Path
    bin: Path
    outside: Path

    def env(self, **extra: str) -> dict[str, str]:
        # Nothing of the checkout on the path: only what the wheel installed.
        drop = ("PYTHONPATH", "VIRTUAL_ENV", "ACTIVECAMPAIGN_API_URL", "ACTIVECAMPAIGN_API_KEY")
        env = {k: v for k, v in os.environ.items() if k not in drop}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        return {**env, **extra}

    def contract(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / "ac-segments"), "contract", "--max-examples", "10", *args],
            cwd=self.outside,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=600,
        )


def _uv(*args: str | Path) -> None:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    subprocess.run([str(UV), *map(str, args)], cwd=ROOT, env=env, check=True, timeout=600)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    work = tmp_path_factory.mktemp("contract-wheel")
    _uv("build", "--wheel", "-o", work / "dist", "--quiet")
    (wheel,) = (work / "dist").glob("*.whl")
    venv = work / "venv"
    _uv("venv", "--quiet", "--python", sys.executable, venv)
    _uv("pip", "install", "--quiet", "--python", venv / "bin" / "python", f"{wheel}[contract]")
    outside = work / "elsewhere"
    outside.mkdir()
    yield Installed(wheel, venv / "bin", outside)


def test_the_wheel_ships_the_effective_document_unchanged(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        shipped = wheel.read(SHIPPED_DOCUMENT)
        names = set(wheel.namelist())
    assert shipped == (ROOT / "openapi" / "segments.json").read_bytes()
    assert "activecampaign_segments/contract/schemathesis.toml" in names


def test_passes_against_the_bundled_simulator(installed: Installed) -> None:
    result = installed.contract()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "contract: testing the bundled simulator" in output
    # The document and settings came from the installed package, not from the checkout.
    assert f"Loaded specification from {installed.bin.parent}" in output
    assert str(ROOT) not in output
    assert (installed.outside / "reports" / "contract-junit.xml").is_file()
    drift = json.loads((installed.outside / "reports" / "drift.json").read_text())
    assert drift == {"items": []}


def test_fails_against_a_simulator_with_a_quirk(installed: Installed, tmp_path: Path) -> None:
    command = [str(installed.bin / "python"), "-m", "activecampaign_simulator"]
    command += ["--host", "127.0.0.1", "--port", "0", "--rps", "0", "--quirk", "page_51"]
    with simulator_process(command=command) as server:
        result = installed.contract(
            "--junit",
            str(tmp_path / "junit.xml"),
            ACTIVECAMPAIGN_API_URL=server.base_url,
            ACTIVECAMPAIGN_API_KEY=server.token,
        )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "at_most_50_records" in output
    assert "contract: FAILED" in output
