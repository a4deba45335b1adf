"""Routing on the raw path: a percent-encoded "/" or ".." is data inside one segment id.

ActiveCampaign (and RFC 3986) treat ``%2F`` inside a path segment as part of the id. The
simulator once routed on the decoded path, so ``1%2Fcount-history%2F1717000000`` answered
segment 1's cursor page with 200 and ``0%2Fcount-history`` a 400; these pin the fix.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from activecampaign_simulator.app import create_app
from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.routing import raw_segments
from starlette.testclient import TestClient
from starlette.types import Message

from tests.simulator.conftest import API, AUTH, QUIET_TESTCLIENT, TOKEN, MakeClient
from tests.simulator.test_sim_api import assert_error, history

pytestmark = QUIET_TESTCLIENT

UNICODE_ID = "s\u00e9gment-\u2713-\U0001f600"


def _detail(response: Any) -> str:
    detail: str = response.json()["errors"][0]["detail"]
    return detail


@pytest.mark.parametrize(
    ("encoded", "segment_id"),
    [
        ("1%2Fcount-history", "1/count-history"),
        ("1%2fcount-history", "1/count-history"),
        ("1%2Fcount-history%2F1717000000", "1/count-history/1717000000"),
        ("0%2Fcount-history", "0/count-history"),
        ("%2F1", "/1"),
        ("1%2F", "1/"),
        ("%2E%2E", ".."),
        ("%2e%2e", ".."),
        ("%2E", "."),
        ("%2E%2E%2F%2E%2E%2Fetc", "../../etc"),
    ],
)
def test_encoded_slash_or_dots_are_one_unknown_segment_id(
    client: TestClient, encoded: str, segment_id: str
) -> None:
    for suffix in ("", "/1717000000"):
        response = client.get(f"{API}/{encoded}/count-history{suffix}", headers=AUTH)
        assert_error(response, 404)
        # The segment lookup answered, for the whole id: not the router, not segment 1.
        assert _detail(response) == f'No segment with id "{segment_id}".'


def test_encoded_slash_id_is_never_another_segments_page(client: TestClient) -> None:
    # The exact request the fault suite found answering segment 1's records with 200.
    response = client.get(f"{API}/1%2Fcount-history%2F1717000000/count-history", headers=AUTH)
    assert_error(response, 404)
    assert "data" not in response.json()


def test_encoded_slash_in_timestamp_is_one_bad_timestamp(client: TestClient) -> None:
    response = client.get(f"{API}/1/count-history/1717000000%2F5", headers=AUTH)
    assert_error(response, 400)
    assert '"1717000000/5"' in _detail(response)


@pytest.mark.parametrize(
    "path",
    [
        f"{API}/1/count%2Dhistory%2F5",
        f"{API}/1%2Fcount-history",
        f"{API}%2F1%2Fcount-history",
        f"{API}/%FF/count-history",
        f"{API}/1/count-history/%C3",
    ],
)
def test_paths_matching_no_operation_raw_are_404_json(client: TestClient, path: str) -> None:
    # %FF and a lone %C3 are no UTF-8: no route matches, still a JSON 404.
    assert_error(client.get(path, headers=AUTH), 404)


def test_normal_and_needlessly_encoded_ids_still_match(client: TestClient) -> None:
    page = history(client, "1")
    assert len(page) == 50
    assert all(r["attributes"]["segment_id"] == "1" for r in page)
    # %31 is "1" and %63 is "c": unreserved characters, equivalent encoded or not.
    assert history(client, "%31") == page
    encoded_literal = client.get(f"{API}/1/%63ount-history", headers=AUTH)
    assert encoded_literal.status_code == 200
    assert encoded_literal.json()["data"] == page
    cursor = int(page[9]["id"])
    older = history(client, "1", cursor)
    assert older[:5] == [r for r in page if int(r["id"]) < cursor][:5]
    assert all(int(r["id"]) < cursor for r in older)


def test_percent_encoded_unicode_id_matches_its_segment(make_client: MakeClient) -> None:
    client = make_client(extra_segments={UNICODE_ID: 7})
    encoded = quote(UNICODE_ID, safe="")
    assert encoded.isascii() and "%C3%A9" in encoded
    page = history(client, encoded)
    assert len(page) == 7
    assert {r["attributes"]["segment_id"] for r in page} == {UNICODE_ID}
    older = history(client, encoded, int(page[2]["id"]))
    assert older and all(int(r["id"]) < int(page[2]["id"]) for r in older)
    batch = client.get(f"{API}/count-history", params={"segmentIds": UNICODE_ID}, headers=AUTH)
    assert [r["attributes"]["segment_id"] for r in batch.json()["data"]] == [UNICODE_ID]


def test_unknown_unicode_id_is_404_json(client: TestClient) -> None:
    response = client.get(f"{API}/{quote(UNICODE_ID, safe='')}/count-history", headers=AUTH)
    assert_error(response, 404)
    assert _detail(response) == f"No segment with id {json.dumps(UNICODE_ID)}."


async def _raw_get(raw_path: bytes) -> tuple[int, bytes]:
    """One GET straight into the ASGI app, with a raw path no HTTP client would send."""
    app = create_app(SimulatorConfig(segments=2, history=60, rps=0))
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/ignored-by-the-routes",
        "raw_path": raw_path,
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"test"), (b"api-token", TOKEN.encode())],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body


@pytest.mark.anyio
async def test_routes_read_raw_path_and_never_resolve_dot_segments() -> None:
    status, _ = await _raw_get(b"/api/3/segmentsV2/1/count-history")
    assert status == 200
    # A resolving server would answer segment 1's page for this; it is no operation.
    status, body = await _raw_get(b"/api/3/segmentsV2/1/count-history/../count-history")
    assert (status, b'"status":"404"' in body) == (404, True)
    status, body = await _raw_get(b"/api/3/segmentsV2/../count-history")
    assert status == 404 and b'No segment with id \\"..\\"' in body


def test_raw_segments_without_raw_path_falls_back_to_the_decoded_path() -> None:
    assert raw_segments({"path": "/a/b%/\u2713"}) == ["", "a", "b%", "\u2713"]
    assert raw_segments({"path": "/x", "raw_path": b"/a%2Fb/c"}) == ["", "a/b", "c"]
    assert raw_segments({"path": "/x", "raw_path": b"/%FF"}) is None
