"""Fixtures for the dlt source: a simulator over loopback and warehouses in temp dirs.

dlt keeps state and data under ``~/.dlt`` and sends telemetry by default; every test
here points it at a temp dir and turns telemetry off, so nothing leaks out of a run.
One simulator serves the whole package (building its data and importing dlt are the
slow parts); each test loads into its own DuckDB file, on segments no other test
changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.server import SimulatorHandle, serve_in_thread

from .helpers import Warehouse

# Ids no real account would use, but the source must carry: spaces, %, +, dots, unicode.
ODD_SEGMENTS = {"spa ce": 80, "50% off": 60, "ünïcødé ✓": 55, "a+b.c": 30}


@pytest.fixture(scope="package", autouse=True)
def dlt_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """dlt's data dir in a temp dir, no telemetry, no settings from the user's ~/.dlt."""
    home = tmp_path_factory.mktemp("dlt-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
        patch.setenv("DLT_DATA_DIR", str(home / "data"))
        patch.setenv("XDG_DATA_HOME", str(home / "xdg"))
        patch.setenv("DLT_PROJECT_DIR", str(home / "project"))
        # Every name dlt would look the source's settings up under (it also tries the
        # shorter SOURCES__API_TOKEN and API_TOKEN), so only the tests' values count.
        for name in ("BASE_URL", "API_TOKEN", "REQUESTS_PER_SECOND"):
            for prefix in ("SOURCES__ACTIVECAMPAIGN_SEGMENTS__", "SOURCES__", ""):
                patch.delenv(f"{prefix}{name}", raising=False)
        yield home


@pytest.fixture(scope="package")
def sim() -> Iterator[SimulatorHandle]:
    """The bundled simulator, default data plus odd ids, no rate limit (tests count requests)."""
    config = SimulatorConfig(rps=0, extra_segments=ODD_SEGMENTS)
    with serve_in_thread(config) as handle:
        yield handle


@pytest.fixture
def warehouse(tmp_path: Path, sim: SimulatorHandle) -> Warehouse:
    """An empty DuckDB warehouse and pipeline dir of this test."""
    return Warehouse(tmp_path, sim)
