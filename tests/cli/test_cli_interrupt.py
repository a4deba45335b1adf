"""Ctrl-C and failures in the middle of a stream: whole records or nothing, exit 130.

KeyboardInterrupt is raised from inside the record iterator, where a real Ctrl-C lands
while the client waits for the next page.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from activecampaign_segments import CountRecord, SegmentsClient
from activecampaign_segments.cli.errors import ExitCode
from activecampaign_simulator.server import SimulatorHandle

from tests.cli.helpers import invoke, jsonl, truth

WHOLE = 7  # records that get out before the interrupt


def _stop_after(monkeypatch: pytest.MonkeyPatch, count: int, exc: BaseException) -> None:
    original: Callable[..., Iterator[CountRecord]] = SegmentsClient.count_history

    def interrupted(self: SegmentsClient, *args: Any, **kwargs: Any) -> Iterator[CountRecord]:
        for index, record in enumerate(original(self, *args, **kwargs)):
            if index == count:
                raise exc
            yield record

    monkeypatch.setattr(SegmentsClient, "count_history", interrupted)


def _parse(fmt: str, text: str) -> list[dict[str, Any]]:
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(text)))
    if fmt == "json":
        parsed: list[dict[str, Any]] = json.loads(text)
        return parsed
    return jsonl(text)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "json"])
def test_ctrl_c_keeps_the_whole_records_in_the_output_file(
    sim: SimulatorHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    _stop_after(monkeypatch, WHOLE, KeyboardInterrupt())
    target = tmp_path / f"out.{fmt}"
    target.write_text("an older export\n", encoding="utf-8")
    result = invoke(["history", "1", "--output", str(target)], base_url=sim.base_url)
    assert result.exit_code == ExitCode.INTERRUPTED == 130
    text = target.read_text(encoding="utf-8")
    assert text.endswith("\n")  # never cut mid-line
    rows = _parse(fmt, text)  # still parses: the JSON array was closed
    assert [r["run_id"] for r in rows] == [r["run_id"] for r in truth(sim, "1")[:WHOLE]]
    assert f"{WHOLE} whole records written to {target}" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary left


def test_ctrl_c_on_stdout_leaves_whole_lines(
    sim: SimulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stop_after(monkeypatch, WHOLE, KeyboardInterrupt())
    result = invoke(["history", "1"], base_url=sim.base_url)
    assert result.exit_code == 130
    assert result.stdout.endswith("\n")
    assert len(jsonl(result.stdout)) == WHOLE


def test_an_error_mid_stream_leaves_the_existing_file_untouched(
    sim: SimulatorHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stop_after(monkeypatch, WHOLE, RuntimeError("boom"))
    target = tmp_path / "out.jsonl"
    target.write_text("an older export\n", encoding="utf-8")
    result = invoke(["history", "1", "--output", str(target)], base_url=sim.base_url)
    assert result.exit_code == ExitCode.ERROR
    assert "unexpected RuntimeError: boom" in result.stderr
    assert target.read_text(encoding="utf-8") == "an older export\n"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_an_error_before_any_record_creates_no_file(sim: SimulatorHandle, tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    result = invoke(["history", "no-such-segment", "--output", str(target)], base_url=sim.base_url)
    assert result.exit_code == ExitCode.NOT_FOUND
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_during_latest_exits_130(
    sim: SimulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(self: SegmentsClient, ids: Any) -> dict[str, CountRecord]:
        raise KeyboardInterrupt

    monkeypatch.setattr(SegmentsClient, "latest_counts", interrupted)
    result = invoke(["latest", "1"], base_url=sim.base_url)
    assert result.exit_code == 130
    assert result.stderr.strip() == "interrupted"
