"""Run the contract suite over HTTP: the engine of ``ac-segments contract`` and ``make contract``.

Without a URL it serves the bundled simulator on a free loopback port for the length of the run;
with one (and a token) it tests that server, e.g. a real ActiveCampaign account.

Steps: check every setting before any request (one line and exit status 2 for each bad one);
ask the server, with a few plain requests, for a few real segment ids and record epochs,
which also proves it answers and accepts the token; run the cross-answer audit (`audit`,
`audit_run`: a few histories walked through every form and compared, within a request budget);
run ``schemathesis run`` on the shipped document with the shipped checks (`hooks`) in a child
process, its output streamed with the token masked; then read back the run's findings and drift,
print them with the audit's outcome, write ``drift.json`` beside the JUnit report and add them
to it.

Exit status: 0 passed (findings allowed unless strict), 1 failures (or findings when strict),
2 the run could not start (bad settings, unreachable server, refused token, missing extra).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote, urlsplit

import httpx

from activecampaign_segments._config import normalise_base_url
from activecampaign_segments._extras import install_hint, missing_modules
from activecampaign_segments.contract import resources
from activecampaign_segments.contract.audit import choose_segments
from activecampaign_segments.contract.audit_run import (
    DEFAULT_BUDGET,
    DEFAULT_SEGMENTS,
    DEFAULT_TIMEOUT,
    AuditOutcome,
    run_audit,
)
from activecampaign_segments.contract.known_data import KnownData
from activecampaign_segments.contract.settings import (
    DATA_ENV,
    HOOKS_MODULE,
    OBSERVATIONS_ENV,
    TOKEN_ENV,
)
from activecampaign_segments.contract.verdicts import (
    Observations,
    add_audit_to_junit,
    add_to_junit,
    write_drift,
)

__all__ = [
    "DEFAULT_JUNIT",
    "EXTRA_HINT",
    "ContractSettings",
    "SetupError",
    "run",
]

EXIT_PASSED, EXIT_FAILED, EXIT_SETUP = 0, 1, 2
DEFAULT_REMOTE_RATE = 5.0
"""ActiveCampaign's per-account limit, requests per second."""
DEFAULT_JUNIT = Path("reports") / "contract-junit.xml"
DRIFT_NAME = "drift.json"
PROBE_TIMEOUT = 5.0
DISCOVERY_CANDIDATES = [str(n) for n in range(1, 101)]
DISCOVERY_PAGES = 5
"""Segments whose first page is fetched for real cursors (one request each)."""
API = "/api/3/segmentsV2"
_TOKEN_CHARS = re.compile(r"[\x21-\x7e]+")
"""What an HTTP header value can carry (the client's own rule)."""
EXTRA_HINT = install_hint("contract")


class SetupError(Exception):
    """The run cannot start; the message is one line and never holds the token."""


@dataclass(frozen=True)
class ContractSettings:
    """What to test and how, as given by a person (checked by `run`).

    Attributes:
        base_url: the server's API URL; None tests the bundled simulator.
        token: its API token (required with ``base_url``).
        rate: requests per second; None means 5 for a URL and no limit for the simulator;
            0 is no limit.
        segment_ids: ids with count history to aim at; None asks for ids 1..100.
        max_examples: cases per operation and phase; None keeps the shipped setting (40).
        junit: where the JUnit report goes; ``drift.json`` is written beside it.
        strict: findings count as failures.
        audit_budget: the most requests the cross-answer audit may send; None means
            `DEFAULT_BUDGET` (100); 0 turns the audit off.
    """

    base_url: str | None = None
    token: str | None = None
    rate: float | None = None
    segment_ids: list[str] | None = None
    max_examples: int | None = None
    junit: Path = DEFAULT_JUNIT
    strict: bool = False
    audit_budget: int | None = None


