"""What the server received: decoded path and query values of the request as sent."""

from __future__ import annotations

import pytest
from activecampaign_segments.contract.received import received
from activecampaign_segments.contract.semantics import BATCH, CURSOR, HISTORY

BASE = "http://127.0.0.1:8765"


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("%F1%92%92%A5L%F1%A3%B6%99%C3%89", "\U000524a5L\U00063d99\u00c9"),
        ("a%2Fb", "a/b"),  # an encoded slash is data, one segment
        ("100%25", "100%"),
        ("a%20b", "a b"),
        ("a+b", "a+b"),  # + is a plus in a path
        ("v1.2", "v1.2"),
        ("%2E%2E", ".."),  # an encoded dot segment is data, not a dot segment
    ],
)
def test_path_values_are_percent_decoded_as_utf8(raw: str, decoded: str) -> None:
    request = received(f"{BASE}/api/3/segmentsV2/{raw}/count-history/30611", CURSOR)
    assert request is not None
    assert request.path == {"segmentId": decoded, "timestamp": "30611"}


def test_a_base_url_prefix_is_allowed() -> None:
    request = received("https://h.example/proxy/api/3/segmentsV2/7/count-history", HISTORY)
    assert request is not None and request.path == {"segmentId": "7"}


@pytest.mark.parametrize(
    "url",
    [
        f"{BASE}/api/3/segmentsV2/./count-history",  # the client or server may resolve "."
        f"{BASE}/api/3/segmentsV2/../count-history",
        f"{BASE}/api/3/segmentsV2/%FF/count-history",  # not UTF-8: no string id was read
        f"{BASE}/api/3/segmentsV2/count-history",  # another operation
        f"{BASE}/api/3/segmentsV2//count-history",  # an empty id
    ],
)
def test_requests_that_cannot_be_attributed_are_not_judged(url: str) -> None:
    assert received(url, HISTORY) is None


def test_query_values_keep_every_reading_of_plus() -> None:
    request = received(f"{BASE}/api/3/segmentsV2/count-history?segmentIds=a+b%2C1", BATCH)
    assert request is not None
    assert request.query_readings("segmentIds") == {"a+b,1", "a b,1"}


def test_repeated_query_parameters_keep_every_value() -> None:
    request = received(f"{BASE}/api/3/segmentsV2/count-history?segmentIds=1&segmentIds=2", BATCH)
    assert request is not None
    assert request.query_readings("segmentIds") == {"1", "2"}
    assert request.query_readings("other") == frozenset()
