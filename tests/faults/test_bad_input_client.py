"""Bad input to the client: a documented error or a correct answer, never a crash, and never a
request outside ``/api/3/segmentsV2/``.

Every request goes through the fault proxy (with no faults), which records the request target
exactly as it was sent on the wire; each test checks the targets its calls produced: the right
operation, and the segment id arriving as one path segment that decodes back to the id given.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote

import pytest
from activecampaign_segments import (
    AsyncSegmentsClient,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    SegmentsClient,
)
from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.dataset import FORBIDDEN_SEGMENT
from activecampaign_simulator.server import SimulatorHandle, serve_in_thread
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.faults.proxy import FaultProxy, serve_proxy

PAGE = re.compile(r"/api/3/segmentsV2/(?P<id>[^/?#]+)/count-history(?:/(?P<before>[0-9]+))?")
BATCH = re.compile(r"/api/3/segmentsV2/count-history\?(?P<query>segmentIds=[^&#]+)")
INT64_MAX = 2**63 - 1
HYPOTHESIS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
HOSTILE_IDS = [
    "..",
    ".",
    "../..",
    "a/b",
    "../count-history",
    "%2E%2E",
    "%2F",
    "1?x=1",
    "1#frag",
    "1;x",
    " 1",
    "\u2713",
    "\u0000",
    "\r\nX-Injected: 1",
    "9" * 5000,
    "1/../../../etc",
    "0/count-history",
    "1/count-history",
    "1/count-history/1717000000",
]


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorHandle]:
    with serve_in_thread(SimulatorConfig(segments=5, history=120, rps=0, seed=9)) as handle:
        yield handle


@pytest.fixture(scope="module")
def proxy(sim: SimulatorHandle) -> Iterator[FaultProxy]:
    with serve_proxy(sim.base_url) as running:
        yield running


@pytest.fixture(scope="module")
def client(sim: SimulatorHandle, proxy: FaultProxy) -> Iterator[SegmentsClient]:
    with SegmentsClient(
        base_url=proxy.base_url, api_token=sim.token, requests_per_second=None, max_retries=0
    ) as c:
        yield c


def _page_targets(proxy: FaultProxy, start: int, segment_id: str) -> list[re.Match[str]]:
    """The page requests since ``start``; each must be one path segment decoding to the id."""
    matches = []
    for target in proxy.stats.targets[start:]:
        match = PAGE.fullmatch(target)
        assert match is not None, f"request outside the page operation: {target!r}"
        assert unquote(match["id"]) == segment_id, target
        matches.append(match)
    return matches


def _epoch(attributes: dict[str, Any]) -> int:
    return math.floor(datetime.fromisoformat(attributes["timestamp"]).timestamp())


def _check_page(sim: SimulatorHandle, client: SegmentsClient, proxy: FaultProxy, sid: Any) -> None:
    start = len(proxy.stats.targets)
    try:
        page = client.count_history_page(sid)
    except ValueError:
        assert len(proxy.stats.targets) == start, "ValueError after a request was sent"
        assert not isinstance(sid, str) or not sid.strip()
        return
    except NotFoundError:
        # Ids holding "/" among them: the client sends it as %2F (checked below) and the
        # simulator, like ActiveCampaign, keeps it inside the one id, which no segment has.
        assert sid not in sim.store.segment_ids()
    except PermissionDeniedError:
        assert sid == FORBIDDEN_SEGMENT
    else:
        # Only a known id gets a page, so "1/count-history/5" never gets segment 1's data.
        assert sid in sim.store.segment_ids()
        expected = [r["run_id"] for r in sim.store.records(sid)[:50]]
        assert [r.run_id for r in page.records] == expected
    assert len(_page_targets(proxy, start, sid)) == 1


@HYPOTHESIS
@given(segment_id=st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE_IDS)))
def test_random_segment_ids(
    sim: SimulatorHandle, client: SegmentsClient, proxy: FaultProxy, segment_id: str
) -> None:
    _check_page(sim, client, proxy, segment_id)


@pytest.mark.parametrize(
    "segment_id", [*HOSTILE_IDS, "1", FORBIDDEN_SEGMENT, "", "   ", None, 42, b"1", ["1"]]
)
def test_hostile_and_wrongly_typed_ids(
    sim: SimulatorHandle, client: SegmentsClient, proxy: FaultProxy, segment_id: Any
) -> None:
    _check_page(sim, client, proxy, segment_id)


@HYPOTHESIS
@given(
    before=st.one_of(
        st.integers(min_value=-(2**70), max_value=2**70),
        st.integers(min_value=1_600_000_000, max_value=1_717_300_000),
        st.floats(allow_nan=True),
        st.text(max_size=12),
        st.booleans(),
    )
)
def test_random_cursors(
    sim: SimulatorHandle, client: SegmentsClient, proxy: FaultProxy, before: Any
) -> None:
    start = len(proxy.stats.targets)
    try:
        page = client.count_history_page("1", before=before)
    except ValueError:
        assert len(proxy.stats.targets) == start, "ValueError after a request was sent"
        assert not isinstance(before, int) or isinstance(before, bool) or before < 0
        return
    except BadRequestError:
        assert before > INT64_MAX  # the only cursor the server may refuse
    else:
        older = [r for r in sim.store.records("1") if _epoch(r) < before]
        assert [r.run_id for r in page.records] == [r["run_id"] for r in older[:50]]
    targets = _page_targets(proxy, start, "1")
    # A cursor of 0 needs no request: nothing is older than the epoch (the page is empty).
    assert [m["before"] for m in targets] == ([] if before == 0 else [str(before)])


_NOW = datetime(2024, 6, 1, tzinfo=UTC)
BOUNDS: list[Any] = [
    -1,
    -(2**40),
    0,
    2**62,
    10**30,
    _NOW,
    _NOW - timedelta(days=2),
    datetime(2024, 5, 30),  # naive
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, tzinfo=UTC),
    "2024-05-30",
    "yesterday",
    1.5,
    True,
    None,
]


def _as_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=value)


@pytest.mark.parametrize("since", BOUNDS, ids=repr)
@pytest.mark.parametrize("until", BOUNDS[:10], ids=repr)
def test_since_until_bounds(
    sim: SimulatorHandle, client: SegmentsClient, proxy: FaultProxy, since: Any, until: Any
) -> None:
    start = len(proxy.stats.targets)
    try:
        got = [r.run_id for r in client.count_history("1", since=since, until=until)]
    except ValueError:
        assert len(proxy.stats.targets) == start, "ValueError after a request was sent"
        return
    low, high = _as_datetime(since), _as_datetime(until)
    expected = [
        r["run_id"]
        for r in sim.store.records("1")
        if (low is None or datetime.fromisoformat(r["timestamp"]) >= low)
        and (high is None or datetime.fromisoformat(r["timestamp"]) < high)
    ]
    assert got == expected
    _page_targets(proxy, start, "1")


def _batch_ids(proxy: FaultProxy, start: int) -> list[list[str]]:
    batches = []
    for target in proxy.stats.targets[start:]:
        match = BATCH.fullmatch(target)
        assert match is not None, f"request outside the batch operation: {target!r}"
        (value,) = parse_qs(match["query"], strict_parsing=True)["segmentIds"]
        batches.append(value.split(","))
    return batches


def _ten_thousand_ids() -> list[str]:
    ids = [str(i) for i in range(10_000)]
    ids += ["1", "2", "3", FORBIDDEN_SEGMENT, "..", "a/b", "\u2713", "9" * 300, " 4"]
    return ids


def _check_latest(
    sim: SimulatorHandle, proxy: FaultProxy, start: int, ids: list[str], result: dict[str, Any]
) -> None:
    unique = list(dict.fromkeys(ids))
    expected = {row[0] for row in sim.store.latest(unique)}
    assert set(result) == expected
    assert all(record.segment_id == key for key, record in result.items())
    batches = _batch_ids(proxy, start)
    assert all(1 <= len(b) <= 100 for b in batches)
    assert [i for b in batches for i in b] == unique  # each id asked once, none invented
    assert len(batches) == math.ceil(len(unique) / 100)


def test_latest_counts_with_ten_thousand_ids(
    sim: SimulatorHandle, client: SegmentsClient, proxy: FaultProxy
) -> None:
    ids = _ten_thousand_ids()
    start = len(proxy.stats.targets)
    _check_latest(sim, proxy, start, ids, client.latest_counts(ids))


@pytest.mark.anyio
async def test_latest_counts_with_ten_thousand_ids_async(
    sim: SimulatorHandle, proxy: FaultProxy
) -> None:
    ids = _ten_thousand_ids()
    start = len(proxy.stats.targets)
    async with AsyncSegmentsClient(
        base_url=proxy.base_url, api_token=sim.token, requests_per_second=None, max_retries=0
    ) as client:
        result = await client.latest_counts(ids)
    _check_latest(sim, proxy, start, ids, result)


@pytest.mark.parametrize(
    "ids", [[], ["1,2"], ["", "1"], [None], "1,2", b"1", [1, 2], ["1"] * 5], ids=repr
)
def test_latest_counts_bad_ids(
    sim: SimulatorHandle, client: SegmentsClient, proxy: FaultProxy, ids: Any
) -> None:
    start = len(proxy.stats.targets)
    try:
        result = client.latest_counts(ids)
    except ValueError:
        assert len(proxy.stats.targets) == start, "ValueError after a request was sent"
        return
    _check_latest(sim, proxy, start, list(ids), result)
