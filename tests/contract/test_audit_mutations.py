"""The audit kills every simulator quirk of the inventory through its own rule, under both profiles.

Each quirk flips one behaviour that only a comparison of several answers shows (or a per-answer
rule the audit applies too). The audit alone runs here, in-process, not the whole Schemathesis
run: about 25 requests per quirk, a fraction of a second. The unbroken simulator passes under both
profiles, having walked every chosen segment.
"""

from __future__ import annotations

import warnings

import pytest
from activecampaign_segments.contract.audit import choose_segments
from activecampaign_segments.contract.audit_run import DEFAULT_SEGMENTS, AuditOutcome, run_audit
from activecampaign_simulator.app import create_app
from activecampaign_simulator.config import KNOWN_QUIRKS, SimulatorConfig
from starlette.testclient import TestClient

from tests.contract import suite

# quirk -> the rule that must catch it (and no other rule may fire)
AUDIT_QUIRKS = {
    "short_pages": "short_page_is_last",
    "skip_at_page_boundary": "no_record_skipped_or_repeated",
    "cursor_off_by_one": "no_record_skipped_or_repeated",
    "duplicate_run_id": "run_id_unique",
    "unstable_run_id": "run_id_stable",
    "batch_previous": "batch_is_newest_record",
    "batch_unasked_id": "batch_one_record_per_requested_id",
    "foreign_segment_id": "records_belong_to_segment",
}

# The per-answer quirks of test_mutations.py that the audit sees too (the schema ones it leaves
# to Schemathesis: it does not validate against the document).
PER_ANSWER_QUIRKS = {
    "page_51": "at_most_50_records",
    "oldest_first": "newest_first",
    "inclusive_cursor": "strictly_before_cursor",
    "batch_duplicates": "batch_one_record_per_requested_id",
    "id_mismatch": "id_is_epoch_of_timestamp",
}


def audit_simulator(profile: str, *quirks: str) -> AuditOutcome:
    config = SimulatorConfig(rps=0, profile=profile, quirks=frozenset(quirks))
    app = create_app(config)
    known = suite.use_store_data(app).segments
    segments = choose_segments(known, DEFAULT_SEGMENTS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with TestClient(app, headers={"Api-Token": config.token}) as client:
            return run_audit(client, segments)


def test_every_new_quirk_is_in_the_kill_table() -> None:
    from tests.contract.test_mutations import QUIRKS

    assert set(AUDIT_QUIRKS) | set(QUIRKS) == set(KNOWN_QUIRKS)


@pytest.mark.parametrize("profile", suite.PROFILES)
def test_the_unbroken_simulator_passes_the_audit(profile: str) -> None:
    outcome = audit_simulator(profile)
    assert outcome.violations == []
    assert outcome.complete and not outcome.stopped
    assert len(outcome.segments) == DEFAULT_SEGMENTS
    forms = {exchange.ask.purpose for exchange in outcome.exchanges}
    assert forms == {"first page", "batch", "next page", "overlap probe", "end probe"}


@pytest.mark.parametrize("profile", suite.PROFILES)
@pytest.mark.parametrize("quirk", sorted(AUDIT_QUIRKS | PER_ANSWER_QUIRKS))
def test_the_audit_kills_each_quirk_through_its_own_rule(profile: str, quirk: str) -> None:
    rule = (AUDIT_QUIRKS | PER_ANSWER_QUIRKS)[quirk]
    outcome = audit_simulator(profile, quirk)
    assert {violation.rule for violation in outcome.violations} == {rule}, [
        violation.line() for violation in outcome.violations
    ]
    # A person can repeat what contradicts: every violation names at least one request.
    assert all(v.requests and v.requests[0].startswith("GET http") for v in outcome.violations)
