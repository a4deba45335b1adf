"""Benchmark figures: one record per measured value, a printed table and ``results.json``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    """One measured value. ``goal`` is a readable bound ("<= 1.05") or "" for context figures;
    ``met`` is None when there is no goal, else whether the value meets it."""

    name: str
    value: float
    unit: str
    goal: str = ""
    met: bool | None = None
    machine: str = ""


def check(value: float, op: str, bound: float) -> tuple[str, bool]:
    """The goal text and whether ``value op bound`` holds, for op in <=, <, >=, ==."""
    ops = {
        "<=": value <= bound,
        "<": value < bound,
        ">=": value >= bound,
        "==": value == bound,
    }
    return f"{op} {bound:g}", ops[op]


def _fmt(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e12:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3f}"


def table(title: str, figures: Sequence[Figure]) -> str:
    """A plain-text table of ``figures`` (plain text so it pastes into docs and CI logs)."""
    rows = [("figure", "value", "unit", "goal", "met")]
    for f in figures:
        met = "" if f.met is None else ("yes" if f.met else "NOT MET")
        rows.append((f.name, _fmt(f.value), f.unit, f.goal, met))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = [title, "-" * len(title)]
    for n, r in enumerate(rows):
        cells = [r[0].ljust(widths[0]), r[1].rjust(widths[1])]
        cells += [r[i].ljust(widths[i]) for i in (2, 3, 4)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_json(path: Path, figures: Iterable[Figure]) -> None:
    """Write the figures as a JSON list of {name, value, unit, goal, met, machine} objects."""
    data = [asdict(f) for f in figures]
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
