"""Run one operation's schema-driven cases against an app and report what the checks said.

The mutation tests need "which check failed", not just "it failed", and must not let a broken
app's failures leak into the pytest session, so they drive the operation's Hypothesis strategy
(the one `@schema.parametrize()` uses, with the same hooks, auth and checks) directly and collect
every check result through Schemathesis's `after_validate` hook, plus the findings and drift the
shipped hooks recorded.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from activecampaign_segments.contract import semantics
from activecampaign_segments.contract.hooks import OBSERVATIONS
from activecampaign_segments.contract.verdicts import DriftItem, Finding
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.core.failures import FailureGroup

from tests.contract import suite


@dataclass
class Outcome:
    """What a run saw: failing checks (name -> first message), findings, drift, statuses."""

    failures: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    drift: list[DriftItem] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    answers_with_records: int = 0

    @property
    def finding_checks(self) -> set[str]:
        """The names of the checks that recorded findings."""
        return {finding.check for finding in self.findings}


def run_operation(
    app: Any,
    token: str,
    path: str,
    *,
    mode: schemathesis.GenerationMode = schemathesis.GenerationMode.POSITIVE,
    max_examples: int = 30,
) -> Outcome:
    """Run `max_examples` deterministic cases of `GET path` against `app`, collecting results."""
    schema = suite.load_schema(app, token)
    outcome = Outcome()
    OBSERVATIONS.clear()

    @schema.hook
    def after_validate(
        context: schemathesis.HookContext,
        case: schemathesis.Case,
        response: schemathesis.Response,
        results: list[Any],
    ) -> None:
        outcome.statuses[response.status_code] += 1
        if response.status_code == 200:
            records = semantics.records_of(response.json())
            outcome.answers_with_records += bool(records)
        for result in results:
            if result.failure is not None:
                outcome.failures.setdefault(result.name, result.failure.message)

    strategy = schema[path]["GET"].as_strategy(generation_mode=mode)

    @given(case=strategy)
    @settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],  # no shrinking: every failure is collected, none is re-raised
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        # Failures are recorded by the hook above; none is re-raised, so all are collected.
        with contextlib.suppress(AssertionError, FailureGroup):
            case.call_and_validate()

    run()
    outcome.findings = OBSERVATIONS.findings
    outcome.drift = OBSERVATIONS.drift
    return outcome
