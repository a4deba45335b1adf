"""``ac-segments history`` and ``plot`` fetch through the windowed walk (cli/fetch.py).

Over loopback, against an in-thread simulator with a little latency and no rate limit,
so the windows really run at once: the output is the page-after-page walk's, record
for record, and ``--limit`` closes the walk (no worker thread outlives the command).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from activecampaign_segments import SegmentsClient
from activecampaign_segments.cli import app
from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.server import SimulatorHandle, serve_in_thread
from typer.testing import CliRunner

TOKEN = "cli-windows-token"


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorHandle]:
    config = SimulatorConfig(
        segments=1, history=10, rps=0, latency=0.01, token=TOKEN, extra_segments={"big": 1_200}
    )
    with serve_in_thread(config) as handle:
        yield handle


def run(sim: SimulatorHandle, *args: str) -> Any:
    env = {"ACTIVECAMPAIGN_API_URL": sim.base_url, "ACTIVECAMPAIGN_API_KEY": TOKEN}
    result = CliRunner().invoke(app, ["--rps", "0", *args], env=env)
    assert result.exit_code == 0, result.stderr
    return result


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The keyword arguments of every ``SegmentsClient.count_history`` call."""
    seen: list[dict[str, Any]] = []
    original = SegmentsClient.count_history

    def spy(self: SegmentsClient, *args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SegmentsClient, "count_history", spy)
    return seen


def test_history_walks_windows_and_prints_the_sequential_records(
    sim: SimulatorHandle, calls: list[dict[str, Any]]
) -> None:
    result = run(sim, "history", "big", "--format", "jsonl")
    got = [json.loads(line)["run_id"] for line in result.stdout.splitlines()]
    assert got == [r["run_id"] for r in sim.store.records("big")]
    assert calls and calls[0]["concurrency"] == 4


def test_history_limit_closes_the_walk(sim: SimulatorHandle, calls: list[dict[str, Any]]) -> None:
    before = {t.ident for t in threading.enumerate()}
    result = run(sim, "history", "big", "--format", "jsonl", "--limit", "60")
    got = [json.loads(line)["run_id"] for line in result.stdout.splitlines()]
    assert got == [r["run_id"] for r in sim.store.records("big")][:60]
    assert {t.ident for t in threading.enumerate()} <= before  # no window thread left
    assert calls[0]["concurrency"] == 4


def test_plot_walks_windows(
    sim: SimulatorHandle, calls: list[dict[str, Any]], tmp_path: Any
) -> None:
    target = tmp_path / "big.png"
    result = run(sim, "plot", "big", "--output", str(target))
    assert "1,200 counts" in result.stdout
    assert target.stat().st_size > 0
    assert calls[0]["concurrency"] == 4
