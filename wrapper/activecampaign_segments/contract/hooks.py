"""Schemathesis extensions for the segment count history API: checks, verdict tiers, data, auth.

One module, loaded by every runner so they judge servers identically: the Schemathesis CLI
loads it with ``SCHEMATHESIS_HOOKS=activecampaign_segments.contract.hooks`` (what
``ac-segments contract`` does), and the in-process pytest suite imports it. It registers:

- one check per semantic rule of `semantics.RULES`, judging what the server received (the
  decoded request as sent, see `received`) against what it answered;
- the two verdict tiers (see `verdicts`): Schemathesis's ``negative_data_rejection``,
  ``status_code_conformance`` and ``unsupported_method`` are switched off in the shipped
  ``schemathesis.toml`` and run here instead, under the names `invalid_input_handling` and
  `documented_status`. A valid request answered with an undocumented status still fails; an
  invalid request answered 2xx, with an undocumented 4xx, or an undocumented method not
  answered 405, is recorded as a finding in `OBSERVATIONS` and passes;
- `undocumented_in_answers`, which never fails: it counts attributes, headers and statuses the
  document does not describe (the drift report);
- `data_was_returned`, a run-level check that fails a run in which an operation never answered
  200 with records (an all-401 run proves nothing, and Schemathesis would pass it);
- a `flatmap_case` hook that rewrites about half of the positive cases to use real segment ids
  and real record epochs as cursors (`known_data`), so the semantic checks see data;
- when ``AC_CONTRACT_API_TOKEN`` is set, an auth provider sending it as ``Api-Token``, so the
  token travels in the environment and never on a command line.

When ``AC_CONTRACT_OBSERVATIONS`` names a file, the findings and drift are written there as JSON
when the process exits (the runner reads them back).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import schemathesis
from hypothesis import strategies as st
from schemathesis.core.failures import Failure
from schemathesis.generation.meta import CoveragePhaseData, CoverageScenario
from schemathesis.specs.openapi import checks as builtin

from activecampaign_segments.contract import known_data, resources, semantics
from activecampaign_segments.contract.drift import undescribed
from activecampaign_segments.contract.received import received
from activecampaign_segments.contract.semantics import BATCH, CURSOR, HISTORY, Rule
from activecampaign_segments.contract.settings import OBSERVATIONS_ENV, TOKEN_ENV
from activecampaign_segments.contract.verdicts import Observations

UNKNOWN_ID = "999999999"
"""An id the batch hook mixes in: it must be ignored or answered, never break the rules."""

OBSERVATIONS = Observations()
"""Findings and drift of the run in this process."""

DOCUMENT: dict[str, Any] = json.loads(resources.document_path().read_text(encoding="utf-8"))

AnyCase = schemathesis.Case[Any]


def _body(response: schemathesis.Response) -> Any:
    try:
        return response.json()
    except Exception:
        return None


def _request_line(response: schemathesis.Response) -> str:
    parts = urlsplit(str(response.request.url))
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return f"{response.request.method} {target}"


def operation_name(case: AnyCase) -> str:
    """The operation's ``operationId`` (its label when the document gives none)."""
    operation = (DOCUMENT.get("paths") or {}).get(case.path, {}).get(case.method.lower(), {})
    name = operation.get("operationId") if isinstance(operation, dict) else None
    return str(name) if name else case.operation.label


def _register_rule(rule: Rule) -> None:
    def check(
        ctx: schemathesis.CheckContext, response: schemathesis.Response, case: AnyCase
    ) -> None:
        if case.path not in rule.paths or response.status_code != 200:
            return
        records = semantics.records_of(_body(response))
        request = received(str(response.request.url), case.path) if records is not None else None
        if records is None or request is None:
            return
        problems = rule.function(records, request)
        if problems:
            raise AssertionError(f"{_request_line(response)}: " + "; ".join(problems))

    check.__name__ = check.__qualname__ = rule.name
    check.__doc__ = rule.description
    schemathesis.check(check)


for _rule in semantics.RULES:
    _register_rule(_rule)


def is_invalid_request(case: AnyCase) -> bool:
    """Whether the case was built to violate the document (a negative case or method probe)."""
    meta = case.meta
    if meta is None:
        return False
    if meta.generation.mode.is_negative:
        return True
    data = meta.phase.data
    return (
        isinstance(data, CoveragePhaseData)
        and data.scenario == CoverageScenario.UNSPECIFIED_HTTP_METHOD
    )


def _finding_summary(failure: Failure) -> str:
    return " ".join(str(failure.title).split())


def _record(check: str, failure: Failure, response: schemathesis.Response, case: Any) -> None:
    OBSERVATIONS.add_finding(
        check,
        operation_name(case),
        response.status_code,
        _finding_summary(failure),
        f"{_request_line(response)} -> {response.status_code}",
    )


@schemathesis.check
def invalid_input_handling(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: AnyCase
) -> None:
    """Invalid input accepted (2xx) or an undocumented method not refused: findings, never failures.

    Runs Schemathesis's ``negative_data_rejection`` and ``unsupported_method`` and records what
    they would have failed. A server more lenient than the document breaks no client.
    """
    for name, function in (
        ("negative_data_rejection", builtin.negative_data_rejection),
        ("unsupported_method", builtin.unsupported_method),
    ):
        try:
            function(ctx, response, case)
        except Failure as failure:
            _record(name, failure, response, case)


@schemathesis.check
def documented_status(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: AnyCase
) -> None:
    """Schemathesis's ``status_code_conformance`` in two tiers.

    A valid request answered with a status the document does not list fails; an invalid request
    answered with an undocumented 4xx is a finding (the client gets an error either way).
    """
    try:
        builtin.status_code_conformance(ctx, response, case)
    except Failure as failure:
        if is_invalid_request(case) and 400 <= response.status_code < 500:
            _record("status_code_conformance", failure, response, case)
            return
        raise


