"""Property tests of the audit's rules: conforming answer sequences never fail; each violating
sequence fails with exactly its rule.

The sequences are what `AuditPlan` asks of a model server (`model.respond`), over arbitrary
histories: any size (0, 1, 50, 51, hundreds), many records in one second or one millisecond, a
second cut by the page boundary, bursts of more than a page in one second, any segment id
(unicode, `%`, spaces, `/`, dots), and a count recorded while the audit runs.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from activecampaign_segments.contract.audit import (
    AUDIT_RULES,
    Ask,
    AuditPlan,
    Exchange,
    choose_segments,
    judge_exchanges,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.contract import model
from tests.contract.model import Defect

PROPERTIES = settings(max_examples=40, deadline=None, derandomize=True, database=None)
START_MS = 1_700_000_000_000

segment_ids = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=8)
batch_ids = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters=","), min_size=1, max_size=8
)


@st.composite
def history(
    draw: st.DrawFn, segment_id: str, size: tuple[int, int] = (0, 160), crowded: bool = True
) -> list[dict[str, Any]]:
    """Newest first. ``crowded``: seconds (and milliseconds) shared by many records."""
    count = draw(st.integers(*size))
    moments: list[int] = []
    ts = START_MS
    for _ in range(count):
        if crowded:
            ts -= draw(st.sampled_from([0, 1, 400, 1000, 3_600_000]))
        else:
            ts -= draw(st.integers(1001, 3_600_000))
        moments.append(ts)
    return [model.record(segment_id, ms, f"run-{segment_id}-{i}") for i, ms in enumerate(moments)]


@st.composite
def histories(
    draw: st.DrawFn,
    size: tuple[int, int] = (0, 160),
    crowded: bool = True,
    ids: st.SearchStrategy[str] = segment_ids,
) -> dict[str, list[dict[str, Any]]]:
    """A few segments' histories (an id with a comma is walked but cannot be batched)."""
    chosen = draw(st.lists(ids, min_size=1, max_size=3, unique=True))
    return {sid: draw(history(sid, size, crowded)) for sid in chosen}


def rules(exchanges: list[Exchange]) -> set[str]:
    return {violation.rule for violation in judge_exchanges(exchanges)}


# --- conforming answer sequences never fail ---------------------------------------------


@PROPERTIES
@given(data=histories())
def test_a_conforming_server_never_fails(data: dict[str, list[dict[str, Any]]]) -> None:
    exchanges = model.audit(data)
    assert judge_exchanges(exchanges) == []


@PROPERTIES
@given(data=histories(), after=st.integers(0, 12))
def test_a_count_recorded_during_the_audit_is_no_violation(
    data: dict[str, list[dict[str, Any]]], after: int
) -> None:
    assert judge_exchanges(model.audit(data, new_record_after=after)) == []


@PROPERTIES
@given(size=st.sampled_from([0, 1, 49, 50, 51, 99, 100, 101]), sid=segment_ids)
def test_boundary_sizes_pass(size: int, sid: str) -> None:
    data = {sid: [model.record(sid, START_MS - i * 1500, f"r{i}") for i in range(size)]}
    assert judge_exchanges(model.audit(data)) == []


def test_a_burst_of_more_than_a_page_in_one_second_passes() -> None:
    # 5 records, then 70 in one second (a page cannot hold them), then 30 more.
    moments = [START_MS - i * 5000 for i in range(5)]
    moments += [START_MS - 60_000 - i for i in range(70)]
    moments += [START_MS - 120_000 - i * 5000 for i in range(30)]
    data = {"burst": [model.record("burst", ms, f"r{i}") for i, ms in enumerate(moments)]}
    exchanges = model.audit(data)
    assert len(exchanges) > 4
    assert judge_exchanges(exchanges) == []


# --- each violating sequence fails with exactly its rule ------------------------------------

SPREAD = {"crowded": False}
"""Violating histories: records in distinct seconds, so the defect always shows."""


@PROPERTIES
@given(data=histories(size=(102, 160), **SPREAD))
def test_a_record_skipped_at_each_page_boundary_fails(
    data: dict[str, list[dict[str, Any]]],
) -> None:
    exchanges = model.audit(data, Defect(skip_at_page_boundary=True))
    assert rules(exchanges) == {"no_record_skipped_or_repeated"}


@PROPERTIES
@given(data=histories(size=(51, 160), **SPREAD))
def test_a_cursor_that_also_drops_the_second_below_it_fails(
    data: dict[str, list[dict[str, Any]]],
) -> None:
    assert rules(model.audit(data, Defect(cursor_off_by_one=True))) == {
        "no_record_skipped_or_repeated"
    }


@PROPERTIES
@given(data=histories(size=(41, 160), **SPREAD))
def test_short_pages_with_more_history_fail(data: dict[str, list[dict[str, Any]]]) -> None:
    assert rules(model.audit(data, Defect(page_size=40))) == {"short_page_is_last"}


@PROPERTIES
@given(data=histories(size=(2, 160), **SPREAD), st_index=st.data())
def test_two_records_sharing_a_run_id_fail(
    data: dict[str, list[dict[str, Any]]], st_index: Any
) -> None:
    sid = next(iter(data))
    first_page = data[sid][: min(50, len(data[sid]))]
    index = st_index.draw(st.integers(0, len(first_page) - 2))
    first_page[index]["attributes"]["run_id"] = first_page[index + 1]["attributes"]["run_id"]
    assert rules(model.audit(data)) == {"run_id_unique"}


