"""The pytest plugin as a user gets it: the built wheel, installed into fresh venvs (issue 19).

With ``[testing]``: a user's test module (``examples/user_tests``, outside ``tests/``, no
conftest) runs from a folder outside the checkout and every test passes: pytest found the
fixtures through the ``pytest11`` entry point alone. With pytest but without the extra:
pytest still starts, tests that use no fixture pass, and a test that uses one fails with the
one-line missing-extra message (no traceback, no ``ImportError`` of Starlette).
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.packaging.conftest import VenvFactory, run_in
from tests.packaging.test_extras import _name, _requirements

pytestmark = pytest.mark.slow

USER_TESTS = ROOT / "examples" / "user_tests"
HINT = "pip install 'activecampaign-segments[testing]'"


def _test_functions(path: Path) -> int:
    return len(re.findall(r"^(?:async )?def test_", path.read_text("utf-8"), re.MULTILINE))


def test_a_users_tests_pass_against_the_installed_wheel(
    wheel_venv: VenvFactory, tmp_path: Path
) -> None:
    venv = wheel_venv("testing")
    here = tmp_path / "user_tests"
    shutil.copytree(USER_TESTS, here)
    assert not list(here.rglob("conftest.py"))
    done = run_in(venv, ["pytest", "-p", "no:cacheprovider", "-q", "-rA"], here)
    output = done.stdout + done.stderr
    expected = _test_functions(here / "test_segment_alerts.py")
    assert expected >= 10
    assert done.returncode == 0, output
    assert f"{expected} passed" in output, output
    # The package came from the venv, not from the checkout.
    assert str(ROOT) not in output


MISSING_EXTRA_TESTS = """
import pytest
from activecampaign_segments.testing import simulated_account


def test_without_fixtures_pytest_runs_as_usual():
    assert 1 + 1 == 2


def test_the_context_manager_says_what_to_install():
    with pytest.raises(ImportError, match="activecampaign-segments\\\\[testing\\\\]"):
        with simulated_account():
            pass


def test_with_the_fixture(ac_simulator):
    ac_simulator.add_count("1", 1)
"""


def test_without_the_extra_pytest_starts_and_a_fixture_says_what_to_install(
    wheel_venv: VenvFactory, tmp_path: Path
) -> None:
    venv = wheel_venv("", f"pytest=={pytest.__version__}")
    assert run_in(venv, ["python", "-c", "import starlette"], tmp_path).returncode != 0
    (tmp_path / "test_user.py").write_text(MISSING_EXTRA_TESTS, "utf-8")
    done = run_in(venv, ["pytest", "-p", "no:cacheprovider", "-q"], tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "2 passed, 1 error" in output, output
    section = output.split("ERROR at setup of test_with_the_fixture", 1)[1].split("\n=", 1)[0]
    lines = [line for line in section.splitlines()[1:] if line.strip()]
    assert len(lines) == 1, section  # the message alone: no traceback, no exception chain
    assert HINT in lines[0] and "starlette" in lines[0], section
    assert "Traceback" not in output and "ModuleNotFoundError" not in output, output


def test_the_wheel_declares_the_extra_and_the_entry_point(built_wheel: Path) -> None:
    requirements = _requirements(built_wheel)

    def extra(name: str) -> set[str]:
        marker = re.compile(rf"extra == ['\"]{name}['\"]")
        return {_name(r) for r in requirements if marker.search(r)}

    assert {"pytest", "starlette", "uvicorn"} <= extra("testing")
    assert "pytest" in extra("all")
    with zipfile.ZipFile(built_wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt"))
        entry_points = archive.read(name).decode()
    assert "[pytest11]\nactivecampaign_segments = activecampaign_segments.testing._plugin" in (
        entry_points
    )
