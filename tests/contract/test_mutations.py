"""The suite must notice a broken server: one deliberate defect at a time, and which check says so.

Each quirk of the simulator (`SimulatorConfig(quirks=...)`) flips exactly one behaviour. For each,
under BOTH profiles, the affected operation's schema-driven cases run against the broken app and
exactly the named check must fail; against the unbroken app the same cases pass and do see
records (otherwise the semantic checks would be judging nothing). A run with a wrong token must
fail the pytest session.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import schemathesis
from activecampaign_segments.contract.semantics import BATCH, CURSOR, HISTORY

from tests.conftest import ROOT
from tests.contract import harness, suite

NEGATIVE = schemathesis.GenerationMode.NEGATIVE
POSITIVE = schemathesis.GenerationMode.POSITIVE

MUTATION_EXAMPLES = 20
"""Cases per quirk run: each quirk shows on every answer with records, and half the positive cases
reach records, so 20 is plenty; it keeps 14 quirk runs (7 quirks x 2 profiles) within seconds."""

# quirk -> (operation that shows it, the check that must catch it)
QUIRKS = {
    "wrong_type": (HISTORY, "response_schema_conformance"),
    "missing_required": (CURSOR, "response_schema_conformance"),
    "page_51": (HISTORY, "at_most_50_records"),
    "oldest_first": (CURSOR, "newest_first"),
    "inclusive_cursor": (CURSOR, "strictly_before_cursor"),
    "batch_duplicates": (BATCH, "batch_one_record_per_requested_id"),
    "id_mismatch": (BATCH, "id_is_epoch_of_timestamp"),
}

# Quirks of the audit's inventory (test_audit_mutations.py) that a per-answer check sees as well.
ALSO_PER_ANSWER = {
    "batch_unasked_id": (BATCH, "batch_one_record_per_requested_id"),
    "foreign_segment_id": (CURSOR, "records_belong_to_segment"),
}


def test_every_simulator_quirk_has_a_mutation_case() -> None:
    from activecampaign_simulator.config import KNOWN_QUIRKS

    from tests.contract.test_audit_mutations import AUDIT_QUIRKS

    # The quirks only a comparison of answers shows are killed by the audit instead.
    assert set(QUIRKS) | set(AUDIT_QUIRKS) == set(KNOWN_QUIRKS)
    assert not set(QUIRKS) & set(AUDIT_QUIRKS)


@pytest.mark.parametrize("profile", suite.PROFILES)
@pytest.mark.parametrize("path", [HISTORY, CURSOR, BATCH])
@pytest.mark.parametrize("mode", [POSITIVE, NEGATIVE], ids=["positive", "negative"])
def test_unbroken_simulator_passes(
    profile: str, path: str, mode: schemathesis.GenerationMode
) -> None:
    app, token = suite.simulator_app(profile)
    outcome = harness.run_operation(app, token, path, mode=mode, max_examples=MUTATION_EXAMPLES)
    assert outcome.failures == {}
    assert sum(outcome.statuses.values()) > 0
    if mode is POSITIVE:
        # The data hook must steer cases to real segments, or the semantic checks see nothing.
        assert outcome.answers_with_records > 0, outcome.statuses
        assert outcome.findings == []
    else:
        # Invalid requests are refused with a client error or accepted, never crashed on.
        assert all(400 <= status < 500 or status == 200 for status in outcome.statuses)


@pytest.mark.parametrize("profile", suite.PROFILES)
@pytest.mark.parametrize("quirk", sorted(QUIRKS | ALSO_PER_ANSWER))
def test_broken_simulator_fails_the_named_check(profile: str, quirk: str) -> None:
    path, check = (QUIRKS | ALSO_PER_ANSWER)[quirk]
    app, token = suite.simulator_app(profile, quirk)
    outcome = harness.run_operation(app, token, path, max_examples=MUTATION_EXAMPLES)
    assert outcome.answers_with_records > 0, outcome.statuses
    assert set(outcome.failures) == {check}, outcome.failures


WRONG_TOKEN_RUN = """
from tests.contract import suite

APP, _ = suite.simulator_app("strict")
schema = suite.load_schema(APP, "not-the-token", max_examples=5)


@schema.parametrize()
def test_api(case):
    case.call_and_validate()
"""


def test_a_run_with_a_wrong_token_fails(tmp_path: Path) -> None:
    # Schemathesis alone passes an all-401 run; the `data_was_returned` check must fail it.
    test_file = tmp_path / "test_wrong_token.py"
    test_file.write_text(textwrap.dedent(WRONG_TOKEN_RUN), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(test_file),
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "data_was_returned" in output
    # Only refusals: 401, and 405 for the unexpected-method probes (PUT, DELETE, ...).
    assert re.search(r"count-history answered \[401(, 405)?\]", output), output
    assert "not-the-token" not in output