def require_extra(*, simulator: bool) -> None:
    """Fail with the ``pip install`` to run when the ``contract`` extra is missing.

    Uses ``importlib.util.find_spec``, so nothing is imported (and nothing half-imported) first.

    Raises:
        SetupError: a module the run needs is not installed.
    """
    missing = missing_modules("contract") + (missing_modules("simulator") if simulator else [])
    if missing:
        raise SetupError(
            f"the contract suite needs the contract extra ({', '.join(missing)} missing): "
            f"run `{EXTRA_HINT}`"
        )


def check_base_url(raw: str) -> str:
    """The server's URL normalised with the client's rules; it must be the account's API URL.

    A trailing ``/`` or ``/api/3`` is fine (the document's paths start with ``/api/3``); any
    other path would send every request somewhere else. ``http://`` is accepted for loopback
    only: anywhere else the token would travel unencrypted.

    Raises:
        SetupError: the URL is malformed, has another path, or is plain http to another host.
    """
    try:
        url = normalise_base_url(raw)
    except ValueError as exc:
        raise SetupError(f"invalid URL: {exc}") from None
    path = urlsplit(url).path
    if path:
        raise SetupError(
            f"the URL must be the account's API URL, e.g. https://ACCOUNT.api-us1.com (a trailing "
            f"/api/3 is fine), not one with the path {path!r}"
        )
    return url


def check_rate(rate: float | None, default: float) -> float:
    """The rate to use: ``default`` when None; finite and >= 0 otherwise.

    Raises:
        SetupError: a negative, infinite or NaN rate.
    """
    if rate is None:
        return default
    if not rate >= 0 or rate == float("inf"):
        raise SetupError(f"--rate must be a finite number >= 0, got {rate!r}")
    return rate


def check_report_folder(junit: Path) -> Path:
    """Create the JUnit report's folder and prove it can be written; the folder.

    Raises:
        SetupError: it cannot be created or written.
    """
    folder = junit.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".contract-probe-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SetupError(f"cannot write reports to {folder}: {reason}") from None
    if junit.is_dir():
        raise SetupError(f"the JUnit report path {junit} is a folder")
    return folder


def _retry_after(response: httpx.Response) -> float:
    """Seconds to wait after a 429: its Retry-After in seconds (an HTTP date counts as 1), <= 10."""
    try:
        seconds = float(response.headers.get("Retry-After", "1"))
    except ValueError:
        seconds = 1.0
    return min(max(seconds, 0.0), 10.0) if seconds == seconds else 1.0


class Prober:
    """The few plain requests made before the run, spaced to respect the rate.

    Plain httpx, not ``SegmentsClient``: the client rightly refuses answers that break the
    document, but such an answer is what the run is for (a failure, exit 1), not a reason not to
    start it (exit 2). Only the ids and timestamps of the records are read here.
    """

    def __init__(self, base_url: str, token: str, rate: float) -> None:
        self.base_url = base_url
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.client = httpx.Client(
            base_url=base_url, headers={"Api-Token": token}, timeout=PROBE_TIMEOUT
        )
        self.last = 0.0

    def get(self, path: str, params: dict[str, str] | None = None) -> httpx.Response:
        """GET ``path``, waiting out up to two 429s.

        Raises:
            SetupError: the server cannot be reached or does not answer in time.
        """
        response: httpx.Response | None = None
        for _attempt in range(3):
            wait = self.last + self.interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self.last = time.monotonic()
            try:
                response = self.client.get(path, params=params)
            except httpx.TimeoutException:
                raise SetupError(
                    f"{self.base_url} did not answer within {PROBE_TIMEOUT:g} s; check the URL "
                    "and your network"
                ) from None
            except httpx.HTTPError as exc:
                reason = str(exc) or type(exc).__name__
                raise SetupError(
                    f"cannot reach {self.base_url} ({reason}); check the URL and your network"
                ) from None
            if response.status_code != 429:
                return response
            time.sleep(_retry_after(response))
        assert response is not None
        return response

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()


