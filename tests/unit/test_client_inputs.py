"""Bad input is refused with ValueError before any request; settings; latest_counts."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest
from activecampaign_segments import AsyncSegmentsClient, ResponseValidationError, SegmentsClient

from .fakes import BASE_URL, TOKEN, Api, FakeApi, body, history, record, respond

AWARE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
NAIVE = dt.datetime(2024, 1, 1)
SECOND = dt.timedelta(seconds=1)

BAD_CALLS = {
    "empty id": lambda c: c.count_history(""),
    "blank id": lambda c: c.count_history("   "),
    "None id": lambda c: c.count_history(None),
    "int id": lambda c: c.count_history(42),
    "bytes id": lambda c: c.count_history(b"42"),
    "pages empty id": lambda c: c.count_history_pages(""),
    "since after until": lambda c: c.count_history(
        "42", since=AWARE, until=AWARE - dt.timedelta(1)
    ),
    "since after until ints": lambda c: c.count_history("42", since=20, until=10),
    "naive since": lambda c: c.count_history("42", since=NAIVE),
    "naive until": lambda c: c.count_history("42", until=NAIVE),
    "float since": lambda c: c.count_history("42", since=1.5),
    "string until": lambda c: c.count_history("42", until="2024-01-01"),
    "bool since": lambda c: c.count_history("42", since=True),
    "huge until": lambda c: c.count_history("42", until=10**20),
    "until overflows": lambda c: c.count_history(
        "42", until=dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    ),
    "negative before": lambda c: c.count_history_pages("42", before=-1),
    "float before": lambda c: c.count_history_pages("42", before=1.5),
    "string before": lambda c: c.count_history_pages("42", before="5"),
    "bool before": lambda c: c.count_history_pages("42", before=True),
}


@pytest.mark.parametrize("name", sorted(BAD_CALLS))
def test_bad_arguments_raise_value_error_at_call_time(connect, name):
    fake = FakeApi({"42": history("42", 5)})
    api = connect(fake)
    with pytest.raises(ValueError):
        BAD_CALLS[name](api.client)  # not iterated: the check is eager
    assert fake.requests == []


@pytest.mark.parametrize(
    "call",
    [
        lambda api: api.page(""),
        lambda api: api.page("42", before=-5),
        lambda api: api.latest("42"),  # a string, not a list of ids
        lambda api: api.latest(["1", ""]),
        lambda api: api.latest(["1", None]),
        lambda api: api.latest(["1", 2]),
        lambda api: api.latest(["1", "2,3"]),
    ],
)
def test_bad_arguments_of_awaited_calls(connect, call):
    fake = FakeApi({"42": history("42", 5)})
    with pytest.raises(ValueError):
        call(connect(fake))
    assert fake.requests == []


def test_latest_counts_dedupes_and_splits_into_requests_of_100(connect):
    histories = {str(i): history(str(i), 2) for i in range(0, 260, 2)}  # even ids exist
    fake = FakeApi(histories)
    ids = [str(i) for i in range(250)] * 2  # every id twice
    latest = connect(fake).latest(ids)

    assert sorted(latest, key=int) == [str(i) for i in range(0, 250, 2)]
    assert all(latest[i].run_id == histories[i][0]["run_id"] for i in latest)
    sent = [r.url.params["segmentIds"].split(",") for r in fake.requests]
    assert [len(chunk) for chunk in sent] == [100, 100, 50]
    assert [i for chunk in sent for i in chunk] == [str(i) for i in range(250)]


def test_latest_counts_of_nothing_makes_no_request(connect):
    fake = FakeApi()
    api = connect(fake)
    assert api.latest([]) == {}
    assert api.latest(iter(())) == {}
    assert fake.requests == []


def test_latest_counts_accepts_any_iterable(connect):
    fake = FakeApi({"a": history("a", 1), "b": history("b", 1)})
    assert set(connect(fake).latest(i for i in ("a", "b", "zz"))) == {"a", "b"}


@pytest.mark.parametrize(
    ("records", "problem"),
    [
        ([record("9", 1_700_000_000_000, "r")], "not asked for"),
        (
            [record("1", 1_700_000_000_000, "r1"), record("1", 1_700_000_001_000, "r2")],
            "answered twice",
        ),
    ],
)
def test_latest_counts_refuses_answers_it_did_not_ask_for(connect, records, problem):
    with pytest.raises(ResponseValidationError) as info:
        connect(respond(200, json=body(records))).latest(["1", "2"])
    assert problem in str(info.value)
    assert info.value.field.endswith("attributes.segment_id")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://acct.api-us1.com", "https://acct.api-us1.com"),
        ("https://acct.api-us1.com/", "https://acct.api-us1.com"),
        ("https://acct.api-us1.com/api/3", "https://acct.api-us1.com"),
        ("https://acct.api-us1.com/api/3/", "https://acct.api-us1.com"),
        ("  HTTPS://Acct.API-us1.com/API/3//  ", "https://acct.api-us1.com"),
        ("https://acct.api-us1.com:8443/api/3", "https://acct.api-us1.com:8443"),
        ("https://proxy.example/ac/api/3", "https://proxy.example/ac"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://localhost:8765/", "http://localhost:8765"),
        ("http://[::1]:8765", "http://[::1]:8765"),
    ],
)
def test_base_url_is_normalised_not_doubled(connect, given, expected):
    fake = FakeApi({"42": history("42", 1)})
    api = connect(fake, base_url=given)
    assert len(api.history("42")) == 1
    (request,) = fake.requests
    assert str(request.url) == f"{expected}/api/3/segmentsV2/42/count-history"


@pytest.mark.parametrize(
    "base_url",
    [
        "acct.api-us1.com",
        "acct.api-us1.com/api/3",
        "localhost:8765",
        "//acct.api-us1.com",
        "ftp://acct.api-us1.com",
        "https://",
        "https:///api/3",
        "https://acct.api-us1.com?x=1",
        "https://acct.api-us1.com/#frag",
        "https://acct.api-us1.com:99999",
        "",
        None,
        42,
    ],
)
def test_bad_base_urls_are_refused(client_kind, base_url):
    cls = SegmentsClient if client_kind == "sync" else AsyncSegmentsClient
    with pytest.raises(ValueError):
        cls(base_url, TOKEN)


@pytest.mark.parametrize("host", ["acct.api-us1.com", "10.0.0.1", "127.example.com"])
def test_plain_http_is_refused_unless_loopback_or_allowed(client_kind, host):
    cls = SegmentsClient if client_kind == "sync" else AsyncSegmentsClient
    with pytest.raises(ValueError, match="unencrypted"):
        cls(f"http://{host}", TOKEN)
    cls(f"http://{host}", TOKEN, allow_insecure=True)


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": 0},
        {"timeout": -1},
        {"timeout": float("nan")},
        {"timeout": "30"},
        {"max_retries": -1},
        {"max_retries": 1.5},
        {"requests_per_second": 0},
        {"requests_per_second": float("inf")},
    ],
)
def test_bad_options_are_refused(client_kind, options):
    cls = SegmentsClient if client_kind == "sync" else AsyncSegmentsClient
    with pytest.raises(ValueError):
        cls(BASE_URL, TOKEN, **options)


@pytest.mark.parametrize("token", ["", "   ", None, 42, "two words", "line\nbreak", "tök"])
def test_bad_tokens_are_refused_without_quoting_them(client_kind, token):
    cls = SegmentsClient if client_kind == "sync" else AsyncSegmentsClient
    with pytest.raises(ValueError) as info:
        cls(BASE_URL, token)
    if isinstance(token, str) and token.strip():
        assert token not in str(info.value)


def test_a_transport_of_the_wrong_kind_is_refused():
    with pytest.raises(TypeError):
        SegmentsClient(BASE_URL, TOKEN, transport=httpx.AsyncHTTPTransport())
    with pytest.raises(TypeError):
        AsyncSegmentsClient(BASE_URL, TOKEN, transport=httpx.HTTPTransport())


def test_from_env(client_kind, monkeypatch):
    cls = SegmentsClient if client_kind == "sync" else AsyncSegmentsClient
    monkeypatch.setenv("ACTIVECAMPAIGN_API_URL", "https://acct.api-us1.com/api/3/")
    monkeypatch.setenv("ACTIVECAMPAIGN_API_KEY", TOKEN)
    fake = FakeApi({"42": history("42", 1)})
    client = cls.from_env(
        transport=httpx.MockTransport(fake), max_retries=0, requests_per_second=None
    )
    assert "base_url='https://acct.api-us1.com'" in repr(client)
    if client_kind == "sync":
        with client:
            assert client.count_history_page("42").records
    else:

        async def one_page():
            async with client:
                return await client.count_history_page("42")

        assert asyncio.run(one_page()).records
    (request,) = fake.requests  # FakeApi answers 401 unless the token is right
    assert request.headers["Api-Token"] == TOKEN


@pytest.mark.parametrize("missing", ["ACTIVECAMPAIGN_API_URL", "ACTIVECAMPAIGN_API_KEY"])
def test_from_env_names_the_missing_variable(client_kind, monkeypatch, missing):
    cls = SegmentsClient if client_kind == "sync" else AsyncSegmentsClient
    monkeypatch.setenv("ACTIVECAMPAIGN_API_URL", "https://acct.api-us1.com")
    monkeypatch.setenv("ACTIVECAMPAIGN_API_KEY", TOKEN)
    monkeypatch.delenv(missing)
    with pytest.raises(ValueError, match=missing) as info:
        cls.from_env()
    assert TOKEN not in str(info.value)


def test_clients_of_one_host_share_one_rate_limiter():
    sync = SegmentsClient("https://ACCT.api-us1.com/api/3", TOKEN, requests_per_second=5.0)
    other = AsyncSegmentsClient("https://acct.api-us1.com:443", TOKEN, requests_per_second=5.0)
    elsewhere = SegmentsClient("https://other.api-us1.com", TOKEN, requests_per_second=5.0)
    off = SegmentsClient("https://acct.api-us1.com", TOKEN, requests_per_second=None)
    assert sync._limiter is not None
    assert sync._limiter is other._limiter
    assert elsewhere._limiter is not sync._limiter
    assert off._limiter is None


def test_closed_clients_refuse_work(client_kind):
    fake = FakeApi({"42": history("42", 1)})
    api = Api(client_kind, fake)
    api.close()
    with pytest.raises(RuntimeError):
        api.history("42")