@schemathesis.check
def undocumented_in_answers(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: AnyCase
) -> None:
    """Count what answers carry that the document does not describe; never fails (drift)."""
    body = _body(response) if response.content else None
    items = undescribed(
        DOCUMENT, case.path, case.method, response.status_code, response.headers.keys(), body
    )
    OBSERVATIONS.add_answer(operation_name(case), response.status_code, items)


@schemathesis.check
class data_was_returned:  # lower case: Schemathesis names the check after the class
    """Fail the run if an operation never answered 200 with at least one record.

    Schemathesis passes a run in which every request was refused (a wrong token gives an all-401
    run) or never reached a segment with records: then none of the semantic checks ever looked
    at a record. This makes such a run fail with the likely causes.
    """

    def __init__(self) -> None:
        self.tested: set[str] = set()
        self.with_data: set[str] = set()
        self.statuses: dict[str, set[int]] = {}

    def after_response(
        self,
        ctx: schemathesis.CheckContext,
        response: schemathesis.Response,
        case: AnyCase,
    ) -> None:
        """Note the operation, its status, and whether the answer held records."""
        label = case.operation.label
        self.tested.add(label)
        self.statuses.setdefault(label, set()).add(response.status_code)
        if response.status_code == 200 and semantics.records_of(_body(response)):
            self.with_data.add(label)

    def after_run(self, ctx: schemathesis.CheckContext) -> None:
        """Fail when an operation never returned a record."""
        missing = sorted(self.tested - self.with_data)
        if missing:
            seen = "; ".join(
                f"{label} answered {sorted(self.statuses.get(label, set()))}" for label in missing
            )
            raise AssertionError(
                "no 200 answer with records from: "
                f"{seen}. The semantic checks never saw a record, so this run proves nothing. "
                "If the statuses are 401/403 the API token is wrong or missing; if they are 404 "
                "no requested segment exists (pass --segment-ids with ids that have history)."
            )


def _is_positive(case: AnyCase) -> bool:
    meta = case.meta
    return meta is not None and not meta.generation.mode.is_negative


def _with_segment(case: AnyCase, segment_id: str) -> AnyCase:
    case.path_parameters = {**case.path_parameters, "segmentId": segment_id}
    return case


def _with_cursor(case: AnyCase, segment_id: str, cursor: int) -> AnyCase:
    case.path_parameters = {**case.path_parameters, "segmentId": segment_id, "timestamp": cursor}
    return case


def _with_batch(case: AnyCase, ids: list[str]) -> AnyCase:
    case.query = {**(case.query or {}), "segmentIds": ",".join(ids)}
    return case


def _cursors(epochs: list[int]) -> st.SearchStrategy[int]:
    # A record's own second exposes an inclusive cursor; one past it is the ordinary next page.
    return st.sampled_from(epochs).flatmap(lambda epoch: st.sampled_from([epoch, epoch + 1]))


def _real_data_case(case: AnyCase) -> st.SearchStrategy[AnyCase] | None:
    known = known_data.KNOWN
    if case.path == HISTORY and known.ids:
        # Segments with records first: a history answer without any proves little.
        ids = known.ids_with_records or known.ids
        return st.sampled_from(ids).map(lambda sid: _with_segment(case, sid))
    if case.path == CURSOR and known.ids_with_records:
        return st.sampled_from(known.ids_with_records).flatmap(
            lambda sid: _cursors(known.segments[sid]).map(lambda cur: _with_cursor(case, sid, cur))
        )
    if case.path == BATCH and known.ids:
        requested = st.lists(st.sampled_from(known.ids), min_size=1, max_size=10, unique=True)
        with_unknown = st.tuples(requested, st.booleans()).map(
            lambda pair: pair[0] + [UNKNOWN_ID] if pair[1] else pair[0]
        )
        return with_unknown.map(lambda ids: _with_batch(case, ids))
    return None


@schemathesis.hook
def flatmap_case(context: schemathesis.HookContext, case: AnyCase) -> Any:
    """Send about half of the positive cases to real segments and real cursors.

    Negative cases are left alone: they must stay invalid for the negative checks to mean anything.
    """
    real = _real_data_case(case) if _is_positive(case) else None
    if real is None:
        return st.just(case)
    # Real data first: Hypothesis's first (simplest) draws take the first branch, so even a short
    # run (--max-examples 10) reaches records on every operation.
    return st.one_of(real, st.just(case))


if TOKEN_ENV in os.environ:

    @schemathesis.auth(refresh_interval=None, retry_on=[])
    class ApiTokenFromEnvironment:
        """Send ``AC_CONTRACT_API_TOKEN`` as the ``Api-Token`` header (read once per run)."""

        def get(self, case: AnyCase, ctx: schemathesis.AuthContext) -> str:
            """The token, from the environment."""
            return os.environ[TOKEN_ENV]

        def set(self, case: AnyCase, data: str, ctx: schemathesis.AuthContext) -> None:
            """Put it in the ``Api-Token`` header."""
            case.headers["Api-Token"] = data


def _write_observations(path: Path) -> None:
    # At exit the run is over; a report folder that vanished must not add a traceback.
    with contextlib.suppress(OSError):
        path.write_text(OBSERVATIONS.to_json(), encoding="utf-8")


if os.environ.get(OBSERVATIONS_ENV):
    atexit.register(_write_observations, Path(os.environ[OBSERVATIONS_ENV]))

known_data.load_from_env()
