"""The simulator over real loopback HTTP: serve_in_thread and ``python -m``."""

from __future__ import annotations

import inspect
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from activecampaign_simulator import server
from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.server import build_parser, config_from_args, serve_in_thread

from tests.simulator.conftest import API, AUTH

ROOT = Path(__file__).resolve().parents[2]
SMALL = SimulatorConfig(segments=2, history=60, rps=0)


def test_serve_in_thread_answers_over_loopback_and_stops() -> None:
    with serve_in_thread(SMALL) as handle:
        assert handle.base_url == f"http://127.0.0.1:{handle.port}"
        assert handle.port > 0 and handle.token == "sim-token"
        assert "sim-token" not in repr(handle)
        with httpx.Client(base_url=handle.base_url, timeout=10) as http:
            ok = http.get(f"{API}/1/count-history", headers=AUTH)
            assert ok.status_code == 200
            assert [r["attributes"] for r in ok.json()["data"]] == handle.store.records("1")[:50]
            missing = http.get(f"{API}/%0A/count-history", headers=AUTH)
            assert missing.status_code == 404
            assert missing.headers["content-type"] == "application/json"
            head = http.head(f"{API}/1/count-history", headers=AUTH)
            assert (head.status_code, head.headers["allow"]) == (405, "GET")
        base_url = handle.base_url
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}{API}/1/count-history", headers=AUTH, timeout=2)


def test_serve_in_thread_accepts_a_prebuilt_app() -> None:
    from activecampaign_simulator.app import create_app

    app = create_app(SimulatorConfig(segments=1, history=5, rps=0, token="other"))
    with serve_in_thread(app=app) as handle:
        assert handle.app is app and handle.token == "other"
        response = httpx.get(
            f"{handle.base_url}{API}/1/count-history", headers={"Api-Token": "other"}, timeout=10
        )
        assert len(response.json()["data"]) == 5


def test_rate_limit_over_http_answers_429_with_retry_after() -> None:
    config = SimulatorConfig(segments=1, history=5, rps=1)
    with (
        serve_in_thread(config) as handle,
        httpx.Client(base_url=handle.base_url, headers=AUTH, timeout=10) as http,
    ):
        statuses = [http.get(f"{API}/1/count-history").status_code for _ in range(3)]
        limited = http.get(f"{API}/1/count-history")
    assert statuses[0] == 200 and 429 in statuses[1:]
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1


def test_port_in_use_is_a_clear_error() -> None:
    with (
        serve_in_thread(SMALL) as handle,
        pytest.raises(RuntimeError, match="could not start"),
        serve_in_thread(SMALL, port=handle.port),
    ):
        pytest.fail("a second server bound the same port")


def test_default_bind_is_loopback() -> None:
    assert inspect.signature(serve_in_thread).parameters["host"].default == "127.0.0.1"
    assert build_parser().parse_args([]).host == "127.0.0.1"
    with serve_in_thread(SMALL) as handle:
        assert handle.host == "127.0.0.1"
        assert handle.base_url.startswith("http://127.0.0.1:")


def test_command_line_maps_onto_the_config() -> None:
    args = build_parser().parse_args(
        ["--segments", "4", "--history", "9", "--seed", "3", "--token", "t", "--rps", "0",
         "--latency-ms", "50", "--error-rate", "0.1", "--malformed-rate", "0.2",
         "--throttle-rate", "0.05", "--db", "x.db", "--extra-segment", "big=10",
         "--quirk", "page_51", "--fault-seed", "8"]
    )  # fmt: skip
    assert config_from_args(args) == SimulatorConfig(
        segments=4, history=9, seed=3, token="t", rps=0, latency=0.05, error_rate=0.1,
        malformed_rate=0.2, throttle_rate=0.05, db_path="x.db", extra_segments={"big": 10},
        quirks={"page_51"}, fault_seed=8,
    )  # fmt: skip


@pytest.mark.parametrize(
    "argv",
    [["--error-rate", "2"], ["--extra-segment", "big"], ["--extra-segment", "big=-3"],
     ["--segments", "x"], ["--quirk", "nope"], ["--token", ""], ["--port", "70000"],
     ["--latency-ms", "-5"]],
)  # fmt: skip
def test_bad_options_exit_2_with_a_message(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        server.main(argv)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_unusable_db_path_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing_dir = tmp_path / "no" / "such" / "dir" / "sim.db"
    assert server.main(["--port", "0", "--db", str(missing_dir)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot build the simulator's data:")
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_port_in_use_makes_main_exit_non_zero(capsys: pytest.CaptureFixture[str]) -> None:
    with serve_in_thread(SMALL) as handle:
        status = server.main(["--port", str(handle.port), "--segments", "1", "--history", "1"])
    assert status != 0
    assert "base_url=" not in capsys.readouterr().out


def test_python_m_starts_prints_url_and_token_and_stops_on_sigterm() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "activecampaign_simulator", "--port", "0", "--segments", "2",
         "--history", "10", "--token", "cli-token-123"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        second = process.stdout.readline().strip()
        assert first.startswith("base_url=http://127.0.0.1:")
        assert second == "token=cli-token-123"
        base_url = first.removeprefix("base_url=")
        assert int(base_url.rsplit(":", 1)[1]) > 0
        response = httpx.get(
            f"{base_url}{API}/1/count-history", headers={"Api-Token": "cli-token-123"}, timeout=10
        )
        assert response.status_code == 200 and len(response.json()["data"]) == 10
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert process.returncode == 0
    # No access log by default, and the token never reaches the logs.
    assert "cli-token-123" not in err
    assert "GET /api" not in err and "GET /api" not in out
