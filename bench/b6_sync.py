"""Benchmark 6: many segments, ``ac-segments sync ... --db PATH`` (batch-first, segments at once).

1,000 small segments (10 records each: one page) on the simulator (in a thread of this
process, so its response counter can be read and counts added; answers wait 300 ms and
it allows 5 requests per second, like a real account far away). The CLI runs in process
with the ids on stdin, as a cron job would give them:

- a first sync into an empty store: one batch request per 100 ids, then every segment
  walked, four at once; goal: wall at most 1.15 x (its requests / 5 per second), i.e.
  at the account's limit rather than one round trip at a time, and no 429;
- for contrast, the first sync of 50 of them with ``--concurrency 1`` (one segment
  after another, page after page), without a goal;
- a sync with nothing new: goal exactly ⌈1,000/100⌉ = 10 requests (it made 1,000
  before batch-first), sent four at once, so its wall is about 10 / 5 per second plus
  the command's own work over 1,000 segments;
- a sync after one new count on each of 5 segments: goal at most 10 + 5 + 1 requests.

Every run's output must say what the server holds (10 records stored per segment, the
new counts exactly where they were added), or the benchmark is void.
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

from activecampaign_segments.cli import app
from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.server import SimulatorHandle, serve_in_thread
from typer.testing import CliRunner

from bench.results import Figure, check

TITLE = "6. Many segments: ac-segments sync --db (small segments, {rps:g} rps, latency 1.5 / rps)"
HISTORY = 10
CHANGED = 5
SEQUENTIAL = 50  # segments synced one after another, for contrast
# Time for the simulator's bucket to refill between runs, so each starts alike.
SETTLE_SECONDS = 2.0


def _requests(sim: SimulatorHandle) -> int:
    return int(sum(sim.app.state.status_counts.values()))


def _throttled(sim: SimulatorHandle) -> int:
    return int(sim.app.state.status_counts[429])


def _sync(
    sim: SimulatorHandle, rps: float, db: Path, ids: list[str], *extra: str
) -> tuple[float, int, list[str]]:
    """``ac-segments sync - --db DB`` with ``ids`` on stdin: wall seconds, requests, lines."""
    args = ["--base-url", sim.base_url, "--rps", f"{rps:g}", "sync", "-", "--db", str(db)]
    env = {"ACTIVECAMPAIGN_API_KEY": sim.token, "ACTIVECAMPAIGN_SEGMENTS_DB": None}
    before = _requests(sim)
    start = time.perf_counter()
    result = CliRunner().invoke(app, [*args, *extra], env=env, input="\n".join(ids))
    wall = time.perf_counter() - start
    if result.exit_code != 0:
        raise RuntimeError(f"sync {' '.join(extra)} failed: {result.stderr.strip()}")
    return wall, _requests(sim) - before, result.stdout.splitlines()


def _expect(lines: list[str], ids: list[str], new: dict[str, int], before: int) -> None:
    """The lines must say: ``before`` records held, plus ``new[id]`` (default 0) new."""
    expected = [
        f"segment {i}: {before + new.get(i, 0)} records stored, {new.get(i, 0)} new" for i in ids
    ]
    if lines != expected:
        raise RuntimeError("ac-segments sync reported something else than the server holds")


def run(machine: str, token: str, quick: bool) -> list[Figure]:
    """Measure the four syncs against one simulator; return the figures."""
    rps = 25.0 if quick else 5.0
    count = 200 if quick else 1_000
    # 300 ms at 5 rps; a quick run keeps the same latency per rate slot (60 ms at 25 rps).
    latency = 1.5 / rps
    config = SimulatorConfig(segments=count, history=HISTORY, rps=rps, latency=latency, token=token)
    ids = [str(i) for i in range(1, count + 1)]
    changed = [ids[round(k * (count - 1) / (CHANGED - 1))] for k in range(CHANGED)]
    with serve_in_thread(config) as sim, tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "history.db"
        first = _sync(sim, rps, db, ids)
        first_throttled = _throttled(sim)
        _expect(first[2], ids, dict.fromkeys(ids, HISTORY), 0)
        time.sleep(SETTLE_SECONDS)
        few = ids[:SEQUENTIAL]
        sequential = _sync(sim, rps, Path(folder) / "sequential.db", few, "--concurrency", "1")
        _expect(sequential[2], few, dict.fromkeys(few, HISTORY), 0)
        time.sleep(SETTLE_SECONDS)
        unchanged = _sync(sim, rps, db, ids)
        _expect(unchanged[2], ids, {}, HISTORY)
        for segment_id in changed:
            newest_ms = sim.store.page(segment_id, limit=1)[0][1]
            new = (
                segment_id,
                newest_ms + 60_000,
                "bench-hash",
                f"bench-{segment_id}",
                1,
                None,
                None,
            )
            sim.store.add(new)
        time.sleep(SETTLE_SECONDS)
        after = _sync(sim, rps, db, ids)
        _expect(after[2], ids, dict.fromkeys(changed, 1), HISTORY)

    batches = math.ceil(count / 100)
    first_ideal = first[1] / rps
    ratio_goal, ratio_met = check(round(first[0] / first_ideal, 3), "<=", 1.15)
    throttled_goal, throttled_met = check(first_throttled, "==", 0)
    unchanged_goal, unchanged_met = check(unchanged[1], "==", batches)
    changed_goal, changed_met = check(after[1], "<=", batches + CHANGED + 1)
    first_label = f"first sync of {count:,} small segments"
    sequential_label = f"first sync of {SEQUENTIAL} of them, --concurrency 1"
    unchanged_label = f"sync of {count:,} unchanged segments"
    changed_label = f"sync of {count:,} segments, {CHANGED} with a new count"
    return [
        Figure(f"{first_label}: requests", first[1], "requests", machine=machine),
        Figure(f"{first_label}: wall", first[0], "s", machine=machine),
        Figure(
            f"{first_label}: wall / (requests / rate)",
            first[0] / first_ideal,
            "x",
            ratio_goal,
            ratio_met,
            machine,
        ),
        Figure(
            f"{first_label}: 429s received",
            first_throttled,
            "responses",
            throttled_goal,
            throttled_met,
            machine,
        ),
        Figure(f"{sequential_label}: wall", sequential[0], "s", machine=machine),
        Figure(
            f"{sequential_label}: wall / (requests / rate)",
            sequential[0] / (sequential[1] / rps),
            "x",
            machine=machine,
        ),
        Figure(
            f"{unchanged_label}: requests",
            unchanged[1],
            "requests",
            unchanged_goal,
            unchanged_met,
            machine,
        ),
        Figure(f"{unchanged_label}: wall", unchanged[0], "s", machine=machine),
        Figure(
            f"{unchanged_label}: wall / (requests / rate)",
            unchanged[0] / (unchanged[1] / rps),
            "x",
            machine=machine,
        ),
        Figure(
            f"{changed_label}: requests", after[1], "requests", changed_goal, changed_met, machine
        ),
        Figure(f"{changed_label}: wall", after[0], "s", machine=machine),
    ]
