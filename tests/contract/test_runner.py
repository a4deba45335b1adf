"""`make contract`'s runner (tools/contract.py) end to end, over loopback HTTP.

Against the bundled simulator it must pass; against a broken simulator it must fail naming the
check, without ever printing the token; against a closed port it must fail fast with one line.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.server import serve_in_thread

from tests.contract import suite

RUNNER = suite.ROOT / "tools" / "contract.py"
SECRET = "contract-test-secret-7f3a"

pytestmark = pytest.mark.slow


def run_runner(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("BASE_URL", "API_TOKEN", "RATE")}
    return subprocess.run(
        [sys.executable, str(RUNNER)],
        cwd=suite.ROOT,
        env={**clean, "REPORT_DIR": str(tmp_path / "reports"), **env},
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_passes_against_the_bundled_simulator(tmp_path: Path) -> None:
    result = run_runner(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "contract: PASSED" in result.stdout
    assert (tmp_path / "reports" / "contract-junit.xml").is_file()


def test_fails_against_a_broken_server_and_never_shows_the_token(tmp_path: Path) -> None:
    config = SimulatorConfig(rps=0, token=SECRET, quirks=frozenset({"inclusive_cursor"}))
    with serve_in_thread(config) as server:
        result = run_runner(
            tmp_path, BASE_URL=server.base_url, API_TOKEN=SECRET, RATE="0", MAX_EXAMPLES="10"
        )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "strictly_before_cursor" in output
    assert "contract: FAILED" in output
    assert SECRET not in output
    report = (tmp_path / "reports" / "contract-junit.xml").read_text(encoding="utf-8")
    assert "strictly_before_cursor" in report
    assert SECRET not in report


def test_a_wrong_token_fails_with_one_line(tmp_path: Path) -> None:
    with serve_in_thread(SimulatorConfig(rps=0)) as server:
        result = run_runner(tmp_path, BASE_URL=server.base_url, API_TOKEN="wrong", RATE="0")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"contract: error: {server.base_url} refused the API token (HTTP 401); check API_TOKEN "
        "(Settings > Developer in ActiveCampaign)"
    ]


def test_an_unreachable_server_fails_fast_with_one_line(tmp_path: Path) -> None:
    # Port 9 (discard) on loopback: nothing listens there, the connection is refused at once.
    result = run_runner(tmp_path, BASE_URL="http://127.0.0.1:9", API_TOKEN="x")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("contract: error: cannot reach http://127.0.0.1:9")
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BASE_URL": "acct.api-us1.com", "API_TOKEN": "x"}, "BASE_URL must look like"),
        ({"BASE_URL": "http://127.0.0.1:9"}, "API_TOKEN is not set"),
        ({"BASE_URL": "http://127.0.0.1:9", "API_TOKEN": "tök\u00e9n"}, "printable ASCII"),
        ({"BASE_URL": "http://127.0.0.1:9", "API_TOKEN": "x", "RATE": "fast"}, "RATE must be"),
        ({"BASE_URL": "http://127.0.0.1:9", "API_TOKEN": "x", "RATE": "-1"}, "RATE must be"),
    ],
)
def test_bad_settings_are_one_line_errors(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    result = run_runner(tmp_path, **env)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_make_never_echoes_the_token() -> None:
    # `make -n` prints every command make would run: the token must not be among them.
    result = subprocess.run(
        ["make", "-n", "--no-print-directory", "contract", f"API_TOKEN={SECRET}"],
        cwd=suite.ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "tools/contract.py" in result.stdout
    assert SECRET not in result.stdout + result.stderr


def _runner_module() -> Any:
    spec = importlib.util.spec_from_file_location("contract_runner", RUNNER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("3", 3.0), ("0.5", 0.5), ("600", 10.0), ("-4", 0.0), ("nan", 1.0), (None, 1.0),
     ("Wed, 21 Oct 2015 07:28:00 GMT", 1.0)],
)  # fmt: skip
def test_discovery_waits_what_a_429_asks_within_bounds(header: str | None, seconds: float) -> None:
    headers = {"Retry-After": header} if header is not None else {}
    response = httpx.Response(429, headers=headers)
    assert _runner_module()._retry_after(response) == seconds


@pytest.mark.parametrize(
    "raw",
    ["https://acct.api-us1.com", "https://acct.api-us1.com/", "https://ACCT.api-us1.com/api/3/"],
)
def test_base_url_is_normalised_like_the_clients(raw: str) -> None:
    # Copied from ActiveCampaign's settings it may end in /api/3, which the spec's paths repeat.
    assert _runner_module()._base_url(raw) == "https://acct.api-us1.com"


def test_plain_http_to_another_host_is_refused() -> None:
    runner = _runner_module()
    with pytest.raises(runner.ContractError, match="BASE_URL must look like"):
        runner._base_url("http://acct.api-us1.com")
