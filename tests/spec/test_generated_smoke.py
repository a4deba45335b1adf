"""The generated client, untouched, speaks ActiveCampaign's protocol for all three operations."""

from __future__ import annotations

import httpx
import pytest
from activecampaign_segments_api import AuthenticatedClient
from activecampaign_segments_api.api.count_history import (
    get_count_history_by_segment_id,
    get_count_history_with_timestamp,
    get_recent_count_history,
)
from activecampaign_segments_api.models import SegmentCountHistoryResponseRootDO

from tests.documented import complete

BODY = {
    "data": [
        {
            "id": "1700000000",
            "type": "SegmentCountHistory",
            "attributes": complete(
                {
                    "timestamp": "2023-11-14T22:13:20.123Z",
                    "segment_id": "42",
                    "segment_hash": "abc",
                    "run_id": "run-1",
                    "result_count": 10,
                }
            ),
        }
    ]
}


@pytest.fixture
def seen() -> list[httpx.Request]:
    return []


@pytest.fixture
def client(seen: list[httpx.Request]) -> AuthenticatedClient:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=BODY)

    return AuthenticatedClient(
        base_url="https://acct.api-us1.com",
        token="tok-123",
        prefix="",
        auth_header_name="Api-Token",
        httpx_args={"transport": httpx.MockTransport(handler)},
    )


def _check(request: httpx.Request, raw_path: bytes) -> None:
    assert request.method == "GET"
    assert request.url.raw_path == raw_path
    assert request.headers["Api-Token"] == "tok-123"
    assert "Authorization" not in request.headers


def test_first_page(client: AuthenticatedClient, seen: list[httpx.Request]) -> None:
    parsed = get_count_history_by_segment_id.sync(segment_id="42", client=client)
    assert isinstance(parsed, SegmentCountHistoryResponseRootDO)
    _check(seen[0], b"/api/3/segmentsV2/42/count-history")


def test_paging_companion_formats_timestamp_as_integer(
    client: AuthenticatedClient, seen: list[httpx.Request]
) -> None:
    parsed = get_count_history_with_timestamp.sync(
        segment_id="42", timestamp=1700000000, client=client
    )
    assert isinstance(parsed, SegmentCountHistoryResponseRootDO)
    _check(seen[0], b"/api/3/segmentsV2/42/count-history/1700000000")
    assert not seen[0].url.path.endswith(".0")


def test_batch_companion(client: AuthenticatedClient, seen: list[httpx.Request]) -> None:
    parsed = get_recent_count_history.sync(segment_ids="1,2,3", client=client)
    assert isinstance(parsed, SegmentCountHistoryResponseRootDO)
    _check(seen[0], b"/api/3/segmentsV2/count-history?segmentIds=1%2C2%2C3")
    assert seen[0].url.params["segmentIds"] == "1,2,3"


def test_segment_id_is_one_path_segment(
    client: AuthenticatedClient, seen: list[httpx.Request]
) -> None:
    get_count_history_by_segment_id.sync(segment_id="a/b", client=client)
    _check(seen[0], b"/api/3/segmentsV2/a%2Fb/count-history")


def test_parsed_model_round_trips(client: AuthenticatedClient) -> None:
    parsed = get_count_history_by_segment_id.sync(segment_id="42", client=client)
    assert isinstance(parsed, SegmentCountHistoryResponseRootDO)
    assert SegmentCountHistoryResponseRootDO.from_dict(parsed.to_dict()) == parsed
    record = parsed.data[0]  # type: ignore[index]
    assert record.attributes.timestamp.tzinfo is not None
