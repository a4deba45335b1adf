"""A slim core install: the client needs httpx and attrs only; everything else is an extra.

Checked on the built wheel, installed into fresh virtual environments: its declared
dependencies, what importing the client pulls in, and the one-line message (exit 11,
no traceback, no request) of each command whose extra is missing.
"""

from __future__ import annotations

import email.parser
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.packaging.conftest import VenvFactory, run_in

pytestmark = pytest.mark.slow

OPTIONAL = {"starlette", "uvicorn", "typer", "rich", "schemathesis", "matplotlib", "dlt", "duckdb"}
EXTRA_EXIT = 11  # ExitCode.MISSING_EXTRA


def _requirements(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = email.parser.Parser().parsestr(archive.read(name).decode())
    return metadata.get_all("Requires-Dist") or []


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9_.-]+", requirement)
    assert match, requirement
    return match.group(0).lower().replace("_", "-")


def test_bare_wheel_depends_on_httpx_and_attrs_only(built_wheel: Path) -> None:
    requirements = _requirements(built_wheel)
    core = {_name(r) for r in requirements if "extra ==" not in r}
    assert core == {"httpx", "attrs"}
    by_extra: dict[str, set[str]] = {}
    for requirement in requirements:
        if "extra ==" in requirement:
            extra = requirement.split("extra ==")[1].strip().strip("'\"")
            by_extra.setdefault(extra, set()).add(_name(requirement))
    assert {"cli", "simulator", "plot", "contract", "dlt", "all"} <= set(by_extra)
    assert {"typer", "rich"} <= by_extra["cli"]
    assert {"starlette", "uvicorn"} <= by_extra["simulator"]
    assert "schemathesis" in by_extra["contract"]
    assert {"dlt", "duckdb"} <= by_extra["dlt"]


def test_wheel_ships_type_information(built_wheel: Path) -> None:
    with zipfile.ZipFile(built_wheel) as archive:
        names = set(archive.namelist())
    assert "activecampaign_segments/py.typed" in names
    assert "activecampaign_segments_api/py.typed" in names


def _imported(python: Path, statement: str, cwd: Path) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, cwd=cwd, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return {name.split(".")[0] for name in done.stdout.split()}


def test_bare_install_imports_the_client(wheel_venv: VenvFactory, tmp_path: Path) -> None:
    venv = wheel_venv("")
    code = (
        "from activecampaign_segments import SegmentsClient, AsyncSegmentsClient; "
        "c = SegmentsClient('https://acct.api-us1.com', 'x' * 64); c.close()"
    )
    done = run_in(venv, ["python", "-c", code], tmp_path)
    assert done.returncode == 0, done.stderr
    for module in sorted(OPTIONAL):
        done = run_in(venv, ["python", "-c", f"import {module}"], tmp_path)
        assert done.returncode != 0, f"{module} is installed by the bare wheel"


@pytest.mark.parametrize(
    "statement",
    [
        "import activecampaign_segments",
        "import activecampaign_segments.cli",
        "from activecampaign_segments import SegmentsClient, AsyncSegmentsClient",
    ],
)
def test_importing_the_client_imports_no_optional_library(statement: str, tmp_path: Path) -> None:
    # In the development venv, where every extra IS installed: none may be imported anyway.
    # (httpx itself imports rich and click when they are installed, for its own `httpx`
    # command: what `import httpx` brings is httpx's doing, not ours.)
    python = Path(sys.executable)
    ours = _imported(python, statement, tmp_path) - _imported(python, "import httpx", tmp_path)
    assert ours & OPTIONAL == set()


def _one_line_error(done: subprocess.CompletedProcess[str], extra: str) -> None:
    assert done.returncode == EXTRA_EXIT, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"pip install 'activecampaign-segments[{extra}]'" in lines[0]
    assert "Traceback" not in done.stderr


def test_cli_without_its_extra_says_what_to_install(
    wheel_venv: VenvFactory, tmp_path: Path
) -> None:
    venv = wheel_venv("")
    _one_line_error(run_in(venv, ["ac-segments", "--help"], tmp_path), "cli")
    _one_line_error(run_in(venv, ["python", "-m", "activecampaign_segments.cli"], tmp_path), "cli")
    _one_line_error(
        run_in(venv, ["python", "-m", "activecampaign_simulator"], tmp_path), "simulator"
    )


def test_commands_without_their_extra_say_what_to_install(
    wheel_venv: VenvFactory, tmp_path: Path
) -> None:
    venv = wheel_venv("cli")
    assert run_in(venv, ["ac-segments", "--help"], tmp_path).returncode == 0
    _one_line_error(run_in(venv, ["ac-segments", "simulate"], tmp_path), "simulator")
    # Port 9 on loopback refuses connections: a request made before the check would end
    # with the network error's exit code (8), not the missing extra's.
    env = {"ACTIVECAMPAIGN_API_URL": "http://127.0.0.1:9", "ACTIVECAMPAIGN_API_KEY": "k" * 64}
    done = run_in(venv, ["ac-segments", "plot", "4", "-o", "out.png"], tmp_path, env)
    _one_line_error(done, "plot")
    assert not (tmp_path / "out.png").exists()


def test_the_checkout_is_not_what_is_tested(built_wheel: Path) -> None:
    # The venvs import the installed wheel: no path of the checkout is in the wheel's files.
    with zipfile.ZipFile(built_wheel) as archive:
        assert not any(str(ROOT) in name for name in archive.namelist())
