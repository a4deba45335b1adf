"""The two false alarms an independently written ActiveCampaign fake met (issue 9), as tests.

Both came from a server that serves every client correctly and differs from the strict simulator
only where the document is silent: the `lenient` profile reproduces it.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from activecampaign_segments.contract import semantics
from activecampaign_segments.contract.semantics import CURSOR, HISTORY

from tests.contract import harness, suite

# The id: sent as %F1%92%92%A5L%F1%A3%B6%99%C3%89, read by the server as this string.
UNICODE_ID = "\U000524a5L\U00063d99\u00c9"
SENT = "http://127.0.0.1:8765/api/3/segmentsV2/%F1%92%92%A5L%F1%A3%B6%99%C3%89/count-history/30611"


def _record(segment_id: str) -> dict[str, Any]:
    return {
        "id": "30000",
        "type": "SegmentCountHistory",
        "attributes": {"timestamp": "1970-01-01T08:20:00.000Z", "segment_id": segment_id},
    }


def test_records_of_the_decoded_id_belong_to_the_segment() -> None:
    # ST901 `records_belong_to_segment` compared the decoded segment_id with the still
    # percent-encoded path parameter; it must compare with what the server received.
    body = {"data": [_record(UNICODE_ID)]}
    assert semantics.judge(CURSOR, SENT, 200, body) == {}
    # ...and still catches a record of any other segment, the encoded form included.
    encoded = {"data": [_record("%F1%92%92%A5L%F1%A3%B6%99%C3%89")]}
    assert set(semantics.judge(CURSOR, SENT, 200, encoded)) == {"records_belong_to_segment"}


def test_a_server_with_history_for_a_unicode_id_passes_every_check() -> None:
    app, token = suite.simulator_app("lenient")
    schema = suite.load_schema(app, token)
    case = schema[HISTORY]["GET"].Case(
        path_parameters={"segmentId": UNICODE_ID}, headers={"Api-Token": token}
    )
    response = case.call()
    assert response.status_code == 200
    records = semantics.records_of(response.json())
    assert records and {r["attributes"]["segment_id"] for r in records} == {UNICODE_ID}
    case.validate_response(response)  # raises on any failing check


def test_invalid_input_answered_200_is_a_finding_not_a_failure() -> None:
    # ST201 `negative_data_rejection`: /count-history/9223372036854775808 (above int64) answered
    # 200. More lenient than the document on invalid input breaks no client.
    app, token = suite.simulator_app("lenient")
    outcome = harness.run_operation(
        app, token, CURSOR, mode=schemathesis.GenerationMode.NEGATIVE, max_examples=20
    )
    assert outcome.failures == {}
    assert 200 in outcome.statuses
    assert "negative_data_rejection" in outcome.finding_checks
    finding = next(f for f in outcome.findings if f.check == "negative_data_rejection")
    assert finding.operation == "get_count_history_with_timestamp" and finding.status == 200


def test_the_strict_profile_refuses_the_same_input_so_has_no_finding() -> None:
    app, token = suite.simulator_app("strict")
    outcome = harness.run_operation(
        app, token, CURSOR, mode=schemathesis.GenerationMode.NEGATIVE, max_examples=20
    )
    assert outcome.failures == {} and outcome.findings == []
