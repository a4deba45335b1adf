"""The update-spec drill, for real: each non-breaking change, then the test suites it touches.

    python tools/drill_update_spec.py [CASE ...] [--suites tests/spec tests/unit ...]

For each change of the drill in ``tests/spec/test_update_drill.py`` that goes through (or the
ones named), in a fresh copy of the project: make the change to the current upstream
document, run update-spec on it (``tools/update_spec.py``, what ``make update-spec`` runs:
regeneration, type check, fast checks, the ``mergeable`` line), then run the suites on the
updated copy without editing a test. Prints one line per change and exits 1 if any change
was not mergeable or broke a suite. Minutes per change: a drill to run by hand after
changing the tests' fixtures or the overlay (``make test`` runs the cheap part of the drill
and one end-to-end chain of these changes in ``tests/spec/test_update_spec_e2e.py``).
"""

from __future__ import annotations

import argparse
import copy
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The drill's changes live with its tests (not type-checked strictly): imported by name.
drill: Any = importlib.import_module("tests.spec.test_update_drill")

COPIED = ("openapi", "tools", "generated", "wrapper", "simulator", "tests", "pyproject.toml")
# What the suites read besides: `make -n` (tests/contract), the docs and the README.
EXTRA = ("Makefile", "mk", "uv.lock", "docs", "README.md", "mkdocs.yml", "bench", ".github")
SUITES = ("tests/spec", "tests/unit", "tests/clientside", "tests/contract")


def _copy(into: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", ".generate-*")
    for name in (*COPIED, *EXTRA):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, into / name, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, into / name)


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    paths = os.pathsep.join(str(root / p) for p in ("generated", "wrapper", "simulator"))
    env = {**os.environ, "PYTHONPATH": paths, "MYPY_CACHE_DIR": str(root / ".mypy_cache")}
    return subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, check=False)


def run_case(case: Any, suites: list[str]) -> tuple[bool, str]:
    """(passed, one line) for one drill change."""
    with tempfile.TemporaryDirectory(prefix=f"drill-{case.name}-") as tmp:
        root = Path(tmp) / "project"
        _copy(root)
        if (ROOT / ".mypy_cache").is_dir():
            shutil.copytree(ROOT / ".mypy_cache", root / ".mypy_cache")
        doc = copy.deepcopy(drill.UPSTREAM)
        case.change(doc)
        spec = Path(tmp) / "published.json"
        spec.write_text(json.dumps(doc), encoding="utf-8")
        update = _run(root, sys.executable, "tools/update_spec.py", str(spec), "--root", str(root))
        verdict = (update.stdout.strip().splitlines() or ["(no output)"])[-1]
        if update.returncode != 0:
            return False, f"{case.name}: update-spec exit {update.returncode}: {verdict}"
        tests = _run(
            root, sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:cacheprovider",
            "-m", "not slow", *suites,
        )  # fmt: skip
        summary = (tests.stdout.strip().splitlines() or ["(no output)"])[-1].strip("= ")
        if tests.returncode != 0:
            failed = [line for line in tests.stdout.splitlines() if line.startswith("FAILED")]
            return False, f"{case.name}: {verdict}; {' '.join(suites)}: {summary}; {failed[:3]}"
        return True, f"{case.name}: {verdict}; {' '.join(suites)}: {summary}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "cases", nargs="*", help="drill change names (default: all that go through)"
    )
    parser.add_argument("--suites", nargs="+", default=list(SUITES))
    args = parser.parse_args(argv)
    cases = [d for d in drill.DRILL if not d.breaking and (not args.cases or d.name in args.cases)]
    ok = True
    for case in cases:
        passed, line = run_case(case, args.suites)
        ok &= passed
        print(("PASS " if passed else "FAIL ") + line, flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
