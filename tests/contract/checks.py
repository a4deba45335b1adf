"""Schemathesis extensions for the segment count history API: semantic checks, data hooks, auth.

One module, loaded by both runners so they judge servers identically:

- pytest imports it (`tests/contract/test_contract.py`);
- the Schemathesis CLI loads it with `SCHEMATHESIS_HOOKS=tests.contract.checks` and the repository
  root on `PYTHONPATH` (what `make contract` / `tools/contract.py` do).

It registers:

- one check per semantic rule of `tests.contract.semantics`, run on every response (each ignores
  anything but a 200 with a count-history body);
- `data_was_returned`, a run-level check that fails the run when an operation never answered 200
  with records: an all-401 run (a wrong token) or a run that never hit a real segment proves
  nothing, and Schemathesis would otherwise pass it;
- a `flatmap_case` hook that rewrites about half of the positive cases to use real segment ids and
  real record epochs as cursors (`tests.contract.known_data`), so the semantic checks see data;
- when `AC_CONTRACT_API_TOKEN` is set, an auth provider that sends it as `Api-Token`, so the token
  travels in the environment and never on a command line.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import schemathesis
from hypothesis import strategies as st

from tests.contract import known_data, semantics
from tests.contract.envvars import TOKEN_ENV

HISTORY = "/api/3/segmentsV2/{segmentId}/count-history"
CURSOR = "/api/3/segmentsV2/{segmentId}/count-history/{timestamp}"
BATCH = "/api/3/segmentsV2/count-history"
UNKNOWN_ID = "999999999"
"""An id the batch hook mixes in: it must be ignored, not answered."""


def _records(response: schemathesis.Response) -> list[dict[str, Any]] | None:
    """The records of a 200 count-history answer; None for anything else (other checks judge it)."""
    if response.status_code != 200:
        return None
    try:
        body = response.json()
    except Exception:
        return None
    return semantics.records_of(body)


def _fail(case: schemathesis.Case[Any], problems: list[str]) -> None:
    if problems:
        request = f"{case.method} {case.formatted_path}"
        if case.query:
            request += "?" + "&".join(f"{k}={v}" for k, v in case.query.items())
        raise AssertionError(f"{request}: " + "; ".join(problems))


Rule = Callable[[list[dict[str, Any]], schemathesis.Case[Any]], list[str]]


def semantic_check(*paths: str) -> Callable[[Rule], Rule]:
    """Register `rule(records, case) -> problems` as a Schemathesis check for `paths`.

    The check keeps the rule's name (what Schemathesis reports) and runs on every response, but
    judges only a 200 count-history body of one of `paths`; anything else is left to the
    built-in checks.
    """

    def register(rule: Rule) -> Rule:
        @functools.wraps(rule)
        def check(
            ctx: schemathesis.CheckContext,
            response: schemathesis.Response,
            case: schemathesis.Case[Any],
        ) -> None:
            records = _records(response) if case.path in paths else None
            if records is not None:
                _fail(case, rule(records, case))

        schemathesis.check(check)
        return rule

    return register


@semantic_check(HISTORY, CURSOR)
def at_most_50_records(records: list[dict[str, Any]], case: schemathesis.Case[Any]) -> list[str]:
    """A segment's count-history answer holds at most 50 records (the batch form may hold 100)."""
    return semantics.page_size_problems(records)


@semantic_check(HISTORY, CURSOR)
def newest_first(records: list[dict[str, Any]], case: schemathesis.Case[Any]) -> list[str]:
    """A segment's records come newest first (the batch form's order is not specified)."""
    return semantics.ordering_problems(records)


@semantic_check(CURSOR)
def strictly_before_cursor(
    records: list[dict[str, Any]], case: schemathesis.Case[Any]
) -> list[str]:
    """With a `timestamp` cursor, every record is strictly older than that epoch second."""
    cursor = semantics.parse_cursor(case.path_parameters.get("timestamp"))
    return [] if cursor is None else semantics.cursor_problems(records, cursor)


@semantic_check(HISTORY, CURSOR, BATCH)
def id_is_epoch_of_timestamp(
    records: list[dict[str, Any]], case: schemathesis.Case[Any]
) -> list[str]:
    """Each record's `id` is the epoch seconds of its `attributes.timestamp`."""
    return semantics.id_problems(records)