def _records(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        body = response.json()
    except ValueError:
        return []
    data = body.get("data") if isinstance(body, dict) else None
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def _refused_token(prober: Prober, response: httpx.Response) -> None:
    if response.status_code in (401, 403):
        raise SetupError(
            f"{prober.base_url} refused the API token (HTTP {response.status_code}); check "
            "ACTIVECAMPAIGN_API_KEY (Settings > Developer in ActiveCampaign)"
        )


def _segment_ids_of(response: httpx.Response) -> list[str]:
    found: list[str] = []
    for record in _records(response):
        attributes = record.get("attributes")
        if isinstance(attributes, dict) and attributes.get("segment_id") is not None:
            found.append(str(attributes["segment_id"]))
    return found


def _ids_with_history(prober: Prober, chunk: list[str], *, one_by_one: bool) -> list[str]:
    response = prober.get(f"{API}/count-history", {"segmentIds": ",".join(chunk)})
    _refused_token(prober, response)
    if response.status_code == 200:
        return _segment_ids_of(response)
    if one_by_one and len(chunk) > 1 and response.status_code in (400, 404, 422):
        # One id the server refuses (not a number, unknown) must not hide the others: ask each.
        found: list[str] = []
        answered = False
        for segment_id in chunk:
            single = prober.get(f"{API}/count-history", {"segmentIds": segment_id})
            _refused_token(prober, single)
            if single.status_code == 200:
                answered = True
                found += _segment_ids_of(single)
        if answered:
            return found
    raise SetupError(
        f"{prober.base_url}{API}/count-history answered HTTP {response.status_code}; "
        "is the URL the account's API URL (https://ACCOUNT.api-us1.com)?"
    )


def discover(prober: Prober, candidates: list[str], *, given: bool = False) -> KnownData:
    """Real segment ids (those with history among ``candidates``) and their first pages' epochs.

    Args:
        prober: plain requests to the server under test.
        candidates: the ids to ask about.
        given: the ids were named by a person (``--segment-ids``): if the server refuses the
            batch request (400, 404, 422), each id is asked alone, so one unknown or malformed
            id is reported later instead of stopping the run.

    Returns:
        The ids with history and the epochs of their first page's records.

    Raises:
        SetupError: the server cannot be reached, refuses the token, or is not the API.
    """
    with_history: list[str] = []
    for start in range(0, len(candidates), 100):
        chunk = candidates[start : start + 100]
        with_history += _ids_with_history(prober, chunk, one_by_one=given)
    pages: dict[str, list[dict[str, Any]]] = {}
    for segment_id in list(dict.fromkeys(with_history))[:DISCOVERY_PAGES]:
        response = prober.get(f"{API}/{quote(segment_id, safe='')}/count-history")
        if response.status_code == 200:
            pages[segment_id] = _records(response)
    return KnownData.from_record_lists(pages)


@contextlib.contextmanager
def bundled_simulator() -> Iterator[tuple[str, str, KnownData]]:
    """Serve the bundled simulator (no rate limit) on a free loopback port."""
    from activecampaign_simulator.config import SimulatorConfig
    from activecampaign_simulator.server import serve_in_thread

    # uvicorn logs a warning for each malformed request the negative phase sends on purpose.
    logging.getLogger("uvicorn.error").setLevel(logging.ERROR)
    with serve_in_thread(SimulatorConfig(rps=0)) as handle:
        store = handle.store
        data = KnownData.from_record_lists({sid: store.records(sid) for sid in store.segment_ids()})
        yield handle.base_url, handle.token, data


def _rate_option(rate: float) -> list[str]:
    if rate <= 0:
        return []
    # Whole requests per second when possible; per minute keeps fractional rates exact enough.
    if rate == round(rate):
        return ["--rate-limit", f"{round(rate)}/s"]
    return ["--rate-limit", f"{max(1, round(rate * 60))}/m"]


def _schemathesis(
    base_url: str,
    token: str,
    data: KnownData,
    settings: ContractSettings,
    rate: float,
    observations: Path,
    out: TextIO,
) -> int:
    """Run ``schemathesis run`` in a child process; its output is streamed with the token masked."""
    with tempfile.TemporaryDirectory(prefix="contract-") as tmp:
        data_file = Path(tmp) / "known-data.json"
        data_file.write_text(data.to_json(), encoding="utf-8")
        env = {
            **os.environ,
            "SCHEMATHESIS_HOOKS": HOOKS_MODULE,
            TOKEN_ENV: token,
            DATA_ENV: str(data_file),
            OBSERVATIONS_ENV: str(observations),
            "PYTHONUNBUFFERED": "1",
        }
        # The token goes to the child as AC_CONTRACT_API_TOKEN only.
        env.pop("ACTIVECAMPAIGN_API_KEY", None)
        command = [
            sys.executable, "-m", "schemathesis.cli",
            "--config-file", str(resources.config_path()),
            "run", str(resources.document_path()),
            "--url", base_url,
            "--include-method", "GET",
            "--workers", "1",
            "--report", "junit",
            "--report-junit-path", str(settings.junit),
            *_rate_option(rate),
        ]  # fmt: skip
        if settings.max_examples is not None:
            command += ["--max-examples", str(settings.max_examples)]
        process = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp
        )
        assert process.stdout is not None
        for line in process.stdout:
            out.write(line.replace(token, "***") if token else line)
            out.flush()
        return process.wait()


