"""``ac-segments history`` against the loopback simulator, compared with its ground truth."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from activecampaign_simulator.dataset import BURST_SEGMENT, EMPTY_SEGMENT, SAME_SECOND_SEGMENT
from activecampaign_simulator.server import SimulatorHandle

from tests.cli.helpers import (
    BIG_HISTORY,
    BIG_SEGMENT,
    HISTORY,
    TOKEN,
    invoke,
    jsonl,
    parse_ts,
    truth,
)

# Written out independently of the CLI's own list: the columns are part of its contract.
FIELDS = [
    "segment_id",
    "recorded_at",
    "epoch",
    "result_count",
    "active_result_count",
    "segment_hash",
    "run_id",
    "updating_run_id",
]


def _check_same(rows: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    """Same records in the same order (newest first), field by field."""
    assert [r["run_id"] for r in rows] == [e["run_id"] for e in expected]
    for row, exp in zip(rows, expected, strict=True):
        assert row["segment_id"] == exp["segment_id"]
        assert parse_ts(row["recorded_at"]) == parse_ts(exp["timestamp"])
        assert int(row["epoch"]) == int(parse_ts(exp["timestamp"]).timestamp())
        assert int(row["result_count"]) == exp["result_count"]
        assert row["segment_hash"] == exp["segment_hash"]
        active = row["active_result_count"]
        assert (None if active in (None, "") else int(active)) == exp.get("active_result_count")
        updating = row["updating_run_id"]
        assert (updating or None) == exp.get("count_updating_with_runid")


def test_piped_output_defaults_to_jsonl_with_every_record(sim: SimulatorHandle) -> None:
    result = invoke(["history", "1"], base_url=sim.base_url)
    assert result.exit_code == 0, result.stderr
    rows = jsonl(result.stdout)
    assert len(rows) == HISTORY
    assert list(rows[0]) == FIELDS
    _check_same(rows, truth(sim, "1"))
    # Not a terminal: no progress display, nothing on stderr at all.
    assert result.stderr == ""


def test_csv_parses_with_the_csv_module(sim: SimulatorHandle) -> None:
    result = invoke(["history", "2", "--format", "csv"], base_url=sim.base_url)
    assert result.exit_code == 0, result.stderr
    reader = csv.DictReader(io.StringIO(result.stdout))
    assert reader.fieldnames == FIELDS
    _check_same(list(reader), truth(sim, "2"))


def test_json_is_one_valid_array(sim: SimulatorHandle) -> None:
    result = invoke(["history", "3", "--format", "json"], base_url=sim.base_url)
    assert result.exit_code == 0, result.stderr
    _check_same(json.loads(result.stdout), truth(sim, "3"))


def test_table_has_a_header_a_rule_and_one_line_per_record(sim: SimulatorHandle) -> None:
    result = invoke(["history", "1", "--format", "table"], base_url=sim.base_url)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "segment",
        "recorded_at",
        "(UTC)",
        "result_count",
        "active_count",
        "segment_hash",
        "updating",
    ]
    assert set(lines[1].replace(" ", "")) == {"─"}
    body = lines[2:]
    expected = truth(sim, "1")
    assert len(body) == len(expected)
    first = expected[0]
    assert body[0].startswith("1 ")
    assert f"{first['result_count']:,}" in body[0]
    assert first["segment_hash"][:12] in body[0]
    assert first["timestamp"][:10] in body[0]


def test_the_lossless_boundary_second_comes_through(sim: SimulatorHandle) -> None:
    result = invoke(["history", SAME_SECOND_SEGMENT], base_url=sim.base_url)
    assert result.exit_code == 0, result.stderr
    _check_same(jsonl(result.stdout), truth(sim, SAME_SECOND_SEGMENT))


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("jsonl", ""), ("json", "[]\n"), ("csv", ",".join(FIELDS) + "\n")],
)
def test_an_empty_history_is_well_formed(sim: SimulatorHandle, fmt: str, expected: str) -> None:
    result = invoke(["history", EMPTY_SEGMENT, "--format", fmt], base_url=sim.base_url)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected


def test_limit_stops_after_the_newest_records(sim: SimulatorHandle) -> None:
    result = invoke(["history", "1", "--limit", "7"], base_url=sim.base_url)
    assert result.exit_code == 0, result.stderr
    _check_same(jsonl(result.stdout), truth(sim, "1")[:7])
    zero = invoke(["history", "1", "--limit", "0", "--format", "json"], base_url=sim.base_url)
    assert zero.exit_code == 0
    assert json.loads(zero.stdout) == []


def _bounded(
    expected: list[dict[str, Any]], since: dt.datetime, until: dt.datetime
) -> list[dict[str, Any]]:
    return [r for r in expected if since <= parse_ts(r["timestamp"]) < until]


def test_since_is_inclusive_and_until_exclusive(sim: SimulatorHandle) -> None:
    expected = truth(sim, "2")
    # Bounds exactly on records (millisecond timestamps, as the API writes them).
    since, until = expected[110]["timestamp"], expected[15]["timestamp"]
    result = invoke(
        ["history", "2", "--since", since, "--until", until, "--format", "csv"],
        base_url=sim.base_url,
    )
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    bounded = _bounded(expected, parse_ts(since), parse_ts(until))
    assert rows[-1]["run_id"] == expected[110]["run_id"]  # since: inclusive
    assert expected[15]["run_id"] not in {r["run_id"] for r in rows}  # until: exclusive
    _check_same(rows, bounded)


def test_bounds_as_dates_and_epoch_seconds(sim: SimulatorHandle) -> None:
    expected = truth(sim, "3")
    # A date (midnight UTC) for since, epoch seconds for until.
    since_day = expected[80]["timestamp"][:10]
    until_epoch = int(parse_ts(expected[30]["timestamp"]).timestamp())
    result = invoke(
        ["history", "3", "--since", since_day, "--until", str(until_epoch)],
        base_url=sim.base_url,
    )
    assert result.exit_code == 0, result.stderr
    bounded = _bounded(
        expected,
        dt.datetime.fromisoformat(since_day).replace(tzinfo=dt.UTC),
        dt.datetime.fromtimestamp(until_epoch, tz=dt.UTC),
    )
    assert bounded, "the chosen bounds must select something"
    assert len(bounded) < len(expected)
    _check_same(jsonl(result.stdout), bounded)


def test_output_file_takes_its_format_from_the_suffix(sim: SimulatorHandle, tmp_path: Path) -> None:
    target = tmp_path / "history.csv"
    result = invoke(["history", "1", "--output", str(target)], base_url=sim.base_url)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    _check_same(rows, truth(sim, "1"))
    # The temporary file was renamed, not left behind.
    assert [p.name for p in tmp_path.iterdir()] == ["history.csv"]


def test_a_reader_that_stops_early_is_not_an_error(sim: SimulatorHandle) -> None:
    # `ac-segments history big | head -1`: the pipe closes under the writer.
    command = [sys.executable, "-m", "activecampaign_segments.cli"]
    command += ["--base-url", sim.base_url, "--rps", "0", "history", BIG_SEGMENT]
    env = {**os.environ, "ACTIVECAMPAIGN_API_KEY": TOKEN}
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = json.loads(proc.stdout.readline())
    assert first["segment_id"] == BIG_SEGMENT
    proc.stdout.close()
    stderr = proc.stderr.read()
    assert proc.wait(timeout=60) == 0, stderr
    assert stderr == ""


def test_a_long_history_streams_completely(sim: SimulatorHandle) -> None:
    result = invoke(["history", BIG_SEGMENT, "--format", "csv"], base_url=sim.base_url)
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == BIG_HISTORY
    _check_same(rows, truth(sim, BIG_SEGMENT))


def test_the_clients_warning_reaches_stderr_as_one_line(sim: SimulatorHandle) -> None:
    # 60 records in one second: more than a page, so the client warns and goes on.
    result = invoke(["history", BURST_SEGMENT], base_url=sim.base_url)
    assert result.exit_code == 0, result.stderr
    (warning,) = result.stderr.splitlines()
    assert warning.startswith("WARNING: ")
    assert BURST_SEGMENT in warning
    assert len(jsonl(result.stdout)) > 0
