"""No token in the reports the suite writes: the contract suite's JUnit report, a pytest JUnit
report of failing client calls, and the benchmarks' table and results.json.

Each report is produced with a distinctive token and must really hold what a leak would ride
on (failures with their reproduction commands, tracebacks, captured DEBUG logs), so the grep
is not vacuous.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from activecampaign_simulator.process import simulator_process

from tests.conftest import ROOT

TOKEN = "LEAKCHECK-report-c41d7e93b0a2f856"


def _run(
    command: list[str], cwd: Path, timeout: float, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        env=_env(**env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACTIVECAMPAIGN_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return {**env, **extra}


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_contract_junit_report_and_output_hold_no_token(tmp_path: Path) -> None:
    # A simulator with a deliberate defect, so the report is full of failures and the
    # reproduction commands (which carry the Api-Token header) that come with them.
    args = ("--segments", "5", "--history", "120", "--rps", "0", "--quirk", "wrong_type")
    with simulator_process(*args, "--token", TOKEN) as sim:
        command = [sys.executable, "-m", "activecampaign_segments.cli", "contract", "--rate", "0"]
        proc = _run(
            [*command, "--junit", str(tmp_path / "contract-junit.xml")],
            ROOT,
            200,
            ACTIVECAMPAIGN_API_URL=sim.base_url,
            ACTIVECAMPAIGN_API_KEY=TOKEN,
        )
    reports = list(tmp_path.glob("*.xml"))
    assert proc.returncode != 0, "the defect went unnoticed: " + proc.stdout[-1000:]
    assert len(reports) == 1, list(tmp_path.iterdir())
    report = reports[0].read_text()
    assert "<failure" in report and "curl" in report and "Api-Token" in report
    assert TOKEN not in report
    assert TOKEN not in proc.stdout + proc.stderr


FAILING_TESTS = """
    import logging, os
    from activecampaign_segments import SegmentsClient
    from activecampaign_simulator.config import SimulatorConfig
    from activecampaign_simulator.server import serve_in_thread

    def _client(**faults):
        config = SimulatorConfig(
            segments=1, history=60, rps=0, token=os.environ["LEAK_TOKEN"], **faults
        )
        return serve_in_thread(config)

    def test_not_found():
        logging.getLogger().setLevel(logging.DEBUG)
        with _client() as sim, SegmentsClient(
            base_url=sim.base_url, api_token=os.environ["LEAK_TOKEN"], requests_per_second=None
        ) as c:
            list(c.count_history("nope"))

    def test_retries_then_server_error():
        logging.getLogger().setLevel(logging.DEBUG)
        with _client(error_rate=1.0) as sim, SegmentsClient(
            base_url=sim.base_url, api_token=os.environ["LEAK_TOKEN"],
            requests_per_second=None, max_retries=1,
        ) as c:
            c.count_history_page("1")

    def test_wrong_token():
        with _client() as sim, SegmentsClient(
            base_url=sim.base_url, api_token=os.environ["LEAK_TOKEN"] + "x",
            requests_per_second=None,
        ) as c:
            print(repr(c))
            c.latest_counts(["1"])
"""


@pytest.mark.timeout(120)
def test_pytest_junit_report_of_failing_client_calls_holds_no_token(tmp_path: Path) -> None:
    (tmp_path / "test_leaky.py").write_text(textwrap.dedent(FAILING_TESTS))
    report = tmp_path / "report.xml"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    command += ["--rootdir", str(tmp_path), f"--junitxml={report}", "-o", "junit_logging=all"]
    command += ["--log-level=DEBUG", str(tmp_path / "test_leaky.py")]
    proc = _run(command, tmp_path, 100, LEAK_TOKEN=TOKEN)
    xml = report.read_text()
    assert proc.returncode == 1, proc.stdout[-2000:]
    for expected in ("NotFoundError", "ServerError", "AuthenticationError", "DEBUG"):
        assert expected in xml, expected
    assert TOKEN not in xml
    assert TOKEN not in proc.stdout + proc.stderr


@pytest.mark.timeout(180)
def test_benchmark_output_holds_no_token(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    command = [sys.executable, "-m", "bench", "--quick", "--only", "0,2"]
    proc = _run([*command, "--output", str(results)], ROOT, 170, BENCH_API_TOKEN=TOKEN)
    assert "records/s" in proc.stdout, proc.stdout + proc.stderr
    figures = json.loads(results.read_text())
    # The documented shape: a list of {name, value, unit, goal, met, machine}.
    assert figures and all(
        set(f) == {"name", "value", "unit", "goal", "met", "machine"} for f in figures
    )
    assert all(" cores, " in f["machine"] for f in figures)
    assert {f["met"] for f in figures if f["goal"]} <= {True, False}
    assert TOKEN not in proc.stdout + proc.stderr
    assert TOKEN not in results.read_text()
