"""Every feature of the ``ac_simulator`` fixture and its handle, through the fixtures themselves.

The project's own test run loads the plugin the way a user's does (the ``pytest11`` entry point
of the installed package), so these tests ask for ``ac_simulator`` like any user test; what the
fixture promises is judged with the public client and with raw HTTP.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from activecampaign_segments import (
    AsyncSegmentsClient,
    AuthenticationError,
    CountRecord,
    NotFoundError,
    RateLimitError,
    SegmentsClient,
    ServerError,
)
from activecampaign_segments.testing import ReceivedRequest, SimulatedAccount

from tests.documented import OPTIONAL_ATTRIBUTES

UTC = dt.UTC
PAGE = "/api/3/segmentsV2/{}/count-history"


# Made once: each httpx.get would otherwise load the CA bundle again (the simulator is HTTP).
_TLS = httpx.create_ssl_context()


def _get(account: SimulatedAccount, path: str, token: str | None = None) -> httpx.Response:
    headers = {"Api-Token": account.api_token if token is None else token}
    return httpx.get(account.base_url + path, headers=headers, timeout=10, verify=_TLS)


# -- a fresh, empty account ------------------------------------------------------------------


def test_an_account_starts_empty(ac_simulator: SimulatedAccount, ac_client: SegmentsClient) -> None:
    # Not even the simulator's boundary segments: only what the test adds.
    assert ac_client.latest_counts(["1", "4", "900000", "900050"]) == {}
    with pytest.raises(NotFoundError):
        ac_client.count_history_page("900050")
    assert ac_simulator.base_url.startswith("http://127.0.0.1:")
    assert "***" in repr(ac_simulator) and ac_simulator.api_token not in repr(ac_simulator)


def test_accounts_are_isolated_and_share_one_server(
    ac_simulator: SimulatedAccount, _activecampaign_simulator_server: object
) -> None:
    from activecampaign_segments.testing._server import SimulatorServer

    server = _activecampaign_simulator_server
    assert isinstance(server, SimulatorServer)
    ac_simulator.add_count("4", 1)
    with server.account("another test") as other, other.client() as client:
        assert other.base_url == ac_simulator.base_url
        assert other.api_token != ac_simulator.api_token
        assert client.latest_counts(["4"]) == {}
        other.add_count("4", 2)
        assert client.latest_counts(["4"])["4"].result_count == 2
    with ac_simulator.client() as mine:
        assert mine.latest_counts(["4"])["4"].result_count == 1


# -- add_count -------------------------------------------------------------------------------


def test_counts_added_in_a_row_come_back_newest_first(
    ac_simulator: SimulatedAccount, ac_client: SegmentsClient
) -> None:
    added = [ac_simulator.add_count("4", n) for n in (100, 90, 95)]
    assert list(ac_client.count_history("4")) == added[::-1]
    assert ac_client.latest_counts(["4"]) == {"4": added[-1]}
    # One second apart at least, so every count has its own cursor second.
    epochs = [r.epoch for r in added]
    assert epochs == sorted(set(epochs))
    # The segment's definition stays the same until the test says otherwise.
    assert len({r.segment_hash for r in added}) == 1
    assert len({r.run_id for r in added}) == 3


def test_add_count_returns_exactly_what_the_client_reads(
    ac_simulator: SimulatedAccount, ac_client: SegmentsClient
) -> None:
    when = dt.datetime(2024, 3, 1, 12, 30, 5, 987654, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    record = ac_simulator.add_count(
        "7",
        1234,
        recorded_at=when,
        active_result_count=1000,
        segment_hash="h-1",
        run_id="run-1",
    )
    assert record == CountRecord(
        segment_id="7",
        recorded_at=dt.datetime(2024, 3, 1, 10, 30, 5, 987000, tzinfo=UTC),
        epoch=int(dt.datetime(2024, 3, 1, 10, 30, 5, tzinfo=UTC).timestamp()),
        result_count=1234,
        active_result_count=1000,
        segment_hash="h-1",
        run_id="run-1",
        updating_run_id=None,
    )
    assert list(ac_client.count_history("7")) == [record]
    bare = ac_simulator.add_count("8", 0)
    assert bare.result_count == 0
    # Not given: absent while the document lets it be, a value it admits once it is required.
    if "active_result_count" in OPTIONAL_ATTRIBUTES:
        assert bare.active_result_count is None
    else:
        assert isinstance(bare.active_result_count, int)
    assert ac_client.latest_counts(["8"]) == {"8": bare}


def test_a_count_in_the_past_takes_its_place_in_the_history(
    ac_simulator: SimulatedAccount, ac_client: SegmentsClient
) -> None:
    newer = ac_simulator.add_count("4", 10, recorded_at=dt.datetime(2024, 1, 2, tzinfo=UTC))
    older = ac_simulator.add_count("4", 9, recorded_at=dt.datetime(2024, 1, 1, tzinfo=UTC))
    latest = ac_simulator.add_count("4", 11)  # default time: after the newest, i.e. now
    assert list(ac_client.count_history("4")) == [latest, newer, older]
    assert latest.recorded_at > dt.datetime.now(UTC) - dt.timedelta(minutes=5)
    # Without a time, the segment's newest hash carries on.
    assert latest.segment_hash == newer.segment_hash == older.segment_hash


def test_a_default_time_after_a_future_count_is_one_second_later(
    ac_simulator: SimulatedAccount,
) -> None:
    future = dt.datetime.now(UTC) + dt.timedelta(days=1)
    first = ac_simulator.add_count("4", 1, recorded_at=future)
    second = ac_simulator.add_count("4", 2)
    assert second.recorded_at - first.recorded_at == dt.timedelta(seconds=1)


# -- add_history -----------------------------------------------------------------------------


def test_add_history_is_what_the_client_walks(
    ac_simulator: SimulatedAccount, ac_client: SegmentsClient
) -> None:
    history = ac_simulator.add_history("5", 180)  # four pages
    assert len(history) == 180
    assert list(ac_client.count_history("5")) == history
    times = [r.recorded_at for r in history]
    assert times == sorted(times, reverse=True)
    assert history[0].recorded_at <= dt.datetime.now(UTC)
    assert ac_simulator.requests[0].path == PAGE.format(5)
    assert len(ac_simulator.requests) >= 4
    # Realistic: the definition changed at least once, some counts lack an active count
    # (while the document lets them), neighbours are about an hour apart.
    assert len({r.segment_hash for r in history}) >= 2
    lacking = any(r.active_result_count is None for r in history)
    assert lacking == ("active_result_count" in OPTIONAL_ATTRIBUTES)
    gaps = [(a - b).total_seconds() for a, b in itertools.pairwise(times)]
    assert 600 < sorted(gaps)[len(gaps) // 2] < 7200


def test_add_history_continues_after_the_newest_count(
    ac_simulator: SimulatedAccount, ac_client: SegmentsClient
) -> None:
    first = ac_simulator.add_history("5", 20)
    more = ac_simulator.add_history("5", 20)
    assert more[-1].recorded_at > first[0].recorded_at
    assert list(ac_client.count_history("5")) == more + first
    assert not {r.run_id for r in first} & {r.run_id for r in more}
    assert ac_simulator.add_history("5", 0) == []


def test_add_history_gives_the_same_values_on_every_run(
    ac_simulator: SimulatedAccount, _activecampaign_simulator_server: object
) -> None:
    from activecampaign_segments.testing._server import SimulatorServer

    assert isinstance(_activecampaign_simulator_server, SimulatorServer)

    def values(records: list[CountRecord]) -> list[tuple[int, int | None, str]]:
        return [(r.result_count, r.active_result_count, r.run_id) for r in records]

    mine = ac_simulator.add_history("5", 30)
    with _activecampaign_simulator_server.account("another test") as other:
        assert values(other.add_history("5", 30)) == values(mine)


# -- fail_next, requests ---------------------------------------------------------------------


def test_fail_next_answers_the_next_requests_with_that_status(
    ac_simulator: SimulatedAccount,
) -> None:
    ac_simulator.add_count("4", 1)
    ac_simulator.fail_next(503, times=2)
    ac_simulator.fail_next(429, retry_after=2)
    ac_simulator.fail_next(404, retry_after=0.25)
    answers = [_get(ac_simulator, PAGE.format(4)) for _ in range(5)]
    assert [r.status_code for r in answers] == [503, 503, 429, 404, 200]
    assert answers[2].headers["Retry-After"] == "2"
    assert answers[3].headers["Retry-After"] == "0.25"
    assert "Retry-After" not in answers[0].headers
    assert answers[0].json()["errors"][0]["status"] == "503"
    assert [r.status for r in ac_simulator.requests] == [503, 503, 429, 404, 200]


def test_the_client_retries_an_injected_failure_or_raises_its_error(
    ac_simulator: SimulatedAccount, ac_client: SegmentsClient
) -> None:
    record = ac_simulator.add_count("4", 1)
    ac_simulator.fail_next(503, retry_after=0.01)
    assert ac_client.latest_counts(["4"]) == {"4": record}
    ac_simulator.fail_next(404)  # not retried
    with pytest.raises(NotFoundError):
        ac_client.latest_counts(["4"])
    with ac_simulator.client(max_retries=1) as client:
        ac_simulator.fail_next(520, times=2, retry_after=0.01)
        with pytest.raises(ServerError) as caught:
            client.latest_counts(["4"])
        assert caught.value.status_code == 520
    assert [r.status for r in ac_simulator.requests] == [503, 200, 404, 520, 520]


def test_requests_are_logged_in_order_whatever_the_answer(
    ac_simulator: SimulatedAccount, ac_client: SegmentsClient
) -> None:
    ac_simulator.add_history("4", 60)
    list(ac_client.count_history("4"))
    ac_client.latest_counts(["4", "9"])
    assert _get(ac_simulator, PAGE.format(4), token="wrong").status_code == 401
    log = ac_simulator.requests
    assert all(isinstance(r, ReceivedRequest) and r.method == "GET" for r in log)
    assert log[0] == ReceivedRequest("GET", PAGE.format(4), "", 200)
    assert log[1].path.startswith(PAGE.format(4) + "/") and log[1].status == 200
    assert log[2] == ReceivedRequest(
        "GET", "/api/3/segmentsV2/count-history", "segmentIds=4%2C9", 200
    )
    assert log[3] == ReceivedRequest("GET", PAGE.format(4), "", 401)
    assert len(log) == 4
    # A copy: the test may keep it while more requests arrive.
    log.clear()
    assert len(ac_simulator.requests) == 4


def test_a_wrong_token_is_a_401_like_the_api(ac_simulator: SimulatedAccount) -> None:
    ac_simulator.add_count("4", 1)
    client = SegmentsClient(ac_simulator.base_url, "not-the-token")
    with client, pytest.raises(AuthenticationError):
        client.latest_counts(["4"])


# -- rate limit and latency ------------------------------------------------------------------


def test_no_rate_limit_unless_asked_for(ac_simulator: SimulatedAccount) -> None:
    ac_simulator.add_count("4", 1)
    statuses = Counter(_get(ac_simulator, PAGE.format(4)).status_code for _ in range(30))
    assert statuses == {200: 30}


def test_set_rate_limit_answers_429_with_retry_after_beyond_it(
    ac_simulator: SimulatedAccount,
) -> None:
    ac_simulator.add_count("4", 1)
    ac_simulator.set_rate_limit(0.5)  # a bucket of one request, refilled every 2 s
    first, second = _get(ac_simulator, PAGE.format(4)), _get(ac_simulator, PAGE.format(4))
    assert (first.status_code, second.status_code) == (200, 429)
    assert second.headers["Retry-After"] == "2"
    # A request without the token is a 401 first, and takes nothing from the bucket.
    assert _get(ac_simulator, PAGE.format(4), token="wrong").status_code == 401
    with ac_simulator.client(max_retries=0) as client, pytest.raises(RateLimitError):
        client.latest_counts(["4"])
    ac_simulator.set_rate_limit(None)
    assert _get(ac_simulator, PAGE.format(4)).status_code == 200


def test_set_latency_delays_every_answer(ac_simulator: SimulatedAccount) -> None:
    ac_simulator.set_latency(0.3)
    start = time.monotonic()
    assert _get(ac_simulator, PAGE.format(4)).status_code == 404
    ac_simulator.fail_next(503)
    assert _get(ac_simulator, PAGE.format(4)).status_code == 503
    assert time.monotonic() - start >= 0.6
    ac_simulator.set_latency(0)


# -- the client fixtures ---------------------------------------------------------------------


def test_ac_client_has_no_limiter(
    ac_client: SegmentsClient, ac_simulator: SimulatedAccount
) -> None:
    assert ac_client.stats.requests == 0
    assert "requests_per_second=None" in repr(ac_client)
    assert ac_simulator.base_url in repr(ac_client)


@pytest.mark.anyio
async def test_ac_async_client_reads_the_account(
    ac_simulator: SimulatedAccount, ac_async_client: AsyncSegmentsClient
) -> None:
    history = ac_simulator.add_history("6", 120)
    assert [r async for r in ac_async_client.count_history("6")] == history
    assert "requests_per_second=None" in repr(ac_async_client)


# -- ac_env ----------------------------------------------------------------------------------


def test_ac_env_is_what_from_env_and_the_cli_read(
    ac_env: SimulatedAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from activecampaign_segments.cli import app
    from typer.testing import CliRunner

    assert os.environ["ACTIVECAMPAIGN_API_URL"] == ac_env.base_url
    assert os.environ["ACTIVECAMPAIGN_API_KEY"] == ac_env.api_token
    assert ac_env.env == {
        "ACTIVECAMPAIGN_API_URL": ac_env.base_url,
        "ACTIVECAMPAIGN_API_KEY": ac_env.api_token,
    }
    record = ac_env.add_count("4", 1200)
    with SegmentsClient.from_env(requests_per_second=None) as client:
        assert client.latest_counts(["4"]) == {"4": record}
    result = CliRunner().invoke(app, ["latest", "4", "-f", "jsonl"])
    assert result.exit_code == 0, result.output
    assert '"result_count":1200' in result.stdout.replace(" ", "")


@pytest.fixture
def _a_store_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTIVECAMPAIGN_SEGMENTS_DB", "/somewhere/real/history.db")


def test_ac_env_unsets_the_other_activecampaign_settings(
    _a_store_path: None, ac_env: SimulatedAccount
) -> None:
    import os

    assert "ACTIVECAMPAIGN_SEGMENTS_DB" not in os.environ


def test_ac_env_keeps_the_shared_rate_schedule_out_of_the_users_cache(
    ac_env: SimulatedAccount, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    assert os.environ["ACTIVECAMPAIGN_LIMITER_DIR"] == str(tmp_path / "rate-limits")
    with SegmentsClient.from_env() as client:  # paced at the default rate, as in production
        assert client.latest_counts(["4"]) == {}
    assert not (tmp_path / "user-cache").exists()


# -- bad input -------------------------------------------------------------------------------

NAIVE = dt.datetime(2024, 1, 1, 12, 0)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("4", -1), {}, "result_count must be a whole number >= 0"),
        (("4", 1.5), {}, "result_count must be a whole number"),
        (("4", True), {}, "result_count must be a whole number"),
        (("4", "7"), {}, "result_count must be a whole number"),
        (("4", 1), {"recorded_at": NAIVE}, "recorded_at must be timezone-aware"),
        (("4", 1), {"recorded_at": "2024-01-01T00:00:00Z"}, "recorded_at must be a datetime"),
        (("4", 1), {"recorded_at": dt.datetime(1969, 12, 31, tzinfo=UTC)}, "before 1970"),
        (("4", 1), {"active_result_count": -5}, "active_result_count must be a whole number"),
        (("4", 1), {"segment_hash": ""}, "segment_hash must be a non-empty string"),
        (("4", 1), {"run_id": ""}, "run_id must be a non-empty string"),
        (("", 1), {}, "segment_id must be a non-empty string"),
        ((4, 1), {}, "segment_id must be a non-empty string"),
        (("4,5", 1), {}, "must not contain"),
        (("a/b", 1), {}, "must not contain"),
    ],
)
def test_add_count_refuses_bad_input_at_the_call(
    ac_simulator: SimulatedAccount,
    args: tuple[object, ...],
    kwargs: dict[str, object],
    message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        ac_simulator.add_count(*args, **kwargs)  # type: ignore[arg-type]
    assert ac_simulator.requests == []  # and nothing was stored: the segment is unknown
    with ac_simulator.client() as client:
        assert client.latest_counts(["4"]) == {}


def test_a_run_id_is_used_once(ac_simulator: SimulatedAccount) -> None:
    ac_simulator.add_count("4", 1, run_id="r-1")
    with pytest.raises(ValueError, match="run_id 'r-1' is already used"):
        ac_simulator.add_count("5", 1, run_id="r-1")
    generated = ac_simulator.add_history("6", 3)[0].run_id
    with pytest.raises(ValueError, match="already used"):
        ac_simulator.add_count("4", 1, run_id=generated)
    with ac_simulator.client() as client:
        assert set(client.latest_counts(["4", "5"])) == {"4"}


@pytest.mark.parametrize("status", [399, 600, 200, 302, 0, -503, True, "503", 503.0, None])
def test_fail_next_takes_an_error_status_only(
    ac_simulator: SimulatedAccount, status: object
) -> None:
    with pytest.raises(ValueError, match=r"400\.\.599"):
        ac_simulator.fail_next(status)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"times": 0}, "times must be a whole number >= 1"),
        ({"times": 1.5}, "times must be a whole number"),
        ({"retry_after": -1}, "retry_after must be a finite number"),
        ({"retry_after": math.inf}, "retry_after must be a finite number"),
        ({"retry_after": "1"}, "retry_after must be a finite number"),
    ],
)
def test_fail_next_refuses_bad_options(
    ac_simulator: SimulatedAccount, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        ac_simulator.fail_next(503, **kwargs)  # type: ignore[arg-type]
    assert _get(ac_simulator, PAGE.format(4)).status_code == 404  # nothing was queued


@pytest.mark.parametrize("value", [-1, math.nan, math.inf, "5", True])
def test_rate_limit_and_latency_refuse_bad_values(
    ac_simulator: SimulatedAccount, value: object
) -> None:
    with pytest.raises(ValueError, match="rps must be"):
        ac_simulator.set_rate_limit(value)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seconds must be"):
        ac_simulator.set_latency(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [-1, 1.0, True, "3"])
def test_add_history_refuses_a_bad_n(ac_simulator: SimulatedAccount, n: object) -> None:
    with pytest.raises(ValueError, match="n must be a whole number >= 0"):
        ac_simulator.add_history("4", n)  # type: ignore[arg-type]
