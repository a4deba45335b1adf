"""``ac-segments`` never prints the token: not in its progress display, output or errors.

The CLI runs as a real process with its stderr on a pseudo-terminal, so the live progress
display is drawn (it is only shown on a terminal), and with ``--debug`` tracebacks. The token
is given the two ways a user can: the environment and ``--api-token``.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.server import SimulatorHandle, serve_in_thread

TOKEN = "LEAKCHECK-cli-3e8b1f0d9a6c2754"
CLI = Path(sys.executable).with_name("ac-segments")


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorHandle]:
    # 50 ms per answer: a 1,000-record history takes about a second, so the progress display
    # (refreshed ten times a second) is really drawn.
    config = SimulatorConfig(segments=2, history=1_000, rps=0, latency=0.05, token=TOKEN)
    with serve_in_thread(config) as handle:
        yield handle


def _run(args: list[str], *, token_in_env: bool = True) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pty; return (exit code, stdout, terminal output)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACTIVECAMPAIGN_")}
    env.update({"TERM": "xterm-256color", "COLUMNS": "120"})
    if token_in_env:
        env["ACTIVECAMPAIGN_API_KEY"] = TOKEN
    master, slave = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        proc = subprocess.run(
            [str(CLI), *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=slave,
            timeout=60,
            check=False,
        )
    finally:
        os.close(slave)
        reader.join(10)
        os.close(master)
    return (
        proc.returncode,
        proc.stdout.decode(errors="replace"),
        b"".join(chunks).decode(errors="replace"),
    )


@pytest.mark.timeout(120)
def test_cli_never_prints_the_token(sim: SimulatorHandle, tmp_path: Path) -> None:
    url = ["--base-url", sim.base_url, "--rps", "0"]
    closed = ["--base-url", "http://127.0.0.1:9", "--rps", "0", "--timeout", "1"]
    runs = {
        "history to a file": ([*url, "history", "1", "--output", str(tmp_path / "h.csv")], 0),
        "history, token as an option": (
            [*url, "--api-token", TOKEN, "history", "2", "--format", "jsonl"],
            0,
        ),
        "latest with unknown ids": ([*url, "latest", "1", "2", "nope"], 0),
        "not found, --debug": ([*url, "--debug", "history", "nope"], None),
        "unreachable, --debug": ([*closed, "--debug", "--max-retries", "0", "history", "1"], None),
    }
    outputs: dict[str, tuple[int, str, str]] = {}
    for name, (args, expected_code) in runs.items():
        token_in_env = "--api-token" not in args
        code, stdout, terminal = _run(args, token_in_env=token_in_env)
        outputs[name] = (code, stdout, terminal)
        if expected_code is not None:
            assert code == expected_code, f"{name}: exit {code}: {terminal[-500:]}"
        else:
            assert code != 0, f"{name}: expected a failure"
        assert TOKEN not in stdout, f"{name}: token on stdout"
        assert TOKEN not in terminal, f"{name}: token on the terminal"
    # The checks above were meaningful: progress was drawn, errors and tracebacks were shown.
    assert "records" in outputs["history to a file"][2]
    assert "Traceback" in outputs["unreachable, --debug"][2]
    assert len((tmp_path / "h.csv").read_text().splitlines()) == 1_001
