"""The README's headline figures are those of bench/results.json, and the hook renders them.

The README cannot be filled in at build time like the docs pages (GitHub shows the file as it
is), so each of its figures is followed by ``<!-- bench: NAME -->`` and checked here.
"""

from __future__ import annotations

import re

import pytest
from mkdocs.exceptions import PluginError

from tests.conftest import ROOT
from tests.docs.bench_hook import load_hook

hook = load_hook()
_FIGURE = re.compile(r"([-+]?[0-9][0-9,.]*)\s*<!--\s*bench:\s*(.+?)\s*-->")


def test_every_readme_figure_is_the_last_bench_run() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    entries = {e["name"]: e for e in hook.load_results(ROOT)}
    figures = _FIGURE.findall(readme)
    assert len(figures) >= 4, "the README's performance table lost its bench markers"
    stale = []
    for shown, name in figures:
        assert name in entries, f"README names a figure bench/results.json lacks: {name!r}"
        expected = hook.format_value(entries[name]["value"], entries[name]["unit"])
        if shown != expected:
            stale.append(f"{name!r}: README says {shown}, bench/results.json says {expected}")
    assert not stale, "README figures out of date:\n" + "\n".join(stale)


def test_markers_become_values_goals_and_a_table_of_every_entry() -> None:
    entries = [
        {"name": "wall / ideal", "value": 0.98738, "unit": "x", "goal": "<= 1.05", "met": True},
        {"name": "throughput", "value": 20617.3, "unit": "records/s", "goal": "", "met": None},
        {"name": "added later", "value": 3.0, "unit": "requests", "goal": "<= 2", "met": False},
    ]
    page = "[[bench: wall / ideal]] ([[bench-goal: wall / ideal]]), [[bench: throughput]]\n\n"
    out = hook.render(page + "[[bench-table]]", entries)
    assert out.startswith("0.987 (goal <= 1.05: met), 20,617\n")
    table = out.split("\n\n", 1)[1].splitlines()
    assert table[2:] == [
        "| wall / ideal | 0.987 | x | goal <= 1.05: met |",
        "| throughput | 20,617 | records/s |  |",
        "| added later | 3 | requests | goal <= 2: NOT met |",
    ]


def test_a_figure_the_results_do_not_hold_fails_the_build() -> None:
    entries = [{"name": "known", "value": 1.0, "unit": "x"}]
    with pytest.raises(PluginError, match="renamed figure"):
        hook.render("[[bench: renamed figure]]", entries, "performance.md")
    with pytest.raises(PluginError, match="malformed"):
        hook.render("[[bench: known\nsplit over two lines]]", entries, "performance.md")