@PROPERTIES
@given(data=histories(size=(50, 160), **SPREAD))
def test_run_ids_that_change_between_forms_fail(data: dict[str, list[dict[str, Any]]]) -> None:
    assert rules(model.audit(data, Defect(unstable_run_id=True))) == {"run_id_stable"}


@PROPERTIES
@given(data=histories(size=(2, 160), ids=batch_ids, **SPREAD))
def test_a_batch_answering_the_previous_count_fails(
    data: dict[str, list[dict[str, Any]]],
) -> None:
    assert rules(model.audit(data, Defect(batch_previous=True))) == {"batch_is_newest_record"}


@PROPERTIES
@given(data=histories(size=(1, 160), **SPREAD))
def test_a_timestamp_form_labelling_another_segment_fails(
    data: dict[str, list[dict[str, Any]]],
) -> None:
    found = rules(model.audit(data, Defect(foreign_segment_id=True)))
    assert found == {"records_belong_to_segment"}


@PROPERTIES
@given(data=histories(size=(1, 160), ids=batch_ids, **SPREAD), drop=st.booleans())
def test_a_batch_leaving_out_a_segment_with_history_fails(
    data: dict[str, list[dict[str, Any]]], drop: bool
) -> None:
    exchanges = model.audit(data)
    batch = next(e for e in exchanges if e.ask.form == "batch")
    records = batch.body["data"]
    del records[0 if drop else -1]
    assert rules(exchanges) == {"batch_is_newest_record"}


@PROPERTIES
@given(data=histories(size=(2, 49), **SPREAD))
def test_a_record_repeated_in_one_answer_fails(data: dict[str, list[dict[str, Any]]]) -> None:
    exchanges = model.audit(data)
    page = next(e for e in exchanges if e.ask.form == "page")
    page.body["data"].append(page.body["data"][-1])
    assert "no_record_skipped_or_repeated" in rules(exchanges)


# --- what a failure names, and bad answers ------------------------------------------------


def test_a_failure_names_both_requests_and_the_record() -> None:
    data = {"a b%é": [model.record("a b%é", START_MS - i * 2000, f"r{i}") for i in range(120)]}
    violations = judge_exchanges(model.audit(data, Defect(skip_at_page_boundary=True)))
    line = violations[0].line()
    assert line.startswith("no_record_skipped_or_repeated: segment 'a b%é': the first answer")
    assert "e.g. record id '" in line and "run_id 'r" in line
    assert f"GET {model.BASE}/api/3/segmentsV2/a%20b%25%C3%A9/count-history" in line
    assert " vs GET " in line


def test_garbage_errors_and_no_answer_each_fail_naming_the_request() -> None:
    ask = Ask("cursor", "7", 1_700_000_000, purpose="next page")
    url = model.BASE + ask.target
    cases = [
        Exchange(ask, url, 200, None),
        Exchange(ask, url, 200, {"data": "nope"}),
        Exchange(ask, url, 500, {"errors": []}),
        Exchange(ask, url, 0, None, "no answer within 0.5 s (timeout)"),
    ]
    for exchange in cases:
        (violation,) = judge_exchanges([exchange])
        assert violation.rule == "audit_answered"
        assert violation.requests == (f"GET {url}",)


def test_the_plan_walks_like_the_client_and_probes_each_boundary() -> None:
    data = {"s": [model.record("s", START_MS - i * 2000, f"r{i}") for i in range(230)]}
    purposes = [e.ask.purpose for e in model.audit(data)]
    assert purposes[:2] == ["first page", "batch"]
    assert purposes.count("next page") == 3  # 4 pages per segment
    assert purposes.count("overlap probe") == 3
    plan = AuditPlan(["x", "y,z"])
    asks = [plan.next_ask() for _ in range(3)]
    assert asks[2] is not None and asks[2].ids == ("x",)  # an id with a comma cannot be batched


def test_segments_cut_by_a_page_boundary_are_walked_first() -> None:
    known = {"a": list(range(60, 0, -1)), "b": [], "c": [5, 4], "d": [60 - i for i in range(49)]}
    known["d"] += [11, 11, 10]  # records 49 and 50 share a second
    assert choose_segments(known, 3) == ["d", "a", "c"]


def test_every_audit_rule_is_documented() -> None:
    assert set(AUDIT_RULES) >= {
        "no_record_skipped_or_repeated",
        "short_page_is_last",
        "run_id_unique",
        "run_id_stable",
        "batch_is_newest_record",
        "audit_answered",
    }


@PROPERTIES
@given(data=histories(size=(1, 160)))
def test_forms_writing_timestamps_with_other_precision_pass(
    data: dict[str, list[dict[str, Any]]],
) -> None:
    # A batch form (and timestamp form) that drops the milliseconds: the same records.
    exchanges = [replace(e, body=copy.deepcopy(e.body)) for e in model.audit(data)]
    for exchange in exchanges:
        if exchange.ask.form != "page":
            for item in exchange.body["data"]:
                stamp = item["attributes"]["timestamp"]
                item["attributes"]["timestamp"] = stamp[:19] + "Z"
    assert judge_exchanges(exchanges) == []
