"""Injected faults and the contract suite's quirks, each flipping one behaviour."""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest
from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.dataset import EXACTLY_50_SEGMENT
from activecampaign_simulator.faults import MALFORMED_BODIES, FaultInjector

from tests.simulator.conftest import API, AUTH, QUIET_TESTCLIENT, MakeClient

pytestmark = QUIET_TESTCLIENT

N = 1000


def statuses(client, n: int) -> Counter[int]:
    return Counter(client.get(f"{API}/1/count-history", headers=AUTH).status_code for _ in range(n))


def test_fault_dice_fractions_are_roughly_right() -> None:
    faults = FaultInjector(SimulatorConfig(error_rate=0.10, throttle_rate=0.05, malformed_rate=0.2))
    n = 20_000
    drawn = Counter(faults.before_answer() for _ in range(n))
    assert 0.045 * n <= drawn["error_503"] <= 0.055 * n
    assert 0.045 * n <= drawn["error_520"] <= 0.055 * n
    assert 0.045 * n <= drawn["throttle"] <= 0.055 * n
    malformed = sum(faults.malformed_body() is not None for _ in range(n))
    assert 0.19 * n <= malformed <= 0.21 * n
    expected = {kind: count for kind, count in drawn.items() if kind is not None}
    assert dict(faults.counts) == {**expected, "malformed": malformed}


def test_app_answers_faults_in_the_configured_fractions(make_client: MakeClient) -> None:
    n = 400
    client = make_client(error_rate=0.10, throttle_rate=0.05, seed=7)
    counts = statuses(client, n)
    assert set(counts) == {200, 429, 503, 520}
    assert 0.06 * n <= counts[503] + counts[520] <= 0.14 * n
    assert 0.02 * n <= counts[429] <= 0.08 * n
    injected = client.app.state.faults.counts
    assert injected["error_503"] == counts[503]
    assert injected["error_520"] == counts[520]
    assert injected["throttle"] == counts[429]


def test_injected_answers_are_documented_json(make_client: MakeClient) -> None:
    client = make_client(error_rate=0.5, throttle_rate=0.5)
    seen = set()
    for _ in range(40):
        response = client.get(f"{API}/1/count-history", headers=AUTH)
        seen.add(response.status_code)
        assert response.json()["errors"][0]["status"] == str(response.status_code)
        if response.status_code == 429:
            assert response.headers["retry-after"] == "1"
    assert seen == {429, 503, 520}


def test_malformed_fraction_and_bodies(make_client: MakeClient) -> None:
    client = make_client(malformed_rate=0.2, seed=3)
    malformed = 0
    for _ in range(300):
        response = client.get(f"{API}/1/count-history", headers=AUTH)
        assert response.status_code == 200
        if response.content in MALFORMED_BODIES:
            malformed += 1
        else:
            assert len(response.json()["data"]) == 50
    assert 30 <= malformed <= 90
    assert client.app.state.faults.counts["malformed"] == malformed


def test_every_malformed_body_is_invalid_json_or_violates_the_schema() -> None:
    for body in MALFORMED_BODIES:
        try:
            parsed = json.loads(body)
        except ValueError:
            continue
        ok = (
            isinstance(parsed, dict)
            and isinstance(parsed.get("data"), list)
            and all("run_id" in r.get("attributes", {}) for r in parsed["data"])
        )
        assert not ok, body


def test_faults_are_repeatable_for_a_seed(make_client: MakeClient) -> None:
    def run(seed: int) -> list[int]:
        client = make_client(error_rate=0.3, throttle_rate=0.1, seed=seed)
        return [client.get(f"{API}/1/count-history", headers=AUTH).status_code for _ in range(60)]

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_fault_seed_changes_dice_but_not_data(make_client: MakeClient) -> None:
    a = make_client(error_rate=0.5, fault_seed=1)
    b = make_client(error_rate=0.5, fault_seed=2)
    assert a.app.state.store.records("1") == b.app.state.store.records("1")
    order_a = [a.get(f"{API}/1/count-history", headers=AUTH).status_code for _ in range(60)]
    order_b = [b.get(f"{API}/1/count-history", headers=AUTH).status_code for _ in range(60)]
    assert order_a != order_b


def test_faults_need_a_valid_token_first(make_client: MakeClient) -> None:
    client = make_client(error_rate=1.0)
    assert client.get(f"{API}/1/count-history").status_code == 401
    assert client.get(f"{API}/1/count-history", headers=AUTH).status_code in (503, 520)


def test_latency_is_added_to_each_answer(make_client: MakeClient, monkeypatch) -> None:
    import asyncio

    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def fake_sleep(delay: float) -> None:
        slept.append(delay)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    client = make_client(latency=0.05)
    client.get(f"{API}/1/count-history", headers=AUTH)
    client.get(f"{API}/count-history?segmentIds=", headers=AUTH)
    client.get(f"{API}/1/count-history")
    assert slept.count(0.05) == 3


def test_small_real_latency_still_answers(make_client: MakeClient) -> None:
    client = make_client(latency=0.01)
    start = time.monotonic()
    assert client.get(f"{API}/1/count-history", headers=AUTH).status_code == 200
    assert time.monotonic() - start >= 0.01  # a lower bound only: never an upper one


# --- quirks -------------------------------------------------------------------


def page(client, path: str = f"{API}/1/count-history") -> list[dict]:
    response = client.get(path, headers=AUTH)
    assert response.status_code == 200
    return response.json()["data"]


def test_no_quirk_baseline(make_client: MakeClient) -> None:
    client = make_client()
    data = page(client)
    assert len(data) == 50
    assert all(isinstance(r["attributes"]["result_count"], int) for r in data)


def test_quirk_wrong_type(make_client: MakeClient) -> None:
    data = page(make_client(quirks={"wrong_type"}))
    assert all(isinstance(r["attributes"]["result_count"], str) for r in data)


def test_quirk_missing_required(make_client: MakeClient) -> None:
    data = page(make_client(quirks={"missing_required"}))
    assert all("run_id" not in r["attributes"] for r in data)


def test_quirk_page_51(make_client: MakeClient) -> None:
    assert len(page(make_client(quirks={"page_51"}))) == 51


def test_quirk_oldest_first(make_client: MakeClient) -> None:
    client = make_client(quirks={"oldest_first"})
    stamps = [r["attributes"]["timestamp"] for r in page(client)]
    assert stamps == sorted(stamps) and len(set(stamps)) > 1


def test_quirk_inclusive_cursor(make_client: MakeClient) -> None:
    client = make_client(quirks={"inclusive_cursor"})
    first = page(client, f"{API}/{EXACTLY_50_SEGMENT}/count-history")
    cursor = first[10]["id"]
    after = page(client, f"{API}/{EXACTLY_50_SEGMENT}/count-history/{cursor}")
    assert after[0]["id"] == cursor


def test_quirk_batch_duplicates(make_client: MakeClient) -> None:
    client = make_client(quirks={"batch_duplicates"})
    data = page(client, f"{API}/count-history?segmentIds=1,2")
    assert [r["attributes"]["segment_id"] for r in data] == ["1", "1", "2", "2"]


def test_quirk_id_mismatch(make_client: MakeClient) -> None:
    client = make_client(quirks={"id_mismatch"})
    truth = client.app.state.store.records("1")[0]
    record = page(client)[0]
    assert record["attributes"] == truth
    assert record["id"] != page(make_client(), f"{API}/1/count-history")[0]["id"]


def test_unknown_quirk_is_refused(make_client: MakeClient) -> None:
    with pytest.raises(ValueError, match="unknown quirk"):
        make_client(quirks={"nonsense"})
