"""``make docs`` is strict: a broken link or a missing API reference fails the build.

The test builds a copy of docs/ (through ``AC_SEGMENTS_DOCS_DIR``, which mkdocs.yml reads)
with faults added, with the very command ``make docs`` runs, and asserts that the build fails
naming each fault. The clean build itself runs in ``make lint``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_a_strict_build_fails_on_a_broken_link_and_a_missing_reference(tmp_path: Path) -> None:
    # One build with two faults, to keep it quick: the broken link is on the first page (a
    # warning, which --strict turns into a failure at the end), the missing reference on the
    # reference page (an error that stops the build). Both must be named.
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs, ignore=shutil.ignore_patterns("__pycache__"))
    faults = {
        "index.md": "See [the missing page](no-such-page.md).",
        "reference/activecampaign_segments.md": "::: activecampaign_segments.NoSuchThing",
    }
    for page, fault in faults.items():
        with (docs / page).open("a", encoding="utf-8") as handle:
            handle.write("\n" + fault + "\n")
    env = dict(os.environ, AC_SEGMENTS_DOCS_DIR=str(docs), NO_MKDOCS_2_WARNING="1")
    mkdocs = Path(sys.executable).parent / "mkdocs"
    command = [str(mkdocs), "build", "--strict", "--clean", "--site-dir", str(tmp_path / "site")]
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode != 0, done.stderr[-3000:]
    assert "no-such-page.md" in done.stderr, done.stderr[-3000:]
    assert "activecampaign_segments.NoSuchThing" in done.stderr, done.stderr[-3000:]
