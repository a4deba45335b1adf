"""Errors through the clients (sync and async alike): statuses, bodies, transport failures."""

from __future__ import annotations

import json

import httpx
import pytest
from activecampaign_segments import (
    ActiveCampaignError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    ServerError,
)

from tests.documented import OPTIONAL_ATTRIBUTES as OPTIONAL
from tests.documented import REQUIRED_ATTRIBUTES

from .fakes import FakeApi, body, history, record, respond

OPERATIONS = {
    "history": lambda api: api.history("42"),
    "page": lambda api: api.page("42", before=1_700_000_000),
    "latest": lambda api: api.latest(["42"]),
}

STATUS_CLASSES = [
    (400, BadRequestError),
    (401, AuthenticationError),
    (403, PermissionDeniedError),
    (404, NotFoundError),
    (429, RateLimitError),
    (500, ServerError),
    (502, ServerError),
    (503, ServerError),
    (504, ServerError),
    (520, ServerError),  # the generated code crashes on HTTPStatus(520)
    (527, ServerError),
    (599, ServerError),
    (301, APIStatusError),
    (302, APIStatusError),
    (304, APIStatusError),
    (307, APIStatusError),
    (201, APIStatusError),
    (204, APIStatusError),
    (405, APIStatusError),
    (418, APIStatusError),
]

