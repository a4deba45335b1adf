"""dlt is an optional extra: the core package and the CLI never import it."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

# One child process for both checks (a Python start with the CLI's imports is slow):
# first the core and every CLI module with dlt installed, then the dlt source with
# dlt made unimportable (sys.modules[name] = None), as if the extra were not installed.
_PROBE = """
import importlib, json, pkgutil, sys
import activecampaign_segments, activecampaign_segments.cli as cli
imported = []
for module in pkgutil.walk_packages(cli.__path__, "activecampaign_segments.cli."):
    if not module.name.endswith("__main__"):  # that one runs the CLI
        importlib.import_module(module.name)
        imported.append(module.name)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("dlt", "duckdb"))
sys.modules["dlt"] = None
try:
    import activecampaign_segments.dlt_source
except ImportError as exc:
    error = f"{type(exc).__name__}: {exc}"
else:
    error = None
print(json.dumps({"cli_modules": imported, "dlt_modules": loaded, "error": error}))
"""


@pytest.fixture(scope="module")
def probe() -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def test_the_package_and_the_cli_do_not_import_dlt(probe: dict[str, Any]) -> None:
    assert len(probe["cli_modules"]) >= 8  # every CLI module (commands, output, plot, ...)
    assert probe["dlt_modules"] == []


def test_without_the_extra_the_import_error_says_what_to_install(probe: dict[str, Any]) -> None:
    assert probe["error"] is not None
    # Caught as ImportError by the probe; the shared MissingExtraError is one.
    assert probe["error"].startswith(("ImportError: ", "MissingExtraError: "))
    assert "pip install 'activecampaign-segments[dlt]'" in probe["error"]
