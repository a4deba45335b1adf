"""The test examples of docs/testing.md and the README run as the tests they are.

``tests/docs`` executes every python block of every page, but a block that defines test
functions only defines them there. Here each such block becomes a test module of its own and
pytest runs them all (in process, the fixtures found through the entry point as a reader's
pytest finds them): every test function a page shows must run and pass.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.docs.collector import collect

pytest_plugins = ["pytester"]

_TEST_FUNCTION = re.compile(r"^\s*(?:async\s+)?def (test_\w+)", re.MULTILINE)
PAGES = [ROOT / "docs" / "testing.md", ROOT / "README.md"]


def _test_blocks(path: Path) -> list[str]:
    page = path.relative_to(ROOT).as_posix()
    examples = collect(path.read_text("utf-8"), page)
    return [
        e.code for e in examples if e.kind == "python" and e.run and _TEST_FUNCTION.search(e.code)
    ]


def test_the_pages_show_tests_of_every_fixture() -> None:
    code = "\n".join(block for path in PAGES for block in _test_blocks(path))
    for fixture in ("ac_simulator", "ac_client", "ac_async_client", "ac_env"):
        assert f"{fixture}" in code, fixture
    assert "unittest.TestCase" in code


def test_every_test_the_pages_show_passes(pytester: pytest.Pytester) -> None:
    expected: list[str] = []
    for path in PAGES:
        for number, block in enumerate(_test_blocks(path), 1):
            name = f"test_{path.stem.lower()}_{number}"
            pytester.makepyfile(**{name: block})
            expected += _TEST_FUNCTION.findall(block)
    assert len(expected) >= 10
    result = pytester.runpytest("-p", "no:cacheprovider", "-rA")
    result.assert_outcomes(passed=len(expected))
