"""`ac-segments contract` end to end: real runs over loopback HTTP, and every kind of bad input.

A real run (marked slow) goes through the console script in a child process, as CI would:
against a lenient server that adds undocumented fields it passes with findings and drift
(`--strict` turning them into failures is checked on the runner's report step). Bad input is one
line on stderr and exit 2, checked in-process (no Schemathesis run is ever started for it).

The other real runs are not repeated here: the bundled simulator (passes) and a quirk (fails,
exit 1) from an installed wheel in tests/packaging/test_contract_wheel.py; the token never
reaching the output or the JUnit report of a failing run in tests/security/test_reports.py.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from activecampaign_segments.cli import app
from activecampaign_segments.contract import runner
from activecampaign_segments.contract.runner import ContractSettings
from activecampaign_segments.contract.verdicts import Observations
from activecampaign_simulator.app import create_app
from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.server import serve_in_thread
from typer.testing import CliRunner

from tests.conftest import ROOT
from tests.contract.drifting import EXTRA_ATTRIBUTE, add_undocumented_fields

SECRET = "contract-test-secret-7f3a"
COMMAND = [str(Path(sys.executable).parent / "ac-segments"), "contract"]
ENV_NAMES = ("ACTIVECAMPAIGN_API_URL", "ACTIVECAMPAIGN_API_KEY")


def run_command(
    tmp_path: Path, *args: str, url: str | None = None, token: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    if url is not None:
        env["ACTIVECAMPAIGN_API_URL"] = url
    if token is not None:
        env["ACTIVECAMPAIGN_API_KEY"] = token
    return subprocess.run(
        [*COMMAND, "--junit", str(tmp_path / "reports" / "contract-junit.xml"), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_leniency_and_drift_are_findings_unless_strict(tmp_path: Path) -> None:
    drifting = add_undocumented_fields(create_app(SimulatorConfig(rps=0, profile="lenient")))
    with serve_in_thread(app=drifting) as server:
        lenient = run_command(
            tmp_path, "--rate", "0", "--max-examples", "8", url=server.base_url, token="sim-token"
        )
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr
    out = lenient.stdout
    assert "negative_data_rejection: get_count_history_with_timestamp answered 200" in out
    assert f"`data[].attributes.{EXTRA_ATTRIBUTE}`: in " in out
    assert "of get_count_history_by_segment_id, not in the document" in out
    assert "contract: PASSED with" in out
    drift = json.loads((tmp_path / "reports" / "drift.json").read_text())
    names = {item["name"] for item in drift["items"]}
    assert {f"data[].attributes.{EXTRA_ATTRIBUTE}", "x-count-source"} <= names
    junit = (tmp_path / "reports" / "contract-junit.xml").read_text()
    assert 'name="contract findings"' in junit and "<skipped" in junit


@pytest.mark.parametrize(
    ("status", "strict", "noted", "expected"),
    [(0, False, True, 0), (0, True, True, 1), (0, True, False, 0), (1, False, False, 1)],
)
def test_strict_turns_findings_into_failures(
    tmp_path: Path, status: int, strict: bool, noted: bool, expected: int
) -> None:
    seen = Observations()
    if noted:
        seen.add_answer("get_recent_count_history", 200, [("header", "x-new")])
    observations = tmp_path / "observations.json"
    observations.write_text(seen.to_json())
    settings = ContractSettings(junit=tmp_path / "junit.xml", strict=strict)
    out = io.StringIO()
    assert runner._report(status, observations, settings, tmp_path, out) == expected
    assert ("contract: FAILED" in out.getvalue()) == bool(expected)
    if noted:
        assert "header `x-new`: in 1 of 1 answers" in out.getvalue()


def test_make_never_echoes_the_token() -> None:
    # `make -n` prints every command make would run: the token must not be among them.
    result = subprocess.run(
        ["make", "-n", "--no-print-directory", "contract", f"API_TOKEN={SECRET}", "STRICT=1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "ac-segments contract" in result.stdout
    assert "--strict" in result.stdout
    assert SECRET not in result.stdout + result.stderr


# --- bad input: one line, exit 2, the token never printed ----------------------------------


def invoke(tmp_path: Path, *args: str, **env: str | None) -> tuple[int, list[str], str]:
    environment: dict[str, str | None] = {name: None for name in ENV_NAMES}
    environment.update(env)
    junit = ["--junit", str(tmp_path / "reports" / "junit.xml")]
    result = CliRunner().invoke(app, ["contract", *junit, *args], env=environment)
    return result.exit_code, result.stderr.strip().splitlines(), result.stdout + result.stderr


def assert_one_line(outcome: tuple[int, list[str], str], expected: str) -> None:
    code, lines, output = outcome
    assert code == 2, output
    assert len(lines) == 1, lines
    assert expected in lines[0]
    assert SECRET not in output and "Traceback" not in output


def test_a_wrong_token(tmp_path: Path) -> None:
    with serve_in_thread(SimulatorConfig(rps=0)) as server:
        outcome = invoke(
            tmp_path, ACTIVECAMPAIGN_API_URL=server.base_url, ACTIVECAMPAIGN_API_KEY=SECRET
        )
    assert_one_line(outcome, f"{server.base_url} refused the API token (HTTP 401)")


def test_an_unreachable_url(tmp_path: Path) -> None:
    # Port 9 (discard) on loopback: nothing listens there, the connection is refused at once.
    outcome = invoke(tmp_path, "--base-url", "http://127.0.0.1:9", ACTIVECAMPAIGN_API_KEY=SECRET)
    assert_one_line(outcome, "cannot reach http://127.0.0.1:9")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://acct.api-us1.com/v1", "not one with the path '/v1'"),
        ("https://acct.api-us1.com/api/3/segmentsV2", "not one with the path '/api/3/segmentsV2'"),
        ("http://acct.api-us1.com", "refusing http:// for 'acct.api-us1.com'"),
        ("acct.api-us1.com", "needs an https:// scheme"),
    ],
)
def test_a_url_that_is_not_the_accounts_api_url(tmp_path: Path, url: str, expected: str) -> None:
    assert_one_line(invoke(tmp_path, "--base-url", url, ACTIVECAMPAIGN_API_KEY=SECRET), expected)


def test_the_url_comes_from_the_environment_like_every_command(tmp_path: Path) -> None:
    outcome = invoke(
        tmp_path, ACTIVECAMPAIGN_API_URL="http://acct.api-us1.com", ACTIVECAMPAIGN_API_KEY=SECRET
    )
    assert_one_line(outcome, "refusing http://")


def test_a_url_without_a_token(tmp_path: Path) -> None:
    outcome = invoke(tmp_path, ACTIVECAMPAIGN_API_URL="https://acct.api-us1.com")
    assert_one_line(outcome, "no API token: set ACTIVECAMPAIGN_API_KEY")


def test_a_report_folder_that_cannot_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the report folder should be")
    result = CliRunner().invoke(
        app,
        ["contract", "--junit", str(blocker / "reports" / "junit.xml")],
        env={name: None for name in ENV_NAMES},
    )
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: cannot write reports to {blocker / 'reports'}")


def test_a_missing_contract_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # As if Schemathesis were not installed: find_spec answers None for a None module entry.
    monkeypatch.setitem(sys.modules, "schemathesis", None)
    outcome = invoke(tmp_path)
    assert_one_line(outcome, "pip install 'activecampaign-segments[contract]'")


@pytest.mark.parametrize(
    ("args", "expected"),
    [(["--rate", "-1"], "--rate must be a finite number >= 0"),
     (["--segment-ids", " , "], "--segment-ids must list ids")],
)  # fmt: skip
def test_bad_options(tmp_path: Path, args: list[str], expected: str) -> None:
    outcome = invoke(
        tmp_path, *args, ACTIVECAMPAIGN_API_URL="https://a.example", ACTIVECAMPAIGN_API_KEY=SECRET
    )
    assert_one_line(outcome, expected)
