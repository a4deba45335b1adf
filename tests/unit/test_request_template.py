"""The generated request templates the client accepts: what a non-breaking update may add."""

from __future__ import annotations

import pytest
from activecampaign_segments.client import _typed


def test_an_empty_headers_template_goes_through() -> None:
    # The document gains an optional header parameter: the template then carries `headers`,
    # empty since the client sets none; nothing is dropped, so the request is built.
    request = _typed({"method": "get", "url": "/x", "params": {}, "headers": {}})
    assert request["method"] == "get" and request["url"] == "/x"


@pytest.mark.parametrize(
    "extra", [{"headers": {"X-Request-Id": "1"}}, {"json": {"a": 1}}, {"content": b"x"}]
)
def test_a_template_that_would_send_more_fails_loudly(extra: dict[str, object]) -> None:
    with pytest.raises(TypeError, match="unexpected request"):
        _typed({"method": "get", "url": "/x", **extra})
