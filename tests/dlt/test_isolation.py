"""dlt is an optional extra: the core package and the CLI never import it."""

from __future__ import annotations

import subprocess
import sys


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_package_and_the_cli_do_not_import_dlt() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "import activecampaign_segments, activecampaign_segments.cli as cli\n"
        "imported = 0\n"
        "for module in pkgutil.walk_packages(cli.__path__, 'activecampaign_segments.cli.'):\n"
        "    if not module.name.endswith('__main__'):  # that one runs the CLI\n"
        "        importlib.import_module(module.name)\n"
        "        imported += 1\n"
        "print(imported, sorted(m for m in sys.modules if m.split('.')[0] in ('dlt', 'duckdb')))\n"
    )
    result = _python(code)
    assert result.returncode == 0, result.stderr
    imported, dlt_modules = result.stdout.strip().split(" ", 1)
    assert int(imported) >= 8  # every CLI module (commands, output, plot, ...)
    assert dlt_modules == "[]"


def test_without_the_extra_the_import_error_says_what_to_install() -> None:
    # sys.modules[name] = None makes `import name` fail, as if it were not installed.
    code = (
        "import sys\n"
        "sys.modules['dlt'] = None\n"
        "import activecampaign_segments\n"  # the core still imports
        "import activecampaign_segments.dlt_source\n"
    )
    result = _python(code)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("ImportError: ")
    assert "pip install 'activecampaign-segments[dlt]'" in last_line
