"""Every example of README.md and docs/**/*.md runs against the bundled simulator.

One test per page, named by its path, so a broken page is named in the report.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from activecampaign_simulator.server import SimulatorHandle

from tests.conftest import ROOT
from tests.docs.collector import collect, run_page


def _pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.slow
@pytest.mark.parametrize("path", _pages(), ids=_name)
def test_page_examples_run(path: Path, docs_sim: SimulatorHandle, tmp_path: Path) -> None:
    failures = run_page(
        path, base_url=docs_sim.base_url, token=docs_sim.token, workdir=tmp_path, page=_name(path)
    )
    assert not failures, "\n\n".join(str(f) for f in failures)


def test_the_readme_and_the_client_page_have_examples_to_run() -> None:
    # A collector that silently finds nothing would pass every page.
    readme = [e for e in collect((ROOT / "README.md").read_text("utf-8"), "README.md") if e.run]
    assert any(e.kind == "python" for e in readme)
    assert any(e.kind == "console" and e.commands() for e in readme)
    client = collect((ROOT / "docs" / "client.md").read_text("utf-8"), "docs/client.md")
    assert sum(e.kind == "python" and e.run for e in client) >= 8
