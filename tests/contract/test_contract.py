"""The contract suite, in-process: Schemathesis against the bundled simulator's ASGI app.

Generated from `openapi/segments.json` with the settings of `schemathesis.toml` (all built-in
checks, positive and negative cases, deterministic) plus the semantic checks of
`tests.contract.checks`. A run where an operation never answered 200 with records fails at the
end of the session (`data_was_returned`), so a silently broken token cannot pass.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from activecampaign_simulator.app import create_app
from activecampaign_simulator.config import SimulatorConfig

from tests.contract import suite

# No rate limit in-process: the suite would otherwise spend its time on 429s.
CONFIG = SimulatorConfig(rps=0)
APP = create_app(CONFIG)
KNOWN = suite.use_store_data(APP)
schema = suite.load_schema(APP, CONFIG.token)


@schema.parametrize()
def test_simulator_honours_the_contract(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate()


def test_the_generator_draws_real_segments_and_cursors() -> None:
    # Without real ids every case would be a 404 and the semantic checks would judge nothing.
    assert len(KNOWN.ids_with_records) >= 20
    assert max(len(epochs) for epochs in KNOWN.segments.values()) > 50
