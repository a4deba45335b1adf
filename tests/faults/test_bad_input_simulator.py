"""Bad input straight to the simulator: a documented 4xx or a correct answer, never a 5xx.

Raw httpx requests (no client-side validation in the way) with random and hostile segment ids,
timestamps and batch parameters. After each batch the simulator still answers normally.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.dataset import FORBIDDEN_SEGMENT
from activecampaign_simulator.server import SimulatorHandle, serve_in_thread
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PREFIX = "/api/3/segmentsV2"
INT64_MAX = 2**63 - 1
HYPOTHESIS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorHandle]:
    with serve_in_thread(SimulatorConfig(segments=5, history=120, rps=0)) as handle:
        yield handle


@pytest.fixture(scope="module")
def http(sim: SimulatorHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.base_url, headers={"Api-Token": sim.token}) as client:
        yield client


def _assert_healthy(http: httpx.Client) -> None:
    response = http.get(f"{PREFIX}/1/count-history")
    assert response.status_code == 200
    assert len(response.json()["data"]) == 50


def _expected_for_id(sim: SimulatorHandle, segment_id: str) -> set[int]:
    if "/" in segment_id:
        # Sent as %2F, "/" stays inside the one id (the simulator routes on the raw path, as
        # ActiveCampaign does), and no segment id holds one: never another segment's page.
        return {404}
    if segment_id == FORBIDDEN_SEGMENT:
        return {403}
    if segment_id in sim.store.segment_ids():
        return {200}
    return {404}


def _segment(segment_id: str) -> str:
    """One path segment: quote() leaves dots alone, and httpx would resolve "." and ".."."""
    return quote(segment_id, safe="").replace(".", "%2E")


def _check_error_body(response: httpx.Response) -> None:
    if response.status_code >= 400:
        errors = response.json()["errors"]
        assert errors and errors[0]["status"] == str(response.status_code)


@HYPOTHESIS
@given(segment_id=st.text(min_size=1, max_size=60))
def test_random_segment_ids(sim: SimulatorHandle, http: httpx.Client, segment_id: str) -> None:
    response = http.get(f"{PREFIX}/{_segment(segment_id)}/count-history")
    assert response.status_code in _expected_for_id(sim, segment_id)
    _check_error_body(response)
    if response.status_code == 404:
        # The segment lookup answered for the whole id, not the router for a split path.
        detail = response.json()["errors"][0]["detail"]
        assert detail == f"No segment with id {json.dumps(segment_id)}.", detail


@HYPOTHESIS
@given(
    timestamp=st.one_of(
        st.text(min_size=1, max_size=30),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
    )
)
def test_random_timestamps(http: httpx.Client, timestamp: str) -> None:
    response = http.get(f"{PREFIX}/1/count-history/{_segment(timestamp)}")
    # A "/" (sent as %2F) stays inside the one timestamp segment: not a number, so 400.
    if timestamp.isascii() and timestamp.isdigit() and int(timestamp) <= INT64_MAX:
        assert response.status_code == 200
        assert all(int(r["id"]) < int(timestamp) for r in response.json()["data"])
    else:
        assert response.status_code == 400, timestamp
    _check_error_body(response)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"{PREFIX}/{'9' * 5000}/count-history", 404),
        (f"{PREFIX}/%2E%2E/count-history", 404),
        (f"{PREFIX}/%252E%252E/count-history", 404),
        (f"{PREFIX}/%00/count-history", 404),
        (f"{PREFIX}/%ZZ/count-history", 404),
        # An encoded "/" is data inside one id, never a path into another operation.
        (f"{PREFIX}/1%2Fcount-history%2F1717000000", 404),
        (f"{PREFIX}/1%2Fcount-history%2F1717000000/count-history", 404),
        (f"{PREFIX}/1%2Fcount-history/count-history/1717000000", 404),
        (f"{PREFIX}/0%2Fcount-history/count-history", 404),
        (f"{PREFIX}/1/count-history/1717000000%2F1", 400),
        (f"{PREFIX}/1/count-history/-1", 400),
        (f"{PREFIX}/1/count-history/1.5", 400),
        (f"{PREFIX}/1/count-history/1e9", 400),
        (f"{PREFIX}/1/count-history/{INT64_MAX + 1}", 400),
        (f"{PREFIX}/1/count-history/{'9' * 4000}", 400),
        (f"{PREFIX}/1/count-history/0", 200),
        (f"{PREFIX}/count-history", 400),
        (f"{PREFIX}/count-history?segmentIds=", 400),
        (f"{PREFIX}/count-history?segmentIds=,,,", 400),
        (f"{PREFIX}/count-history?segmentIds=1,,2", 400),
        (f"{PREFIX}/count-history?segmentIds=" + ",".join(map(str, range(101))), 400),
        (f"{PREFIX}/count-history?segmentIds=%E2%9C%93,%2E%2E,1", 200),
    ],
)
def test_hostile_paths(http: httpx.Client, path: str, expected: int) -> None:
    response = http.get(path)
    assert response.status_code == expected, response.text[:200]
    _check_error_body(response)
    _assert_healthy(http)


def test_batch_of_unknown_and_known_ids_returns_only_known(http: httpx.Client) -> None:
    ids = ["1", "2", "..", "\u2713", "9" * 200, "1"]
    response = http.get(f"{PREFIX}/count-history", params={"segmentIds": ",".join(ids)})
    assert response.status_code == 200
    assert sorted(r["attributes"]["segment_id"] for r in response.json()["data"]) == ["1", "2"]


def test_still_healthy_after_everything(http: httpx.Client) -> None:
    _assert_healthy(http)
