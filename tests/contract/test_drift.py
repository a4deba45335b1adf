"""The drift report: what answers carry that the document does not describe."""

from __future__ import annotations

import json
from pathlib import Path

from activecampaign_segments.contract.drift import undescribed
from activecampaign_segments.contract.hooks import DOCUMENT
from activecampaign_segments.contract.semantics import BATCH, HISTORY
from activecampaign_segments.contract.verdicts import DriftItem, write_drift

from tests.contract import harness, suite
from tests.contract.drifting import EXTRA_ATTRIBUTE, EXTRA_HEADER, add_undocumented_fields
from tests.documented import complete

RECORD = {
    "id": "1",
    "type": "SegmentCountHistory",
    "attributes": complete({"timestamp": "2024-01-01T00:00:00Z", "segment_id": "1",
                            "segment_hash": "h", "run_id": "r", "result_count": 1,
                            "contact_delta": 2}),
}  # fmt: skip


def test_an_attribute_header_and_status_the_document_lacks_are_named() -> None:
    items = undescribed(
        DOCUMENT, HISTORY, "GET", 200, ["Content-Type", "X-Count-Source"], {"data": [RECORD]}
    )
    assert items == [("header", "x-count-source"), ("attribute", "data[].attributes.contact_delta")]
    assert undescribed(DOCUMENT, HISTORY, "GET", 418, [], None) == [("status", "418")]


def test_what_the_document_describes_is_not_drift() -> None:
    documented = {**RECORD, "attributes": {k: v for k, v in RECORD["attributes"].items()
                                           if k != "contact_delta"}}  # fmt: skip
    assert (
        undescribed(DOCUMENT, BATCH, "get", 200, ["content-length"], {"data": [documented]}) == []
    )
    # 429's Retry-After is declared; an error body's fields are described too.
    error = {"errors": [{"status": "429", "title": "Too Many Requests", "detail": "slow down"}]}
    assert undescribed(DOCUMENT, HISTORY, "GET", 429, ["Retry-After"], error) == []


def test_a_server_adding_an_attribute_and_a_header_is_reported_not_failed() -> None:
    app, token = suite.simulator_app("strict")
    add_undocumented_fields(app)
    outcome = harness.run_operation(app, token, HISTORY, max_examples=15)
    assert outcome.failures == {}
    by_name = {(item.kind, item.name): item for item in outcome.drift}
    attribute = by_name["attribute", f"data[].attributes.{EXTRA_ATTRIBUTE}"]
    header = by_name["header", EXTRA_HEADER]
    # Every 200 with records carried the attribute; every answer carried the header.
    assert attribute.status == 200 and 0 < attribute.seen <= attribute.answers
    assert attribute.seen == outcome.answers_with_records
    assert header.seen == header.answers
    assert attribute.line() == (
        f"`data[].attributes.{EXTRA_ATTRIBUTE}`: in {attribute.seen} of {attribute.answers} "
        "answers (HTTP 200) of get_count_history_by_segment_id, not in the document"
    )


def test_the_unchanged_simulator_has_no_drift() -> None:
    app, token = suite.simulator_app("lenient")
    outcome = harness.run_operation(app, token, HISTORY, max_examples=10)
    assert outcome.drift == []


def test_drift_json_lists_every_item(tmp_path: Path) -> None:
    item = DriftItem("get_recent_count_history", 200, "header", "x-new", 3, 4)
    write_drift(tmp_path / "drift.json", [item])
    assert json.loads((tmp_path / "drift.json").read_text()) == {
        "items": [{"operation": "get_recent_count_history", "status": 200, "kind": "header",
                   "name": "x-new", "seen": 3, "answers": 4}]
    }  # fmt: skip
    write_drift(tmp_path / "drift.json", [])
    assert json.loads((tmp_path / "drift.json").read_text()) == {"items": []}
