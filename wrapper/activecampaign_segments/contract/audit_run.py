"""The audit's I/O: send what `audit.AuditPlan` asks, within a request budget and the rate.

Plain httpx, like the runner's probe: an answer that breaks the document is what the audit is
for, so it must reach the rules, not stop the run. Every request counts against the budget,
retries of a 429 or 503 (waiting out ``Retry-After``, at most 10 s) included. The audit stops
early, as a failure naming the request, at the first request that gets no answer at all
(timeout, refused connection): going on against a server that does not answer would only spend
the budget and the time. An exhausted budget is not a failure: the outcome says the audit is
incomplete (a finding).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from activecampaign_segments.contract.audit import (
    AuditPlan,
    Exchange,
    Violation,
    judge_exchanges,
)

__all__ = ["DEFAULT_BUDGET", "DEFAULT_TIMEOUT", "AuditOutcome", "run_audit"]

DEFAULT_BUDGET = 100
"""Requests the audit may send by default: about 20 s at ActiveCampaign's 5 requests/s."""
DEFAULT_TIMEOUT = 10.0
"""Seconds one audit request may take (connect, read, each)."""
DEFAULT_SEGMENTS = 4
"""How many segment histories the audit walks."""
_RETRIED = (429, 503)
_MAX_RETRIES = 2
_MAX_WAIT = 10.0


@dataclass
class AuditOutcome:
    """What an audit did and found.

    Attributes:
        segments: the segments it walked.
        budget: the most requests it could send.
        used: the requests it sent.
        complete: False when the budget ran out before the plan did.
        violations: the broken rules (failures).
        stopped: why it stopped early (a request got no answer), else empty.
        exchanges: every request sent and its answer, in order (retried 429/503s counted in
            ``used`` but kept only as their final answer).
    """

    segments: list[str]
    budget: int
    used: int = 0
    complete: bool = True
    violations: list[Violation] = field(default_factory=list)
    stopped: str = ""
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Whether any rule was broken."""
        return bool(self.violations)

    def incomplete_note(self) -> str:
        """The finding for an exhausted budget ("" when the audit completed)."""
        if self.complete:
            return ""
        return (
            f"audit incomplete: the budget of {self.budget} request(s) ran out before the "
            f"walks of {len(self.segments)} segment(s) were done (raise --audit-budget)"
        )


def _retry_after(response: httpx.Response) -> float:
    try:
        seconds = float(response.headers.get("Retry-After", "1"))
    except ValueError:
        seconds = 1.0
    return min(max(seconds, 0.0), _MAX_WAIT) if seconds == seconds else 1.0


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class _Pacer:
    """Spaces requests at most ``rate`` per second (0: no limit)."""

    def __init__(
        self, rate: float, clock: Callable[[], float], sleep: Callable[[float], None]
    ) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self.last: float | None = None

    def wait(self) -> None:
        if self.last is not None:
            delay = self.last + self.interval - self.clock()
            if delay > 0:
                self.sleep(delay)
        self.last = self.clock()


def run_audit(
    client: httpx.Client,
    segments: list[str],
    *,
    budget: int = DEFAULT_BUDGET,
    rate: float = 0.0,
    pages_per_segment: int = 4,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> AuditOutcome:
    """Walk ``segments`` through the three forms and judge the answers together.

    Args:
        client: sends the requests: its base URL is the server's, its headers carry the token,
            its timeout bounds each request.
        segments: segment ids with history to walk.
        budget: the most requests to send (0: none).
        rate: requests per second (0: no limit).
        pages_per_segment: pages of each history the walk follows.
        clock: the monotonic clock (injectable for tests).
        sleep: how to wait (injectable for tests).

    Returns:
        What was sent and what broke.
    """
    outcome = AuditOutcome(list(dict.fromkeys(segments)), budget)
    plan = AuditPlan(outcome.segments, pages_per_segment=pages_per_segment)
    pacer = _Pacer(rate, clock, sleep)
    exchanges = outcome.exchanges
    while (ask := plan.next_ask()) is not None:
        url = str(client.base_url.join(ask.target)) if client.base_url else ask.target
        response: httpx.Response | None = None
        error = ""
        exhausted = False
        for attempt in range(_MAX_RETRIES + 1):
            if outcome.used >= budget:
                exhausted = True
                break
            if attempt and response is not None:
                sleep(_retry_after(response))
            pacer.wait()
            outcome.used += 1
            try:
                response = client.get(ask.target)
            except httpx.TimeoutException:
                error = f"no answer within {_timeout(client)} (timeout); the audit stopped here"
            except httpx.HTTPError as exc:
                reason = str(exc) or type(exc).__name__
                error = f"the request failed ({reason}); the audit stopped here"
            if error or response is None or response.status_code not in _RETRIED:
                break
        if exhausted:
            outcome.complete = False  # the budget ran out before this request was answered
            break
        if response is not None and not error:
            url = str(response.request.url)
        exchange = Exchange(
            ask,
            url,
            response.status_code if response is not None and not error else 0,
            _body(response) if response is not None and not error else None,
            error,
            len(exchanges),
        )
        exchanges.append(exchange)
        if error:
            outcome.stopped = error
            break
        plan.feed(exchange)
    outcome.violations = judge_exchanges(exchanges)
    return outcome


def _timeout(client: httpx.Client) -> str:
    read = client.timeout.read
    return f"{read:g} s" if read is not None else "the time limit"