@semantic_check(HISTORY, CURSOR)
def records_belong_to_segment(
    records: list[dict[str, Any]], case: schemathesis.Case[Any]
) -> list[str]:
    """A segment's history holds only records of that segment."""
    segment_id = case.path_parameters.get("segmentId")
    return semantics.segment_problems(records, segment_id) if isinstance(segment_id, str) else []


@semantic_check(BATCH)
def batch_one_record_per_requested_id(
    records: list[dict[str, Any]], case: schemathesis.Case[Any]
) -> list[str]:
    """The batch form returns at most one record per requested id, and only requested ids."""
    raw = case.query.get("segmentIds")
    return semantics.batch_problems(records, raw.split(",")) if isinstance(raw, str) else []


@schemathesis.check
class data_was_returned:  # lower case: Schemathesis names the check after the class
    """Fail the run if an operation never answered 200 with at least one record.

    Schemathesis passes a run in which every request was refused (a wrong token gives an all-401
    run) or never reached a real segment (all 404): then none of the semantic checks above ever
    looked at a record. This makes such a run fail with the likely causes.
    """

    def __init__(self) -> None:
        self.tested: set[str] = set()
        self.with_data: set[str] = set()
        self.statuses: dict[str, set[int]] = {}

    def after_response(
        self,
        ctx: schemathesis.CheckContext,
        response: schemathesis.Response,
        case: schemathesis.Case[Any],
    ) -> None:
        label = case.operation.label
        self.tested.add(label)
        self.statuses.setdefault(label, set()).add(response.status_code)
        if _records(response):
            self.with_data.add(label)

    def after_run(self, ctx: schemathesis.CheckContext) -> None:
        missing = sorted(self.tested - self.with_data)
        if missing:
            seen = "; ".join(
                f"{label} answered {sorted(self.statuses.get(label, set()))}" for label in missing
            )
            raise AssertionError(
                "no 200 answer with records from: "
                f"{seen}. The semantic checks never saw a record, so this run proves nothing. "
                "If the statuses are 401/403 the API token is wrong or missing; if they are 404 "
                "no requested segment exists (set SEGMENT_IDS to ids that have count history)."
            )


def _is_positive(case: schemathesis.Case[Any]) -> bool:
    meta = case.meta
    return meta is not None and not meta.generation.mode.is_negative


def _with_segment(case: schemathesis.Case[Any], segment_id: str) -> schemathesis.Case[Any]:
    case.path_parameters = {**case.path_parameters, "segmentId": segment_id}
    return case


def _with_cursor(
    case: schemathesis.Case[Any], segment_id: str, cursor: int
) -> schemathesis.Case[Any]:
    case.path_parameters = {**case.path_parameters, "segmentId": segment_id, "timestamp": cursor}
    return case


def _with_batch(case: schemathesis.Case[Any], ids: list[str]) -> schemathesis.Case[Any]:
    case.query = {**case.query, "segmentIds": ",".join(ids)}
    return case


def _cursors(epochs: list[int]) -> st.SearchStrategy[int]:
    # A record's own second exposes an inclusive cursor; one past it is the ordinary next page.
    return st.sampled_from(epochs).flatmap(lambda epoch: st.sampled_from([epoch, epoch + 1]))


def _real_data_case(
    case: schemathesis.Case[Any],
) -> st.SearchStrategy[schemathesis.Case[Any]] | None:
    known = known_data.KNOWN
    if case.path == HISTORY and known.ids:
        return st.sampled_from(known.ids).map(lambda sid: _with_segment(case, sid))
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
def flatmap_case(context: schemathesis.HookContext, case: schemathesis.Case[Any]) -> Any:
    """Send about half of the positive cases to real segments and real cursors.

    Negative cases are left alone: they must stay invalid for the negative checks to mean anything.
    """
    real = _real_data_case(case) if _is_positive(case) else None
    if real is None:
        return st.just(case)
    return st.one_of(st.just(case), real)


if TOKEN_ENV in os.environ:

    @schemathesis.auth(refresh_interval=None, retry_on=[])
    class ApiTokenFromEnvironment:
        """Send `AC_CONTRACT_API_TOKEN` as the `Api-Token` header (read once per run)."""

        def get(self, case: schemathesis.Case[Any], ctx: schemathesis.AuthContext) -> str:
            return os.environ[TOKEN_ENV]

        def set(
            self, case: schemathesis.Case[Any], data: str, ctx: schemathesis.AuthContext
        ) -> None:
            case.headers["Api-Token"] = data


known_data.load_from_env()
