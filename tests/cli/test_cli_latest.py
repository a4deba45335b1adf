"""``ac-segments latest``: ids from arguments or stdin, unknown ids reported, not fatal."""

from __future__ import annotations

import csv
import io
import json

from activecampaign_simulator.dataset import EMPTY_SEGMENT, FORBIDDEN_SEGMENT
from activecampaign_simulator.server import SimulatorHandle

from tests.cli.helpers import SEGMENTS, invoke, jsonl, truth


def _newest_run_ids(sim: SimulatorHandle, ids: list[str]) -> list[str]:
    return [truth(sim, i)[0]["run_id"] for i in ids]


def test_latest_gives_the_newest_record_of_each_segment_in_order(sim: SimulatorHandle) -> None:
    ids = ["3", "1", "2"]
    result = invoke(["latest", *ids], base_url=sim.base_url)
    assert result.exit_code == 0, result.stderr
    rows = jsonl(result.stdout)
    assert [r["segment_id"] for r in rows] == ids
    assert [r["run_id"] for r in rows] == _newest_run_ids(sim, ids)
    assert [r["result_count"] for r in rows] == [truth(sim, i)[0]["result_count"] for i in ids]
    assert result.stderr == ""


def test_ids_from_stdin_with_a_dash(sim: SimulatorHandle) -> None:
    result = invoke(
        ["latest", "-", "--format", "csv"], base_url=sim.base_url, stdin="1\n2 3\n\n2\n"
    )
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    # Duplicates (2 twice) are asked and printed once.
    assert [r["segment_id"] for r in rows] == list(SEGMENTS)
    assert [r["run_id"] for r in rows] == _newest_run_ids(sim, list(SEGMENTS))


def test_unknown_ids_are_reported_on_stderr_without_failing(sim: SimulatorHandle) -> None:
    args = ["latest", "1", "no-such-segment", EMPTY_SEGMENT, FORBIDDEN_SEGMENT, "2"]
    result = invoke(args, base_url=sim.base_url)
    assert result.exit_code == 0, result.stderr
    assert [r["segment_id"] for r in jsonl(result.stdout)] == ["1", "2"]
    assert len(result.stderr.splitlines()) == 1
    for missing in ("no-such-segment", EMPTY_SEGMENT, FORBIDDEN_SEGMENT):
        assert missing in result.stderr


def test_no_ids_at_all_is_a_usage_error(sim: SimulatorHandle) -> None:
    result = invoke(["latest", "-"], base_url=sim.base_url, stdin="  \n")
    assert result.exit_code == 2
    assert "no segment ids" in result.stderr


def test_latest_as_a_json_array(sim: SimulatorHandle) -> None:
    result = invoke(["latest", "1", "2", "--format", "json"], base_url=sim.base_url)
    assert result.exit_code == 0, result.stderr
    assert [r["segment_id"] for r in json.loads(result.stdout)] == ["1", "2"]
