"""Tests of segment_alerts.py, offline, with the fixtures of activecampaign-segments[testing]."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from activecampaign_segments import CountRecord, RateLimitError, ServerError
from segment_alerts import nightly_report, shrunk, sizes


def test_a_drop_of_more_than_ten_percent_is_an_alert(ac_simulator, ac_client):
    ac_simulator.add_count("1", 1000)
    ac_simulator.add_count("1", 850)  # newer: -15 %
    ac_simulator.add_count("2", 1000)
    ac_simulator.add_count("2", 950)  # -5 %
    assert shrunk(ac_client, ["1", "2"]) == ["1"]


def test_a_new_definition_is_not_a_drop(ac_simulator, ac_client):
    ac_simulator.add_count("1", 1000, segment_hash="before-edit")
    ac_simulator.add_count("1", 10, segment_hash="after-edit")
    assert shrunk(ac_client, ["1"]) == []


def test_each_test_starts_with_an_empty_account(ac_simulator, ac_client):
    assert ac_client.latest_counts(["1", "2"]) == {}


def test_what_the_fixture_returns_is_what_the_client_reads(ac_simulator, ac_client):
    when = dt.datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)
    added = ac_simulator.add_count("9", 42, recorded_at=when, active_result_count=40)
    assert isinstance(added, CountRecord)
    assert added.recorded_at == when.replace(microsecond=123000)
    assert ac_client.latest_counts(["9"]) == {"9": added}
    history = ac_simulator.add_history("7", 120)  # three pages
    assert list(ac_client.count_history("7")) == history


def test_two_reads_of_the_history_are_enough(ac_simulator, ac_client):
    ac_simulator.add_history("3", 60)
    shrunk(ac_client, ["3"])
    # Only the first page was fetched: the code reads two records and stops.
    assert [(r.method, r.path, r.status) for r in ac_simulator.requests] == [
        ("GET", "/api/3/segmentsV2/3/count-history", 200)
    ]


def test_a_passing_outage_is_retried(ac_simulator, ac_client):
    ac_simulator.add_count("1", 1000)
    ac_simulator.add_count("1", 500)
    ac_simulator.fail_next(503, retry_after=0.01)
    assert shrunk(ac_client, ["1"]) == ["1"]
    assert [r.status for r in ac_simulator.requests] == [503, 200]


def test_a_lasting_outage_reaches_the_caller(ac_simulator, ac_simulator_client_once):
    ac_simulator.add_count("1", 1000)
    ac_simulator.fail_next(520, times=2, retry_after=0.01)
    with pytest.raises(ServerError):
        shrunk(ac_simulator_client_once, ["1"])


@pytest.fixture
def ac_simulator_client_once(ac_simulator):
    # A client of the user's own making: one retry only.
    with ac_simulator.client(max_retries=1) as client:
        yield client


def test_the_rate_limit_is_only_there_when_asked_for(ac_simulator):
    ac_simulator.add_count("1", 5)
    ac_simulator.set_rate_limit(1)
    with ac_simulator.client(max_retries=0) as client:
        client.latest_counts(["1"])
        with pytest.raises(RateLimitError):
            client.latest_counts(["1"])


@pytest.mark.anyio
async def test_sizes_with_the_async_client(ac_simulator, ac_async_client):
    ac_simulator.add_history("1", 75)
    expected = max(r.result_count for r in ac_simulator.add_history("2", 10))
    got = await sizes(ac_async_client, ["1", "2"])
    assert got["2"] == expected


def test_the_nightly_report_reads_the_environment(ac_env):
    ac_env.add_count("4", 1200)
    assert nightly_report(["4", "5"]) == "4: 1200\n5: unknown"


def test_the_script_in_a_subprocess_inherits_the_environment(ac_env):
    ac_env.add_count("4", 1200)
    done = subprocess.run(
        [sys.executable, "-m", "segment_alerts", "4"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
        check=True,
    )
    assert done.stdout == "4: 1200\n"
