"""Run the contract suite over HTTP with the Schemathesis CLI: `make contract`.

Without BASE_URL it serves the bundled simulator on a free loopback port for the length of the
run; with BASE_URL (and API_TOKEN) it tests that server, e.g. a real ActiveCampaign account.

Settings come from the environment, so the token never appears on a command line:

    BASE_URL      server to test (default: the bundled simulator)
    API_TOKEN     its Api-Token (required with BASE_URL; never printed)
    RATE          requests per second, default 5 with BASE_URL (ActiveCampaign's account limit),
                  unlimited for the simulator; 0 = no limit
    SEGMENT_IDS   comma-separated segment ids with count history to aim at (default: whatever
                  the batch form reports among ids 1..100)
    REPORT_DIR    where the JUnit report goes (default: reports)
    MAX_EXAMPLES  cases per operation and phase (default: schemathesis.toml's), for quick runs

Steps: check that the server answers at all (a short timeout, one clear line if not); ask it for
a few real segment ids and record epochs, so the generated cases reach data (see
tests/contract/known_data.py); run `schemathesis run openapi/segments.json` (GET only) with the
checks of tests/contract/checks.py; exit with Schemathesis's status.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from activecampaign_segments._config import normalise_base_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.contract.envvars import DATA_ENV, TOKEN_ENV  # noqa: E402 - needs the root on the path
from tests.contract.known_data import KnownData  # noqa: E402

SPEC = ROOT / "openapi" / "segments.json"
API = "/api/3/segmentsV2"
PROBE_TIMEOUT = 5.0
DEFAULT_REMOTE_RATE = 5.0
DISCOVERY_CANDIDATES = [str(n) for n in range(1, 101)]
JUNIT_NAME = "contract-junit.xml"
DISCOVERY_PAGES = 5
"""Segments whose first page is fetched for real cursors (each one request)."""


class ContractError(Exception):
    """A problem reported as one line, without a traceback."""


def _rate(raw: str | None, default: float) -> float:
    if raw is None or raw.strip() == "":
        return default
    try:
        rate = float(raw)
    except ValueError:
        raise ContractError(f"RATE must be a number of requests per second, got {raw!r}") from None
    if not rate >= 0 or rate == float("inf"):
        raise ContractError(f"RATE must be a finite number >= 0, got {raw!r}")
    return rate


def _base_url(raw: str) -> str:
    # The client's own rules: a trailing "/" or "/api/3" (as copied from ActiveCampaign's
    # settings) is dropped, since the spec's paths start with /api/3; http:// only to loopback.
    try:
        return normalise_base_url(raw)
    except ValueError as exc:
        raise ContractError(
            f"BASE_URL must look like https://ACCOUNT.api-us1.com, got {raw!r}: {exc}"
        ) from None


def _retry_after(response: httpx.Response) -> float:
    """Seconds to wait after a 429: its Retry-After in seconds (an HTTP date counts as 1), <= 10."""
    try:
        seconds = float(response.headers.get("Retry-After", "1"))
    except ValueError:
        seconds = 1.0
    return min(max(seconds, 0.0), 10.0) if seconds == seconds else 1.0


def _token(raw: str | None) -> str:
    # Secrets pasted into CI settings often carry a trailing newline; a token never has spaces.
    token = (raw or "").strip()
    if not token:
        raise ContractError("API_TOKEN is not set; pass the account's API token")
    if not (token.isascii() and token.isprintable()):
        raise ContractError("API_TOKEN must be printable ASCII (it travels in an HTTP header)")
    return token


class Prober:
    """The few plain requests made before the run, spaced to respect RATE."""

    def __init__(self, base_url: str, token: str, rate: float) -> None:
        self.base_url = base_url
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.client = httpx.Client(
            base_url=base_url, headers={"Api-Token": token}, timeout=PROBE_TIMEOUT
        )
        self.last = 0.0

    def get(self, path: str, params: dict[str, str] | None = None) -> httpx.Response:
        for _attempt in range(3):
            wait = self.last + self.interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self.last = time.monotonic()
            try:
                response = self.client.get(path, params=params)
            except httpx.TimeoutException:
                raise ContractError(
                    f"{self.base_url} did not answer within {PROBE_TIMEOUT:g} s; check BASE_URL "
                    "and your network"
                ) from None
            except httpx.HTTPError as exc:
                reason = str(exc) or type(exc).__name__
                raise ContractError(
                    f"cannot reach {self.base_url} ({reason}); check BASE_URL"
                ) from None
            if response.status_code != 429:
                return response
            time.sleep(_retry_after(response))
        return response

    def close(self) -> None:
        self.client.close()


def _records(response: httpx.Response) -> list[dict[str, object]]:
    try:
        body = response.json()
    except ValueError:
        return []
    data = body.get("data") if isinstance(body, dict) else None
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def discover(prober: Prober, candidates: list[str]) -> KnownData:
    """Real segment ids (those with history among `candidates`) and epochs of their first pages."""
    with_history: list[str] = []
    for start in range(0, len(candidates), 100):
        chunk = candidates[start : start + 100]
        response = prober.get(f"{API}/count-history", {"segmentIds": ",".join(chunk)})
        if response.status_code in (401, 403):
            raise ContractError(
                f"{prober.base_url} refused the API token (HTTP {response.status_code}); check "
                "API_TOKEN (Settings > Developer in ActiveCampaign)"
            )
        if response.status_code != 200:
            raise ContractError(
                f"{prober.base_url}{API}/count-history answered HTTP {response.status_code}; "
                "is BASE_URL the account's API URL (https://ACCOUNT.api-us1.com)?"
            )
        for record in _records(response):
            attributes = record.get("attributes")
            if isinstance(attributes, dict) and attributes.get("segment_id") is not None:
                with_history.append(str(attributes["segment_id"]))
    pages: dict[str, list[dict[str, object]]] = {}
    for segment_id in dict.fromkeys(with_history[:DISCOVERY_PAGES]):
        response = prober.get(f"{API}/{segment_id}/count-history")
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
    per_minute = max(1, round(rate * 60))
    # Whole requests per second when possible; per minute keeps fractional rates exact enough.
    return ["--rate-limit", f"{round(rate)}/s" if rate == round(rate) else f"{per_minute}/m"]


def _max_examples_option(raw: str | None) -> list[str]:
    if raw is None or raw.strip() == "":
        return []
    if not raw.strip().isdigit() or int(raw) < 1:
        raise ContractError(f"MAX_EXAMPLES must be a whole number >= 1, got {raw!r}")
    return ["--max-examples", raw.strip()]


def run_schemathesis(
    base_url: str, token: str, data: KnownData, options: list[str], report_dir: Path
) -> int:
    """Run the Schemathesis CLI; its output is streamed with the token masked."""
    schemathesis = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    if schemathesis is None:
        raise ContractError("the schemathesis command is missing; run `make install`")
    with tempfile.TemporaryDirectory(prefix="contract-") as tmp:
        data_file = Path(tmp) / "known-data.json"
        data_file.write_text(data.to_json(), encoding="utf-8")
        env = {
            **os.environ,
            "SCHEMATHESIS_HOOKS": "tests.contract.checks",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            TOKEN_ENV: token,
            DATA_ENV: str(data_file),
        }
        env.pop("API_TOKEN", None)
        command = [
            schemathesis, "run", str(SPEC.relative_to(ROOT)),
            "--url", base_url,
            "--include-method", "GET",
            "--workers", "1",
            "--report", "junit",
            "--report-dir", str(report_dir),
            "--report-junit-path", str(report_dir / JUNIT_NAME),
            *options,
        ]  # fmt: skip
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert process.stdout is not None
        for line in process.stdout:
            sys.stdout.write(line.replace(token, "***") if token else line)
        return process.wait()


def main() -> int:
    """Entry point of `make contract`; the exit status is Schemathesis's (2 for setup problems)."""
    report_dir = Path(os.environ.get("REPORT_DIR") or ROOT / "reports")
    raw_url = os.environ.get("BASE_URL", "").strip()
    try:
        with contextlib.ExitStack() as stack:
            if raw_url:
                base_url = _base_url(raw_url)
                token = _token(os.environ.get("API_TOKEN"))
                rate = _rate(os.environ.get("RATE"), DEFAULT_REMOTE_RATE)
                prober = Prober(base_url, token, rate)
                stack.callback(prober.close)
                ids = os.environ.get("SEGMENT_IDS", "").strip()
                candidates = [i for i in ids.split(",") if i] if ids else DISCOVERY_CANDIDATES
                data = discover(prober, candidates)
                target = base_url
            else:
                rate = _rate(os.environ.get("RATE"), 0.0)
                base_url, token, data = stack.enter_context(bundled_simulator())
                target = f"the bundled simulator at {base_url}"
            limit = f"{rate:g} requests/s" if rate > 0 else "no rate limit"
            print(
                f"contract: testing {target} ({limit}); {len(data.ids_with_records)} segment(s) "
                "with history to aim at",
                flush=True,
            )
            options = _rate_option(rate) + _max_examples_option(os.environ.get("MAX_EXAMPLES"))
            status = run_schemathesis(base_url, token, data, options, report_dir)
    except ContractError as exc:
        print(f"contract: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("contract: interrupted", file=sys.stderr)
        return 130
    verdict = "PASSED" if status == 0 else f"FAILED (schemathesis exit status {status})"
    print(f"contract: {verdict}; JUnit report: {report_dir / JUNIT_NAME}", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
