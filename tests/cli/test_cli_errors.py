"""Every error class a person can meet: one stderr line, its own exit code, no leaks."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from activecampaign_segments.cli.errors import ExitCode
from activecampaign_simulator.dataset import FORBIDDEN_SEGMENT
from activecampaign_simulator.server import SimulatorHandle

from tests.cli.helpers import TOKEN, WRONG_TOKEN, invoke


def _one_error_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def _closed_port() -> int:
    # A port that was free a moment ago: nothing listens there.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_the_exit_codes_are_distinct() -> None:
    assert len({int(code) for code in ExitCode}) == len(ExitCode)


def test_missing_base_url_names_the_variable() -> None:
    result = invoke(["history", "1"])
    assert result.exit_code == ExitCode.CONFIG
    assert "ACTIVECAMPAIGN_API_URL" in _one_error_line(result.stderr)
    assert result.stdout == ""


def test_missing_token_names_the_variable(sim: SimulatorHandle) -> None:
    result = invoke(["latest", "1"], base_url=sim.base_url, token=None)
    assert result.exit_code == ExitCode.CONFIG
    assert "ACTIVECAMPAIGN_API_KEY" in _one_error_line(result.stderr)


def test_a_base_url_without_a_scheme_is_a_configuration_error() -> None:
    result = invoke(["history", "1"], base_url="acct.api-us1.com")
    assert result.exit_code == ExitCode.CONFIG
    assert "base_url" in _one_error_line(result.stderr)


def test_a_trailing_api_3_in_the_base_url_is_tolerated(sim: SimulatorHandle) -> None:
    result = invoke(["latest", "1"], base_url=sim.base_url + "/api/3/")
    assert result.exit_code == 0, result.stderr


def test_wrong_token_is_an_authentication_failure(sim: SimulatorHandle) -> None:
    result = invoke(["history", "1"], base_url=sim.base_url, token=WRONG_TOKEN)
    assert result.exit_code == ExitCode.AUTH
    assert "authentication failed" in _one_error_line(result.stderr)


def test_unknown_segment_is_not_found(sim: SimulatorHandle) -> None:
    result = invoke(["history", "no-such-segment"], base_url=sim.base_url)
    assert result.exit_code == ExitCode.NOT_FOUND
    assert "not found" in _one_error_line(result.stderr)
    assert result.stdout == ""


def test_forbidden_segment(sim: SimulatorHandle) -> None:
    result = invoke(["history", FORBIDDEN_SEGMENT], base_url=sim.base_url)
    assert result.exit_code == ExitCode.NOT_FOUND
    assert "forbidden" in _one_error_line(result.stderr)


def test_unreachable_server_is_a_network_error() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    result = invoke(["--max-retries", "0", "history", "1"], base_url=url)
    assert result.exit_code == ExitCode.NETWORK
    line = _one_error_line(result.stderr)
    assert "network unreachable" in line
    assert url in line


def test_a_slow_server_times_out(slow_sim: SimulatorHandle) -> None:
    args = ["--timeout", "0.1", "--max-retries", "0", "history", "1"]
    result = invoke(args, base_url=slow_sim.base_url)
    assert result.exit_code == ExitCode.NETWORK
    line = _one_error_line(result.stderr)
    assert "timed out" in line
    assert slow_sim.base_url in line


def test_rate_limited_after_retries(throttling_sim: SimulatorHandle) -> None:
    result = invoke(["--max-retries", "0", "history", "1"], base_url=throttling_sim.base_url)
    assert result.exit_code == ExitCode.RATE_LIMITED
    assert "rate limited" in _one_error_line(result.stderr)


def test_server_error_after_retries(failing_sim: SimulatorHandle) -> None:
    result = invoke(["--max-retries", "0", "latest", "1"], base_url=failing_sim.base_url)
    assert result.exit_code == ExitCode.SERVER
    assert "server error" in _one_error_line(result.stderr)


def test_a_malformed_answer_is_reported_as_such(malformed_sim: SimulatorHandle) -> None:
    result = invoke(["--max-retries", "0", "history", "1"], base_url=malformed_sim.base_url)
    assert result.exit_code == ExitCode.BAD_RESPONSE
    assert "unexpected response" in _one_error_line(result.stderr)


@pytest.mark.parametrize(
    "bounds",
    [
        ["--since", "yesterday"],
        ["--until", "2024-13-01"],
        ["--since", "1969-12-31"],
        ["--since", "99999999999999999999"],
        ["--since", "2024-05-02", "--until", "2024-05-01"],
        ["--since", "2024-05-01", "--until", "2024-05-01T00:00:00Z"],
    ],
)
def test_invalid_dates(sim: SimulatorHandle, bounds: list[str]) -> None:
    for command in (["history", "1"], ["plot", "1", "--output", "never.png"]):
        result = invoke([*command, *bounds], base_url=sim.base_url)
        assert result.exit_code == ExitCode.INVALID_DATE
        assert "date" in _one_error_line(result.stderr)
    assert not Path("never.png").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["history", "1", "--format", "xml"],
        ["history", "1", "--limit", "-1"],
        ["--rps", "-1", "history", "1"],
        ["--timeout", "0", "history", "1"],
        ["history"],
        ["no-such-command"],
    ],
)
def test_usage_errors_exit_2(sim: SimulatorHandle, args: list[str]) -> None:
    result = invoke(args, base_url=sim.base_url)
    assert result.exit_code == ExitCode.USAGE


def test_unwritable_output_is_an_output_error(sim: SimulatorHandle, tmp_path: Path) -> None:
    target = tmp_path / "no-such-folder" / "out.jsonl"
    result = invoke(["history", "1", "--output", str(target)], base_url=sim.base_url)
    assert result.exit_code == ExitCode.OUTPUT
    assert "cannot write" in _one_error_line(result.stderr)


def test_debug_shows_the_traceback_but_never_the_token(sim: SimulatorHandle) -> None:
    # invoke() checks that neither token appears anywhere in the output.
    result = invoke(["history", "1"], base_url=sim.base_url, token=WRONG_TOKEN, debug=True)
    assert result.exit_code == ExitCode.AUTH
    assert "Traceback" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1].startswith("error: authentication failed")


def test_token_given_as_an_option_is_not_echoed(sim: SimulatorHandle) -> None:
    result = invoke(
        ["--api-token", WRONG_TOKEN, "history", "no-such-segment"],
        base_url=sim.base_url,
        token=None,
        debug=True,
    )
    assert result.exit_code == ExitCode.AUTH


def test_help_does_not_show_the_token_from_the_environment() -> None:
    for args in (["--help"], ["history", "--help"], ["latest", "--help"]):
        result = invoke(args, token=TOKEN)  # invoke() checks the token is not shown
        assert result.exit_code == 0
        assert "Usage" in result.stdout
    assert "ACTIVECAMPAIGN_API_KEY" in invoke(["--help"], token=TOKEN).stdout
