"""Run the simulator as a child process and read the URL and token it announces.

For programs that need the simulator's CPU and memory apart from their own: the
loopback benchmarks, the fault suite's load test (which samples the child's resident
memory from /proc/PID/status), the security tests and ``make demo``. In-process
callers use :func:`activecampaign_simulator.server.serve_in_thread` instead.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO


@dataclass(frozen=True)
class SimulatorProcess:
    """A running ``python -m activecampaign_simulator`` child."""

    base_url: str
    token: str
    pid: int

    def rss_kib(self) -> int:
        """The child's current resident set size (VmRSS) in KiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError(f"no VmRSS for pid {self.pid}")


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


@contextmanager
def simulator_process(
    *args: str, start_timeout: float = 180.0, command: list[str] | None = None
) -> Iterator[SimulatorProcess]:
    """Start the simulator on a free port with ``args``; stop it on exit.

    ``command`` defaults to ``python -m activecampaign_simulator --host 127.0.0.1 --port 0``
    (the security tests pass their own to check the defaults). Waits for the ``base_url=``
    and ``token=`` lines it prints on start.
    """
    if command is None:
        command = [sys.executable, "-m", "activecampaign_simulator", "--host", "127.0.0.1"]
        command += ["--port", "0"]
    command = [*command, *args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter or console script
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(proc.stdout, lines), daemon=True).start()
    found: dict[str, str] = {}
    seen: list[str] = []
    try:
        while "base_url" not in found or "token" not in found:
            try:
                line = lines.get(timeout=start_timeout)
            except queue.Empty:
                raise RuntimeError("the simulator did not print base_url= and token=") from None
            if line is None:
                raise RuntimeError("the simulator exited on start:\n" + "".join(seen[-20:]))
            # Keep its output for the error message, but never the line that shows the token.
            seen.append("token=***\n" if line.strip().startswith("token=") else line)
            for key in ("base_url", "token"):
                prefix = key + "="
                if line.strip().startswith(prefix):
                    found[key] = line.strip()[len(prefix) :]
        yield SimulatorProcess(found["base_url"], found["token"], proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(15)
