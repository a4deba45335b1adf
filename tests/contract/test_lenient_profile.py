"""The simulator's `lenient` profile: the other side of every silence in the document."""

from __future__ import annotations

import warnings
from typing import Any
from urllib.parse import quote

import pytest
from activecampaign_simulator.app import create_app
from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.lenient import php_int
from activecampaign_simulator.server import build_parser, config_from_args
from starlette.testclient import TestClient

API = "/api/3/segmentsV2"
AUTH = {"Api-Token": "sim-token"}


@pytest.fixture(scope="module")
def lenient() -> TestClient:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return TestClient(create_app(SimulatorConfig(rps=0, profile="lenient")))


def data(client: TestClient, path: str) -> list[dict[str, Any]]:
    response = client.get(path, headers=AUTH)
    assert response.status_code == 200, response.text
    records: list[dict[str, Any]] = response.json()["data"]
    return records


def test_an_unknown_numeric_segment_is_200_with_no_records(lenient: TestClient) -> None:
    assert data(lenient, f"{API}/99999/count-history") == []


@pytest.mark.parametrize(
    "segment_id", ["\U000524a5L\U00063d99\u00c9", "a b", "100%", "x+y", "v1.2"]
)
def test_any_other_id_has_a_deterministic_history(lenient: TestClient, segment_id: str) -> None:

    path = f"{API}/{quote(segment_id, safe='')}/count-history"
    first = data(lenient, path)
    assert first and {r["attributes"]["segment_id"] for r in first} == {segment_id}
    assert data(lenient, path) == first
    # The next page continues strictly before the last record's second.
    cursor = int(first[-1]["id"])
    assert all(int(r["id"]) < cursor for r in data(lenient, f"{path}/{cursor}"))


@pytest.mark.parametrize(
    ("raw", "read"),
    [("17", 17), (" 17abc", 17), ("abc", 0), ("-5", -5), ("9223372036854775808", 2**63 - 1)],
)
def test_cursors_are_read_like_phps_int_cast(raw: str, read: int) -> None:
    assert php_int(raw) == read


def test_malformed_and_out_of_range_cursors_are_answered(lenient: TestClient) -> None:
    assert data(lenient, f"{API}/4/count-history/abc") == []
    assert len(data(lenient, f"{API}/4/count-history/9223372036854775808")) == 50


def test_plus_in_the_batch_query_is_a_plus(lenient: TestClient) -> None:
    records = data(lenient, f"{API}/count-history?segmentIds=x+y,4&unknown=1")
    assert {r["attributes"]["segment_id"] for r in records} == {"x+y", "4"}


def test_the_profile_is_a_validated_setting_and_a_command_line_option() -> None:
    assert SimulatorConfig().profile == "strict"
    with pytest.raises(ValueError, match="unknown profile 'loose'"):
        SimulatorConfig(profile="loose")
    args = build_parser().parse_args(["--profile", "lenient"])
    assert config_from_args(args).profile == "lenient"
