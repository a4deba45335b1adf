"""Benchmark 7 (issue 18): several ``ac-segments history`` processes on one account.

The simulator (in this process's thread, so its answers can be counted) enforces 5 requests
per second for the whole account and adds 50 ms to each answer; 2, then 4, CLI processes at
default settings each fetch the whole history of their own segment (2,000 records, 41
requests). Two ways:

* **one machine** (the default): the processes book their slots from the shared schedule
  file (``_crossprocess``), so together they keep to the account's rate;
* **several machines** (``ACTIVECAMPAIGN_LIMITER_DIR=off``, as processes that share no
  file): each has its own bucket, and only the adaptive rate (``_adaptive``) brings them
  down when the account answers 429. Context rows, no goals.

The ideal is the account's work at its rate: the requests answered 200 / 5 per second. The
goal is on the account's busy span (its first request received to its last answer sent);
the wall from starting the processes to the last one's exit, which adds their start-up
(about a second of imports on a loaded 2-core machine), is shown beside it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from activecampaign_simulator.app import create_app
from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.server import SimulatorHandle, serve_in_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bench.results import Figure, check

TITLE = "7. Processes sharing one account (5 requests/s, 50 ms latency)"
LATENCY = 0.05
SETTLE_SECONDS = 2.0
MODES = {
    "one machine, shared schedule (default)": None,
    "no shared schedule (as on separate machines)": "off",
}


class _Span:
    """ASGI middleware: when the first request arrived and the last answer left."""

    def __init__(self, app: ASGIApp, times: list[float]) -> None:
        self.app = app
        self.times = times

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.times.append(time.perf_counter())

        async def timed_send(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.start":
                self.times.append(time.perf_counter())

        await self.app(scope, receive, timed_send)


def _run_processes(
    sim: SimulatorHandle, segments: list[str], limiter_dir: str, workdir: Path
) -> tuple[float, list[int], list[int]]:
    """Start one CLI per segment at once; return (wall, exit codes, records printed each)."""
    env = {
        **os.environ,
        "ACTIVECAMPAIGN_API_URL": sim.base_url,
        "ACTIVECAMPAIGN_API_KEY": sim.token,
        "ACTIVECAMPAIGN_LIMITER_DIR": limiter_dir,
    }
    outputs = [workdir / f"segment-{segment}.jsonl" for segment in segments]
    cli = [sys.executable, "-m", "activecampaign_segments.cli", "history"]
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [*cli, segment, "--format", "jsonl", "--output", str(out)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for segment, out in zip(segments, outputs, strict=True)
    ]
    codes = []
    for proc in procs:
        _, stderr = proc.communicate(timeout=600)
        if proc.returncode != 0:
            print(stderr.decode(errors="replace").strip(), file=sys.stderr)
        codes.append(proc.returncode)
    wall = time.perf_counter() - start
    counts = []
    for out in outputs:
        lines = out.read_text(encoding="utf-8").splitlines() if out.exists() else []
        counts.append(len({json.loads(line)["run_id"] for line in lines}))
    return wall, codes, counts


def run(machine: str, token: str, quick: bool) -> list[Figure]:
    """Run 2 and 4 processes, with and without the shared schedule; return the figures."""
    rps = 5.0
    history = 300 if quick else 2_000
    config = SimulatorConfig(segments=4, history=history, rps=rps, latency=LATENCY, token=token)
    app = create_app(config)
    times: list[float] = []
    app.add_middleware(_Span, times=times)
    figures: list[Figure] = []
    with serve_in_thread(app=app) as sim, tempfile.TemporaryDirectory() as tmp:
        counts: Counter[int] = sim.app.state.status_counts
        for processes in (2, 4):
            segments = [str(i) for i in range(1, processes + 1)]
            for label, switch in MODES.items():
                limiter_dir = switch or str(Path(tmp) / f"limiter-{processes}")
                workdir = Path(tmp) / f"{processes}-{switch or 'shared'}"
                workdir.mkdir()
                time.sleep(SETTLE_SECONDS)  # the account's bucket refills between runs
                before = Counter(counts)
                times.clear()
                wall, codes, printed = _run_processes(sim, segments, limiter_dir, workdir)
                span = max(times) - min(times)
                answered = Counter(counts)
                answered.subtract(before)
                if any(code == 0 and n != history for code, n in zip(codes, printed, strict=True)):
                    raise RuntimeError(f"{label}: a process printed {printed}, not {history} each")
                figures += _figures(
                    f"{processes} processes, {label}",
                    (span, wall),
                    codes,
                    answered,
                    rps,
                    machine,
                    goals=switch is None,
                )
    return figures


def _figures(
    name: str,
    walls: tuple[float, float],
    codes: list[int],
    answered: Counter[int],
    rps: float,
    machine: str,
    *,
    goals: bool,
) -> list[Figure]:
    span, wall = walls
    requests = sum(answered.values())
    ideal = answered[200] / rps
    ratio = span / ideal
    share = answered[429] / requests if requests else 0.0
    failed = sum(1 for code in codes if code != 0)
    ratio_goal, ratio_met = check(round(ratio, 3), "<=", 1.15) if goals else ("", None)
    share_goal, share_met = check(round(share, 4), "<=", 0.05) if goals else ("", None)
    exit_goal, exit_met = check(failed, "==", 0) if goals else ("", None)
    return [
        Figure(f"{name}: account busy (first request to last answer)", span, "s", machine=machine),
        Figure(f"{name}: ideal (200s / rps)", ideal, "s", machine=machine),
        Figure(f"{name}: wall / ideal", ratio, "x", ratio_goal, ratio_met, machine),
        Figure(f"{name}: processes' wall (start-up included)", wall, "s", machine=machine),
        Figure(f"{name}: processes' wall / ideal", wall / ideal, "x", machine=machine),
        Figure(f"{name}: requests answered", requests, "requests", machine=machine),
        Figure(f"{name}: 429s received", answered[429], "responses", machine=machine),
        Figure(f"{name}: share of 429s", share, "of requests", share_goal, share_met, machine),
        Figure(
            f"{name}: processes not exiting 0", failed, "processes", exit_goal, exit_met, machine
        ),
    ]