def _audit(
    base_url: str, token: str, data: KnownData, settings: ContractSettings, rate: float
) -> AuditOutcome | None:
    """Run the cross-answer audit (None when its budget is 0)."""
    budget = DEFAULT_BUDGET if settings.audit_budget is None else settings.audit_budget
    if budget == 0:
        return None
    if settings.segment_ids:
        asked = list(dict.fromkeys(settings.segment_ids))
        segments = [s for s in asked if data.segments.get(s)][:DEFAULT_SEGMENTS]
    else:
        segments = choose_segments(data.segments, DEFAULT_SEGMENTS)
    with httpx.Client(
        base_url=base_url, headers={"Api-Token": token}, timeout=DEFAULT_TIMEOUT
    ) as client:
        return run_audit(client, segments, budget=budget, rate=rate)


def _print_audit(outcome: AuditOutcome, elapsed: float, out: TextIO) -> list[str]:
    """Print the audit's outcome; its findings (audit incomplete, nothing to walk)."""
    notes: list[str] = []
    if not outcome.segments:
        notes.append("audit skipped: no segment with count history to walk")
    elif not outcome.complete:
        notes.append(outcome.incomplete_note())
    walked = ", ".join(repr(s) for s in outcome.segments) or "none"
    verdict = f"FAILED, {len(outcome.violations)} violation(s)" if outcome.failed else "passed"
    out.write(
        f"contract: audit across answers: {verdict}; {outcome.used} of {outcome.budget} "
        f"request(s) used in {elapsed:.1f} s; segments walked: {walked}\n"
    )
    for violation in outcome.violations:
        out.write(f"  {violation.line()}\n")
    return notes


