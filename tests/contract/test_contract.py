"""The contract suite, in-process: Schemathesis against both simulator profiles' ASGI apps.

Generated from the shipped document with the shipped settings (all built-in checks, positive and
negative cases, deterministic) plus the shipped checks and hooks. The `strict` profile refuses
wherever the document is silent, the `lenient` one accepts: both serve every client correctly,
so both must pass. A run where an operation never answered 200 with records fails at the end of
the session (`data_was_returned`), so a silently broken token cannot pass.
"""

from __future__ import annotations

import schemathesis
from activecampaign_segments.contract import known_data

from tests.contract import suite

STRICT_APP, STRICT_TOKEN = suite.simulator_app("strict")
LENIENT_APP, LENIENT_TOKEN = suite.simulator_app("lenient")
strict_schema = suite.load_schema(STRICT_APP, STRICT_TOKEN)
lenient_schema = suite.load_schema(LENIENT_APP, LENIENT_TOKEN)


@strict_schema.parametrize()
def test_strict_simulator_honours_the_contract(case: schemathesis.Case) -> None:
    case.call_and_validate()


@lenient_schema.parametrize()
def test_lenient_simulator_honours_the_contract(case: schemathesis.Case) -> None:
    case.call_and_validate()


def test_the_generator_draws_real_segments_and_cursors() -> None:
    # Without real ids every case would be a 404 and the semantic checks would judge nothing.
    known = known_data.KNOWN
    assert len(known.ids_with_records) >= 20
    assert max(len(epochs) for epochs in known.segments.values()) > 50
