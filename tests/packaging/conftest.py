"""The built wheel, and fresh virtual environments with it installed (with or without extras).

These tests judge the package as a user gets it from ``pip install``, not the checkout:
``uv build`` makes the wheel, ``uv pip install`` puts it into a new venv (fast: from uv's
cache), and the commands run there from a folder outside the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT


def _uv() -> str:
    local = ROOT / ".tools" / "bin" / "uv"  # the Makefile's pinned uv
    found = str(local) if local.exists() else shutil.which("uv")
    if found is None:
        pytest.fail("uv is needed to build and install the wheel: run `make install` first")
    return found


def _run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=600, **kwargs)


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built once per session from the working tree."""
    out = tmp_path_factory.mktemp("wheel")
    done = _run([_uv(), "build", "--wheel", "--out-dir", str(out), str(ROOT)])
    assert done.returncode == 0, done.stderr
    wheels = list(out.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


VenvFactory = Callable[..., Path]


@pytest.fixture(scope="session")
def wheel_venv(
    built_wheel: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[VenvFactory]:
    """``wheel_venv("")`` or ``wheel_venv("cli")``: a venv with the wheel (and those extras).

    More requirements may follow, e.g. ``wheel_venv("", "pytest==9.2.0")``: the wheel
    beside a library its extras would not bring.
    """
    made: dict[tuple[str, ...], Path] = {}

    def make(extras: str, *also: str) -> Path:
        key = (extras, *also)
        if key not in made:
            name = "-".join([extras or "bare", *(a.split("=")[0] for a in also)])
            venv = tmp_path_factory.mktemp(f"venv-{name}")
            python = sys.executable
            done = _run([_uv(), "venv", "--quiet", "--python", python, str(venv)])
            assert done.returncode == 0, done.stderr
            target = f"{built_wheel}[{extras}]" if extras else str(built_wheel)
            install = [_uv(), "pip", "install", "--quiet", "--python", str(venv), target, *also]
            done = _run(install)
            assert done.returncode == 0, done.stderr
            made[key] = venv
        return made[key]

    yield make


def run_in(
    venv: Path, args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command of ``venv/bin`` from ``cwd`` with a clean environment."""
    clean = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(cwd), "LANG": "C.UTF-8"}
    return subprocess.run(
        [str(venv / "bin" / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**clean, **(env or {})},
        timeout=120,
    )
