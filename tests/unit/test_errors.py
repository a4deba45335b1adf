"""error_from_response on its own: responses of any shape, with or without a request."""

from __future__ import annotations

import httpx
import pytest
from activecampaign_segments import APIStatusError, NotFoundError, ServerError
from activecampaign_segments._errors import (
    Secret,
    error_from_exception,
    error_from_response,
    redact,
)


def test_a_response_built_without_a_request_still_maps():
    error = error_from_response(httpx.Response(404, json={"errors": [{"detail": "gone"}]}))
    assert type(error) is NotFoundError
    assert error.errors == [{"detail": "gone"}]
    assert "gone" in str(error)


@pytest.mark.parametrize("status", [520, 521, 522, 523, 524, 525, 526, 527])
def test_cdn_statuses_are_server_errors_with_a_reason(status):
    request = httpx.Request("GET", "https://acct.api-us1.com/api/3/x")
    error = error_from_response(httpx.Response(status, text="<html>", request=request))
    assert type(error) is ServerError
    assert f"HTTP {status} Unknown Status for GET /api/3/x" in str(error)


def test_errors_keep_only_objects():
    response = httpx.Response(400, json={"errors": [{"title": "a"}, "b", 3, None]})
    assert error_from_response(response).errors == [{"title": "a"}]


def test_an_exception_without_a_request_still_maps():
    assert "boom" in str(error_from_exception(httpx.ConnectError("boom")))


def test_redact_walks_nested_json():
    value = {"k-SECRET": ["x SECRET y", {"n": 1, "s": "SECRET"}], "t": True}
    assert redact(value, Secret("SECRET")) == {
        "k-***": ["x *** y", {"n": 1, "s": "***"}],
        "t": True,
    }
    assert redact(value, None) is value


def test_an_unknown_status_is_the_base_class():
    assert type(error_from_response(httpx.Response(499))) is APIStatusError
