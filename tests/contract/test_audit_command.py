"""`ac-segments contract`'s audit phase: budget option, report, verdicts, unknown --segment-ids.

The Schemathesis child process is replaced by a stub that passes (its own behaviour is tested in
test_command.py and the packaging tests), so these runs cost the discovery and the audit only,
over loopback HTTP against the simulator.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from activecampaign_segments.cli import app
from activecampaign_segments.contract import runner
from activecampaign_segments.contract.runner import ContractSettings
from activecampaign_segments.contract.verdicts import Observations
from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.server import serve_in_thread
from typer.testing import CliRunner

from tests.conftest import ROOT
from tests.contract.independent import TOKEN, IndependentServer, Variant


@pytest.fixture(autouse=True)
def schemathesis_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    def stub(*args: Any) -> int:
        observations: Path = args[5]
        observations.write_text(Observations().to_json())
        return 0

    monkeypatch.setattr(runner, "_schemathesis", stub)


def run(tmp_path: Path, *quirks: str, **options: Any) -> tuple[int, str, str]:
    config = SimulatorConfig(rps=0, quirks=frozenset(quirks))
    with serve_in_thread(config) as server:
        settings = ContractSettings(
            base_url=server.base_url,
            token=config.token,
            rate=0,
            junit=tmp_path / "junit.xml",
            **options,
        )
        out = io.StringIO()
        status = runner.run(settings, out)
    return status, out.getvalue(), (tmp_path / "junit.xml").read_text()


def test_the_audit_runs_by_default_and_reports_the_requests_it_used(tmp_path: Path) -> None:
    status, out, junit = run(tmp_path)
    assert status == 0, out
    assert "contract: audit across answers: passed; " in out
    assert " of 100 request(s) used in " in out
    assert 'name="contract audit"' in junit and "<failure" not in junit


def test_unknown_segment_ids_are_reported_and_the_others_tested(tmp_path: Path) -> None:
    status, out, _ = run(tmp_path, segment_ids=["900006", "nope", "99999", "1"])
    assert status == 0, out
    assert "no count history for 'nope', '99999' (unknown, empty or not readable)" in out
    assert "segments walked: '900006', '1'" in out


def test_an_id_the_server_refuses_in_the_batch_form_does_not_stop_the_others(
    tmp_path: Path,
) -> None:
    # This server answers 400 to a batch request naming a non-numeric id: each id is then
    # asked alone, and only the refused one is left out.
    server = IndependentServer(variant=Variant(numeric_batch=True))
    with serve_in_thread(app=server) as handle:  # type: ignore[arg-type]
        settings = ContractSettings(
            base_url=handle.base_url,
            token=TOKEN,
            rate=0,
            segment_ids=["51", "no such", "1"],
            junit=tmp_path / "junit.xml",
        )
        out = io.StringIO()
        status = runner.run(settings, out)
    assert status == 0, out.getvalue()
    assert "no count history for 'no such'" in out.getvalue()
    assert "segments walked: '51', '1'" in out.getvalue()


def test_a_server_that_loses_records_fails_naming_both_requests(tmp_path: Path) -> None:
    status, out, junit = run(tmp_path, "skip_at_page_boundary")
    assert status == 1
    assert "contract: audit across answers: FAILED" in out
    line = next(x for x in out.splitlines() if "no_record_skipped_or_repeated: segment" in x)
    assert line.count("GET http://127.0.0.1:") == 2 and " vs " in line
    assert "contract: FAILED" in out
    assert '<failure type="audit"' in junit


def test_an_exhausted_budget_is_a_finding_unless_strict(tmp_path: Path) -> None:
    status, out, junit = run(tmp_path, audit_budget=3)
    assert status == 0, out
    assert "3 of 3 request(s) used" in out
    assert "contract: audit incomplete: the budget of 3 request(s) ran out" in out
    assert "contract: PASSED with 1 finding(s)" in out
    assert '<skipped type="finding"' in junit
    strict_status, strict_out, _ = run(tmp_path, audit_budget=3, strict=True)
    assert strict_status == 1, strict_out


def test_a_budget_of_zero_turns_the_audit_off(tmp_path: Path) -> None:
    status, out, junit = run(tmp_path, audit_budget=0)
    assert status == 0
    assert "contract: audit: off (--audit-budget 0)" in out
    assert "contract audit" not in junit


def test_a_negative_budget_is_refused_before_any_request(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["contract", "--audit-budget", "-1", "--junit", str(tmp_path / "j.xml")]
    )
    assert result.exit_code == 2
    with pytest.raises(runner.SetupError, match="--audit-budget must be >= 0"):
        runner.run(ContractSettings(audit_budget=-1, junit=tmp_path / "j.xml"), io.StringIO())


def test_make_passes_the_budget() -> None:
    result = subprocess.run(
        ["make", "-n", "--no-print-directory", "contract", "AUDIT_BUDGET=7"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "--audit-budget 7" in result.stdout