ERROR_BODIES = {
    "json errors": {"json": {"errors": [{"title": "Nope", "detail": "segment is gone"}]}},
    "html": {"content": b"<html><body>502 Bad Gateway</body></html>"},
    "empty": {"content": b""},
    "json list": {"json": [1, 2, 3]},
    "errors not a list": {"json": {"errors": "x"}},
    "not utf-8": {"content": b"\xff\xfe\x00garbage"},
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@pytest.mark.parametrize(("status", "cls"), STATUS_CLASSES)
def test_every_status_maps_to_its_exception(connect, operation, status, cls):
    handler = respond(status, json={"errors": [{"title": "Nope", "detail": "why not"}]})
    with pytest.raises(APIStatusError) as info:
        OPERATIONS[operation](connect(handler))
    assert type(info.value) is cls
    assert info.value.status_code == status
    assert info.value.response.status_code == status
    assert str(status) in str(info.value)


@pytest.mark.parametrize("name", sorted(ERROR_BODIES))
@pytest.mark.parametrize("status", [400, 404, 429, 500, 520])
def test_error_bodies_of_any_shape_never_crash(connect, name, status):
    with pytest.raises(APIStatusError) as info:
        connect(respond(status, **ERROR_BODIES[name])).history("42")
    assert info.value.status_code == status
    expected = [{"title": "Nope", "detail": "segment is gone"}] if name == "json errors" else []
    assert info.value.errors == expected
    if name == "json errors":
        assert "segment is gone" in str(info.value)


def test_redirects_are_not_followed(connect):
    fake = FakeApi({"42": history("42", 3)})

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "elsewhere.example":
            return fake(request)  # would answer, with the token, if the client followed
        return httpx.Response(302, headers={"Location": "https://elsewhere.example/x"})

    with pytest.raises(APIStatusError) as info:
        connect(handler).history("42")
    assert type(info.value) is APIStatusError
    assert info.value.status_code == 302
    assert "not followed" in str(info.value)
    assert fake.requests == []


@pytest.mark.parametrize(
    ("exc", "cls"),
    [
        (httpx.ConnectError("connection refused"), APIConnectionError),
        (httpx.ReadError("connection reset by peer"), APIConnectionError),
        (httpx.RemoteProtocolError("peer closed connection"), APIConnectionError),
        (httpx.ReadTimeout("timed out"), APITimeoutError),
        (httpx.ConnectTimeout("timed out"), APITimeoutError),
        (httpx.PoolTimeout("timed out"), APITimeoutError),
    ],
)
def test_transport_failures_map_to_connection_errors(connect, exc, cls):
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    with pytest.raises(APIConnectionError) as info:
        connect(handler).history("42")
    assert type(info.value) is cls
    assert isinstance(info.value.__cause__, httpx.TransportError)


def valid(**overrides):
    return record("42", 1_700_000_000_000, "run-x", **overrides)


def without(name: str):
    attributes = valid()
    del attributes[name]
    return attributes


def page_of(*attributes) -> bytes:
    """A body whose first record is fine, so the bad one is at index 1."""
    return json.dumps(body([record("42", 1_700_000_500_000, "run-ok"), *attributes])).encode()


def with_item(item) -> bytes:
    return json.dumps({"data": [body([valid()])["data"][0], item]}).encode()


MALFORMED = {
    "not json": (b"this is not json", "body"),
    "html": (b"<html>oops</html>", "body"),
    "truncated": (b'{"data": [{"type": "Segm', "body"),
    "not utf-8": (b"\xff\xfe\xfa", "body"),
    "deeply nested": (b"[" * 100_000 + b"]" * 100_000, "body"),
    "json list": (b"[]", "body"),
    "json string": (b'"data"', "body"),
    "data missing": (b'{"errors": []}', "data"),
    "data an object": (b'{"data": {}}', "data"),
    "data a string": (b'{"data": "abc"}', "data"),
    "data null": (b'{"data": null}', "data"),
    "item a number": (with_item(1), "data[1]"),
    "item a string": (with_item("abc"), "data[1]"),
    "attributes a string": (
        with_item({"type": "SegmentCountHistory", "id": "1", "attributes": "x"}),
        "data[1].attributes",
    ),
    "attributes missing": (
        with_item({"type": "SegmentCountHistory", "id": "1"}),
        "data[1].attributes",
    ),
    "id missing": (with_item({"type": "SegmentCountHistory", "attributes": valid()}), "data[1].id"),
    "id a number": (
        with_item({"type": "SegmentCountHistory", "id": 1, "attributes": valid()}),
        "data[1].id",
    ),
    "type missing": (with_item({"id": "1", "attributes": valid()}), "data[1].type"),
    "wrong type": (
        with_item({"type": "Other", "id": "1", "attributes": valid()}),
        "data[1].type",
    ),
    "errors a string": (b'{"data": [], "errors": "x"}', "errors"),
    "result_count 1.5": (page_of(valid(result_count=1.5)), "data[1].attributes.result_count"),
    "result_count string": (page_of(valid(result_count="7")), "data[1].attributes.result_count"),
    "result_count bool": (page_of(valid(result_count=True)), "data[1].attributes.result_count"),
    "result_count negative": (
        page_of(valid(result_count=-3)),
        "data[1].attributes.result_count",
    ),
    "result_count null": (page_of(valid(result_count=None)), "data[1].attributes.result_count"),
    "result_count NaN": (
        page_of(valid(result_count=float("nan"))),
        "data[1].attributes.result_count",
    ),
    "active 2.5": (
        page_of(valid(active_result_count=2.5)),
        "data[1].attributes.active_result_count",
    ),
    "segment_id int": (page_of(valid(segment_id=42)), "data[1].attributes.segment_id"),
    "segment_id other": (page_of(valid(segment_id="43")), "data[1].attributes.segment_id"),
    "run_id null": (page_of(valid(run_id=None)), "data[1].attributes.run_id"),
    "segment_hash list": (page_of(valid(segment_hash=[])), "data[1].attributes.segment_hash"),
    "updating int": (
        page_of(valid(count_updating_with_runid=5)),
        "data[1].attributes.count_updating_with_runid",
    ),
    "timestamp words": (page_of(valid(timestamp="yesterday")), "data[1].attributes.timestamp"),
    "timestamp int": (page_of(valid(timestamp=1_700_000_000)), "data[1].attributes.timestamp"),
    "timestamp overflows": (
        page_of(valid(timestamp="9999-12-31T23:59:59.000-05:00")),
        "data[1].attributes.timestamp",
    ),
    "timestamp naive": (
        page_of(valid(timestamp="2023-11-14T22:13:20.000")),
        "data[1].attributes.timestamp",
    ),
    **{
        f"{name} missing": (page_of(without(name)), f"data[1].attributes.{name}")
        for name in REQUIRED_ATTRIBUTES  # as the current document says
    },
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_200_bodies_name_the_field(connect, name):
    content, field = MALFORMED[name]
    handler = respond(200, content=content, headers={"Content-Type": "application/json"})
    with pytest.raises(ResponseValidationError) as info:
        connect(handler).history("42")
    assert info.value.field == field
    assert field in str(info.value)


def test_lenient_where_the_spec_allows(connect):
    # Whole floats are counts; optional fields may be absent or null; offsets are normalised.
    # Which of the modelled fields are optional is the current document's say.
    optional = [n for n in ("active_result_count", "count_updating_with_runid") if n in OPTIONAL]
    absent = valid(run_id="run-z")
    for name in optional:
        absent.pop(name, None)
    attributes = [
        valid(
            result_count=7.0,
            timestamp="2023-11-15T00:13:20.5+02:00",
            run_id="run-y",
            **dict.fromkeys(optional),
        ),
        absent,
    ]
    handler = respond(200, json=body(attributes))
    first, second = connect(handler).history("42")
    assert first.result_count == 7
    assert first.recorded_at.isoformat() == "2023-11-14T22:13:20.500000+00:00"
    if "active_result_count" in optional:
        assert first.active_result_count is None and second.active_result_count is None
    if "count_updating_with_runid" in optional:
        assert first.updating_run_id is None and second.updating_run_id is None


def test_every_error_is_an_active_campaign_error():
    for cls in (
        APIConnectionError,
        APITimeoutError,
        APIStatusError,
        ResponseValidationError,
        BadRequestError,
        ServerError,
    ):
        assert issubclass(cls, ActiveCampaignError)
    assert issubclass(APITimeoutError, APIConnectionError)
    assert not issubclass(ActiveCampaignError, ValueError)


def test_error_messages_show_the_path_as_sent(connect):
    with pytest.raises(NotFoundError) as info:
        connect(FakeApi()).history("a/b")
    assert "GET /api/3/segmentsV2/a%2Fb/count-history" in str(info.value)
