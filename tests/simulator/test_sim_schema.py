"""Every answer matches the effective spec's schema; random requests never crash it.

The contract suite (Schemathesis) judges the simulator from outside; these are the
simulator's own, faster guard: bodies validated against ``openapi/segments.json``
with jsonschema, and Hypothesis throwing arbitrary paths, ids, cursors and queries.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from activecampaign_simulator.dataset import (
    BURST_SEGMENT,
    EMPTY_SEGMENT,
    EXACTLY_50_SEGMENT,
    FORBIDDEN_SEGMENT,
    SAME_SECOND_SEGMENT,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

from tests.conftest import ROOT
from tests.simulator.conftest import API, AUTH, QUIET_TESTCLIENT, MakeClient

pytestmark = QUIET_TESTCLIENT

SPEC = json.loads((ROOT / "openapi" / "segments.json").read_text())


def validator(name: str) -> Draft202012Validator:
    schema = {"$ref": f"#/components/schemas/{name}", "components": SPEC["components"]}
    return Draft202012Validator(schema)


HISTORY = validator("SegmentCountHistoryResponseRootDO")
ERRORS = validator("ErrorResponseRootDO")
SEGMENTS = ["1", "2", EMPTY_SEGMENT, EXACTLY_50_SEGMENT, SAME_SECOND_SEGMENT, BURST_SEGMENT]


def documented_statuses(path_template: str) -> set[int]:
    responses = SPEC["paths"][path_template]["get"]["responses"]
    return {int(code) for code in responses}


def check(response: Any, documented: set[int]) -> None:
    assert response.status_code in documented, (response.status_code, response.text[:200])
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    if response.status_code == 200:
        HISTORY.validate(body)
        assert set(body) == {"data"}
    else:
        ERRORS.validate(body)
        assert set(body) == {"errors"} and body["errors"]


@pytest.fixture(scope="module")
def app_client() -> TestClient:
    from activecampaign_simulator.app import create_app
    from activecampaign_simulator.config import SimulatorConfig

    return TestClient(
        create_app(SimulatorConfig(segments=3, history=120, rps=0)),
        raise_server_exceptions=False,
    )


def test_segment_pages_match_the_schema(app_client: TestClient) -> None:
    documented = documented_statuses("/api/3/segmentsV2/{segmentId}/count-history")
    timed = documented_statuses("/api/3/segmentsV2/{segmentId}/count-history/{timestamp}")
    for segment_id in [*SEGMENTS, FORBIDDEN_SEGMENT, "nope"]:
        response = app_client.get(f"{API}/{segment_id}/count-history", headers=AUTH)
        check(response, documented)
        for cursor in ["0", "1717000000", "99999999999", "x", "-3"]:
            response = app_client.get(f"{API}/{segment_id}/count-history/{cursor}", headers=AUTH)
            check(response, timed)
    check(app_client.get(f"{API}/1/count-history"), documented)


def test_batch_answers_match_the_schema(app_client: TestClient) -> None:
    documented = documented_statuses("/api/3/segmentsV2/count-history")
    for ids in [",".join(SEGMENTS), "nope", FORBIDDEN_SEGMENT, "", "a,,b", ",".join("x" * 101)]:
        response = app_client.get(f"{API}/count-history", params={"segmentIds": ids}, headers=AUTH)
        check(response, documented)


def test_429_matches_the_schema_and_header(make_client: MakeClient) -> None:
    client = make_client(rps=1, clock=lambda: 0.0)
    client.get(f"{API}/1/count-history", headers=AUTH)
    response = client.get(f"{API}/1/count-history", headers=AUTH)
    check(response, {429})
    assert int(response.headers["retry-after"]) >= 1


SETTINGS = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@SETTINGS
@given(segment_id=st.text(min_size=1, max_size=40), cursor=st.text(max_size=25))
def test_random_ids_and_cursors_answer_documented_json(
    app_client: TestClient, segment_id: str, cursor: str
) -> None:
    quoted = quote(segment_id, safe="")
    for path in [f"{API}/{quoted}/count-history", f"{API}/{quoted}/count-history/{quote(cursor)}"]:
        response = app_client.get(path, headers=AUTH)
        # "." and ".." are dot-segments: the HTTP client resolves them before sending,
        # so those requests reach another route; whatever route, the answer is JSON.
        assert response.status_code in {200, 400, 403, 404}
        check(response, {200, 400, 403, 404})


@SETTINGS
@given(ids=st.lists(st.text(max_size=12), max_size=130), raw=st.text(max_size=60))
def test_random_batch_queries_answer_documented_json(
    app_client: TestClient, ids: list[str], raw: str
) -> None:
    for value in [",".join(ids), raw]:
        response = app_client.get(
            f"{API}/count-history", params={"segmentIds": value}, headers=AUTH
        )
        check(response, {200, 400})
        parts = value.split(",")
        valid = 1 <= len(parts) <= 100 and all(parts)
        assert response.status_code == (200 if valid else 400)


@SETTINGS
@given(
    path=st.text(alphabet=st.characters(codec="utf-8"), max_size=80),
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]),
)
def test_arbitrary_paths_and_methods_never_answer_5xx_or_text(
    app_client: TestClient, path: str, method: str
) -> None:
    response = app_client.request(method, "/" + quote(path, safe="/"), headers=AUTH)
    assert response.status_code < 500
    assert response.headers["content-type"] == "application/json"
    if method != "HEAD":
        (HISTORY if response.status_code == 200 else ERRORS).validate(response.json())