def _report(
    status: int,
    observations: Path,
    settings: ContractSettings,
    folder: Path,
    out: TextIO,
    audit: tuple[AuditOutcome | None, float] = (None, 0.0),
) -> int:
    """Print the findings, drift and audit; write drift.json and the JUnit additions.

    Returns:
        The exit status.
    """
    try:
        findings, drift = Observations.from_json(observations.read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        findings, drift = [], []
        out.write("contract: warning: the run's findings could not be read back\n")
    write_drift(folder / DRIFT_NAME, drift)
    add_to_junit(settings.junit, findings, drift, settings.strict)
    outcome, elapsed = audit
    tier = "failures (--strict)" if settings.strict else "findings, not failures"
    audit_notes: list[str] = []
    if settings.audit_budget == 0:
        out.write("contract: audit: off (--audit-budget 0)\n")
    elif outcome is not None:
        audit_notes = _print_audit(outcome, elapsed, out)
    if outcome is not None:
        add_audit_to_junit(
            settings.junit,
            [(v.rule, v.line()) for v in outcome.violations],
            audit_notes,
            settings.strict,
        )
        if outcome.failed:
            status = status or EXIT_FAILED
    for note in audit_notes:
        out.write(f"contract: {note} ({tier})\n")
    if findings:
        out.write(f"contract: {len(findings)} kind(s) of leniency on invalid input ({tier}):\n")
        for finding in findings:
            out.write(f"  {finding.line()}\n")
    if drift:
        out.write(
            f"contract: drift: {len(drift)} item(s) the document does not describe ({tier}; "
            f"{folder / DRIFT_NAME}):\n"
        )
        for item in drift:
            out.write(f"  {item.line()}\n")
    noted = len(findings) + len(drift) + len(audit_notes)
    if status == 0 and settings.strict and noted:
        status = EXIT_FAILED
    if status == 0:
        extra = f" with {noted} finding(s)" if noted else ""
        out.write(f"contract: PASSED{extra}; JUnit report: {settings.junit}\n")
        return EXIT_PASSED
    out.write(f"contract: FAILED; JUnit report: {settings.junit}\n")
    return EXIT_FAILED


def run(settings: ContractSettings, out: TextIO | None = None) -> int:
    """Run the suite as ``settings`` say; the exit status (0 passed, 1 failed).

    Args:
        settings: what to test and how.
        out: where the progress and summary go (default: stdout).

    Returns:
        0 when no check failed (findings allowed unless strict), 1 otherwise.

    Raises:
        SetupError: the run cannot start (exit status 2); the message is one line.
    """
    out = out if out is not None else sys.stdout
    remote = settings.base_url is not None
    base_url = check_base_url(settings.base_url) if settings.base_url is not None else None
    token = (settings.token or "").strip()
    if remote and not token:
        raise SetupError("no API token: set ACTIVECAMPAIGN_API_KEY (Settings > Developer)")
    rate = check_rate(settings.rate, DEFAULT_REMOTE_RATE if remote else 0.0)
    if settings.max_examples is not None and settings.max_examples < 1:
        raise SetupError(f"--max-examples must be >= 1, got {settings.max_examples}")
    if settings.audit_budget is not None and settings.audit_budget < 0:
        raise SetupError(f"--audit-budget must be >= 0, got {settings.audit_budget}")
    # Absolute: the Schemathesis process runs in a temporary folder.
    settings = dataclasses.replace(settings, junit=settings.junit.expanduser().absolute())
    folder = check_report_folder(settings.junit)
    require_extra(simulator=not remote)
    with contextlib.ExitStack() as stack:
        if base_url is not None:
            if not _TOKEN_CHARS.fullmatch(token):
                raise SetupError(
                    "the API token holds spaces or characters an HTTP header cannot carry"
                )
            prober = Prober(base_url, token, rate)
            stack.callback(prober.close)
            if settings.segment_ids:
                data = discover(prober, settings.segment_ids, given=True)
            else:
                data = discover(prober, DISCOVERY_CANDIDATES)
            target = base_url
        else:
            base_url, token, data = stack.enter_context(bundled_simulator())
            target = f"the bundled simulator at {base_url}"
        limit = f"{rate:g} requests/s" if rate > 0 else "no rate limit"
        out.write(
            f"contract: testing {target} ({limit}); {len(data.ids_with_records)} segment(s) "
            "with history to aim at\n"
        )
        if settings.segment_ids:
            absent = [s for s in dict.fromkeys(settings.segment_ids) if not data.segments.get(s)]
            if absent:
                out.write(
                    "contract: --segment-ids: no count history for "
                    f"{', '.join(repr(s) for s in absent)} (unknown, empty or not readable); "
                    "testing the others\n"
                )
        out.flush()
        started = time.monotonic()
        outcome = _audit(base_url, token, data, settings, rate)
        audit = (outcome, time.monotonic() - started)
        observations = folder / ".contract-observations.json"
        observations.unlink(missing_ok=True)
        try:
            status = _schemathesis(base_url, token, data, settings, rate, observations, out)
            return _report(status, observations, settings, folder, out, audit)
        finally:
            observations.unlink(missing_ok=True)
