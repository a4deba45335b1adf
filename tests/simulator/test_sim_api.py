"""The three operations' documented semantics, through the in-process app."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from activecampaign_simulator.dataset import (
    EMPTY_SEGMENT,
    EXACTLY_50_SEGMENT,
    FORBIDDEN_SEGMENT,
    SAME_SECOND_SEGMENT,
)
from starlette.testclient import TestClient

from tests.simulator.conftest import API, AUTH, QUIET_TESTCLIENT, MakeClient

pytestmark = QUIET_TESTCLIENT

REQUIRED = {"timestamp", "segment_id", "segment_hash", "run_id", "result_count"}
OPTIONAL = {"active_result_count", "count_updating_with_runid"}


def epoch_of(iso: str) -> int:
    assert iso.endswith("Z")
    return int(datetime.fromisoformat(iso[:-1]).replace(tzinfo=UTC).timestamp())


def history(client: TestClient, segment_id: str, before: int | None = None) -> list[dict]:
    path = f"{API}/{segment_id}/count-history" + ("" if before is None else f"/{before}")
    response = client.get(path, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()) == {"data"}
    return response.json()["data"]


def assert_error(response, status: int) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    errors = response.json()["errors"]
    assert len(errors) == 1
    assert errors[0]["status"] == str(status)
    assert errors[0]["title"] and errors[0]["detail"]
    assert "Traceback" not in response.text


def test_first_page_is_50_newest_records_newest_first(client: TestClient) -> None:
    truth = client.app.state.store.records("1")
    page = history(client, "1")
    assert [r["attributes"] for r in page] == truth[:50]
    stamps = [r["attributes"]["timestamp"] for r in page]
    assert stamps == sorted(stamps, reverse=True)


def test_resource_shape_id_type_and_timestamp_format(client: TestClient) -> None:
    for record in history(client, "2"):
        assert set(record) == {"id", "type", "attributes"}
        assert record["type"] == "SegmentCountHistory"
        attributes = record["attributes"]
        assert REQUIRED <= set(attributes) <= REQUIRED | OPTIONAL
        assert record["id"] == str(epoch_of(attributes["timestamp"]))
        assert len(attributes["timestamp"]) == len("2024-03-01T12:00:00.123Z")
        assert isinstance(attributes["result_count"], int)
        assert attributes["segment_id"] == "2"


def test_cursor_returns_records_strictly_before_that_second(client: TestClient) -> None:
    truth = client.app.state.store.records("1")
    cursor = epoch_of(truth[10]["timestamp"])
    page = history(client, "1", cursor)
    expected = [r for r in truth if epoch_of(r["timestamp"]) < cursor][:50]
    assert [r["attributes"] for r in page] == expected
    assert all(int(r["id"]) < cursor for r in page)


def test_walking_the_cursor_ends_with_an_empty_page(client: TestClient) -> None:
    cursor = None
    seen = 0
    for _ in range(10):
        page = history(client, "3", cursor)
        if not page:
            break
        seen += len(page)
        cursor = int(page[-1]["id"])
    else:
        pytest.fail("pagination did not end")
    # Records sharing a cursor's second are skipped by this naive walk: at most all.
    assert 0 < seen <= 120


def test_cursor_zero_and_huge_cursor(client: TestClient) -> None:
    assert history(client, "1", 0) == []
    assert len(history(client, "1", 2**63 - 1)) == 50


@pytest.mark.parametrize(
    # Non-ASCII digits on purpose: int() would accept them, the API must not.
    "timestamp",
    ["abc", "-1", "1.5", "1e3", "%20", "+5", "0x10", "٣", str(2**63), "１"],  # noqa: RUF001
)
def test_bad_timestamp_is_400_with_errors(client: TestClient, timestamp: str) -> None:
    assert_error(client.get(f"{API}/1/count-history/{timestamp}", headers=AUTH), 400)


def test_unknown_segment_is_404_on_both_forms(client: TestClient) -> None:
    assert_error(client.get(f"{API}/nope/count-history", headers=AUTH), 404)
    assert_error(client.get(f"{API}/nope/count-history/5", headers=AUTH), 404)


def test_forbidden_segment_is_403(client: TestClient) -> None:
    assert_error(client.get(f"{API}/{FORBIDDEN_SEGMENT}/count-history", headers=AUTH), 403)
    assert_error(client.get(f"{API}/{FORBIDDEN_SEGMENT}/count-history/9", headers=AUTH), 403)


def test_empty_and_exactly_50_segments(client: TestClient) -> None:
    assert history(client, EMPTY_SEGMENT) == []
    page = history(client, EXACTLY_50_SEGMENT)
    assert len(page) == 50
    assert history(client, EXACTLY_50_SEGMENT, int(page[-1]["id"])) == []


def test_same_second_straddles_the_page_boundary(client: TestClient) -> None:
    page = history(client, SAME_SECOND_SEGMENT)
    boundary = page[-1]["id"]
    assert [r["id"] for r in page[-3:]] == [boundary] * 3
    assert page[-4]["id"] != boundary
    truth = client.app.state.store.records(SAME_SECOND_SEGMENT)
    later = [r for r in truth[50:] if str(epoch_of(r["timestamp"])) == boundary]
    assert len(later) == 3  # the strict cursor cannot reach these three


# --- auth -----------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Api-Token": ""},
        {"Api-Token": "sim-toke"},
        {"Api-Token": "sim-token "},
        {"Api-Token": "SIM-TOKEN"},
        {"Authorization": "Bearer sim-token"},
        {"Api-Token": b"sim-token\xe9"},
    ],
)
def test_missing_or_wrong_token_is_401(client: TestClient, headers: dict) -> None:
    for path in [
        f"{API}/1/count-history",
        f"{API}/1/count-history/5",
        f"{API}/count-history?segmentIds=1",
        f"{API}/nope/count-history",
    ]:
        assert_error(client.get(path, headers=headers), 401)


def test_token_comparison_uses_compare_digest(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hmac

    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert client.get(f"{API}/1/count-history", headers=AUTH).status_code == 200
    assert client.get(f"{API}/1/count-history", headers={"Api-Token": "x"}).status_code == 401
    assert calls == [(b"sim-token", b"sim-token"), (b"x", b"sim-token")]


def test_custom_token(make_client: MakeClient) -> None:
    client = make_client(token="s3cret")
    assert client.get(f"{API}/1/count-history", headers=AUTH).status_code == 401
    ok = client.get(f"{API}/1/count-history", headers={"Api-Token": "s3cret"})
    assert ok.status_code == 200


# --- batch form -------------------------------------------------------------


def batch(client: TestClient, ids: str) -> list[dict]:
    response = client.get(f"{API}/count-history", params={"segmentIds": ids}, headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_batch_returns_most_recent_per_known_id(client: TestClient) -> None:
    store = client.app.state.store
    data = batch(client, f"2,nope,1,{FORBIDDEN_SEGMENT},{EMPTY_SEGMENT},2")
    assert [r["attributes"] for r in data] == [store.records("2")[0], store.records("1")[0]]
    for record in data:
        assert record["id"] == str(epoch_of(record["attributes"]["timestamp"]))


def test_batch_of_unknown_ids_is_empty(client: TestClient) -> None:
    assert batch(client, "x,y,z") == []


def test_batch_accepts_100_ids(client: TestClient) -> None:
    ids = ["1"] + [f"u{i}" for i in range(99)]
    assert len(batch(client, ",".join(ids))) == 1


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?segmentIds=",
        "?segmentIds=1,,2",
        "?segmentIds=,1",
        "?segmentIds=1,",
        "?segmentIds=" + ",".join(str(i) for i in range(101)),
        "?segmentids=1",
        "?other=1",
    ],
)
def test_batch_bad_ids_is_400(client: TestClient, query: str) -> None:
    assert_error(client.get(f"{API}/count-history{query}", headers=AUTH), 400)


def test_unknown_query_parameters_are_ignored(client: TestClient) -> None:
    ok = client.get(f"{API}/1/count-history?limit=5&page=2", headers=AUTH)
    assert ok.status_code == 200
    assert len(ok.json()["data"]) == 50
    assert len(batch(client, "1")) == 1


# --- every other path and method: JSON ----------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/api/3/segmentsV2",
        f"{API}/",
        f"{API}/1",
        f"{API}/1/count-history/",
        f"{API}/1/count-history/5/6",
        f"{API}//count-history",
        f"{API}/a%2Fb/count-history",
        f"{API}/count-history/",
        "/api/3/segments/1/count-history",
        f"{API}/../count-history",
        f"{API}/%E2%98%83/count-history/%0A/x",
        "/favicon.ico",
    ],
)
def test_other_paths_are_404_json(client: TestClient, path: str) -> None:
    assert_error(client.get(path, headers=AUTH), 404)


@pytest.mark.parametrize(
    "segment_id", ["%0A", "x%0A", "%00", "%E2%98%83", "..", "%2E%2E", "%25", "a%20b", "9" * 400]
)
def test_odd_segment_ids_answer_json(client: TestClient, segment_id: str) -> None:
    response = client.get(f"{API}/{segment_id}/count-history", headers=AUTH)
    assert response.status_code in (404, 400)
    assert_error(response, response.status_code)


@pytest.mark.parametrize("method", ["HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize(
    "path", [f"{API}/1/count-history", f"{API}/1/count-history/5", f"{API}/count-history"]
)
def test_other_methods_are_405_json_with_allow(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path, headers=AUTH)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.headers["content-type"] == "application/json"
    if method != "HEAD":
        assert_error(response, 405)


def test_internal_error_is_500_json_without_traceback(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = client.app.state.store

    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(store, "page", explode)
    response = client.get(f"{API}/1/count-history", headers=AUTH)
    assert_error(response, 500)
    assert "secret internals" not in response.text
