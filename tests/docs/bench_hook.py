"""The docs' benchmark hook (docs/hooks/bench_results.py), imported by path: it is not a package."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from tests.conftest import ROOT

HOOK_PATH = ROOT / "docs" / "hooks" / "bench_results.py"


def load_hook() -> ModuleType:
    """The hook module, loaded from its file."""
    spec = importlib.util.spec_from_file_location("docs_bench_results", HOOK_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
