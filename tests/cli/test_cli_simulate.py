"""``ac-segments simulate``: a real process serving on loopback, then stopped with Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.helpers import invoke, jsonl


def test_simulate_serves_and_prints_where(tmp_path: Path) -> None:
    db = tmp_path / "sim.sqlite"
    command = [sys.executable, "-m", "activecampaign_segments.cli", "simulate", "--port", "0"]
    command += ["--segments", "2", "--history", "60", "--rps", "0", "--db", str(db)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACTIVECAMPAIGN_")}
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stdout is not None
        announced = dict(proc.stdout.readline().strip().split("=", 1) for _ in range(2))
        base_url, token = announced["base_url"], announced["token"]
        assert base_url.startswith("http://127.0.0.1:")
        assert not base_url.endswith(":0")
        result = invoke(["latest", "1", "2"], base_url=base_url, token=token)
        assert result.exit_code == 0, result.stderr
        assert [r["segment_id"] for r in jsonl(result.stdout)] == ["1", "2"]
        history = invoke(["history", "2", "--format", "csv"], base_url=base_url, token=token)
        assert history.exit_code == 0
        assert len(history.stdout.splitlines()) == 1 + 60
        assert db.exists()
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr


def test_simulate_passes_its_options_to_the_simulator(monkeypatch: pytest.MonkeyPatch) -> None:
    from activecampaign_simulator import server

    seen: list[list[str]] = []

    def fake_main(argv: list[str]) -> int:
        seen.append(argv)
        return 0

    monkeypatch.setattr(server, "main", fake_main)
    args = ["simulate", "--port", "9999", "--segments", "4", "--history", "12", "--rps", "2.5"]
    result = invoke([*args, "--db", "x.sqlite", "--seed", "7"])
    assert result.exit_code == 0, result.stderr
    argv = seen[0]
    pairs = dict(zip(argv[::2], argv[1::2], strict=True))
    assert pairs == {
        "--host": "127.0.0.1",
        "--port": "9999",
        "--rps": "2.5",
        "--segments": "4",
        "--history": "12",
        "--db": "x.sqlite",
        "--seed": "7",
    }


def test_simulate_exit_status_is_passed_on(monkeypatch: pytest.MonkeyPatch) -> None:
    from activecampaign_simulator import server

    monkeypatch.setattr(server, "main", lambda argv: 1)
    assert invoke(["simulate"]).exit_code == 1
