"""mkdocs hook: the benchmark figures of the docs, read from ``bench/results.json`` at build time.

Pages write ``[[bench: NAME]]`` where a figure goes (NAME is the ``name`` of an entry of
``bench/results.json``): it becomes the value, formatted for its unit. ``[[bench-goal: NAME]]``
becomes "goal <= 1.05: met" (or "NOT met"), ``[[bench-machine]]`` the machine the figures come
from, and ``[[bench-table]]`` a table of every entry in the file, so figures that new benchmarks
add appear without editing any page. A NAME the file does not hold fails the build: a page can
never show a figure that the last ``make bench`` did not produce.

The README's headline figures use the same formatting (``format_value``), checked by
``tests/docs/test_readme_figures.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

RESULTS = Path("bench") / "results.json"
_MARKER = re.compile(r"\[\[(bench|bench-goal|bench-machine|bench-table)(?::\s*(.+?))?\]\]")


def load_results(root: Path) -> list[dict[str, Any]]:
    """The entries of ``bench/results.json`` under ``root``, in file order."""
    data = json.loads((root / RESULTS).read_text(encoding="utf-8"))
    if not isinstance(data, list) or not all(
        isinstance(e, dict) and {"name", "value", "unit"} <= e.keys() for e in data
    ):
        raise ValueError(f"{RESULTS} is not a list of {{name, value, unit, ...}} objects")
    return data


def format_value(value: float, unit: str) -> str:
    """A figure as the docs print it: ratios to 3 decimals, seconds and MiB to 2, counts whole."""
    if unit == "x":
        return f"{value:.3f}"
    if unit in ("s", "MiB"):
        return f"{value:.2f}"
    if float(value).is_integer() or abs(value) >= 100:
        return f"{round(value):,}"
    return f"{value:.3g}"


def _goal(entry: dict[str, Any]) -> str:
    goal = entry.get("goal") or ""
    if not goal:
        return ""
    met = entry.get("met")
    return f"goal {goal}: " + ("met" if met else "NOT met")


def _table(entries: list[dict[str, Any]]) -> str:
    lines = ["| figure | value | unit | goal |", "|---|---:|---|---|"]
    for entry in entries:
        value = format_value(entry["value"], entry["unit"])
        name = str(entry["name"]).replace("|", "\\|")
        lines.append(f"| {name} | {value} | {entry['unit']} | {_goal(entry)} |")
    return "\n".join(lines)


def render(markdown: str, entries: list[dict[str, Any]], page: str = "page") -> str:
    """Replace every bench marker of ``markdown``; an unknown figure name is an error."""
    by_name = {str(e["name"]): e for e in entries}

    def replace(match: re.Match[str]) -> str:
        kind, name = match.group(1), (match.group(2) or "").strip()
        if kind == "bench-table":
            return _table(entries)
        if kind == "bench-machine":
            return ", ".join(dict.fromkeys(str(e.get("machine", "")) for e in entries))
        if name not in by_name:
            raise PluginError(
                f"{page}: [[{kind}: {name}]] names no figure of {RESULTS} "
                "(re-run `make bench`, or fix the name)"
            )
        entry = by_name[name]
        return format_value(entry["value"], entry["unit"]) if kind == "bench" else _goal(entry)

    rendered = _MARKER.sub(replace, markdown)
    if "[[bench" in rendered:
        line = rendered[: rendered.index("[[bench")].count("\n") + 1
        raise PluginError(f"{page}: a bench marker near line {line} is malformed (one line each)")
    return rendered


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """mkdocs event: fill the bench markers of a page that has any."""
    if "[[bench" not in markdown:
        return markdown
    root = Path(config["config_file_path"]).resolve().parent
    return render(markdown, load_results(root), page.file.src_path)


def on_serve(server: Any, config: Any, builder: Any) -> Any:
    """mkdocs event: ``mkdocs serve`` rebuilds when the benchmark figures change."""
    server.watch(str(Path(config["config_file_path"]).resolve().parent / RESULTS))
    return server
