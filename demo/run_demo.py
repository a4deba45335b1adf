"""``make demo``: the simulator, then ``latest``, ``history`` and ``plot`` as a user types them.

Starts ``ac-segments simulate`` on a free loopback port with the simulator's default
rate limit (5 requests per second, like a real account: the client's limiter keeps the
CLI under it, and the whole demo still needs only a dozen requests), runs the commands,
stops the simulator and says where the picture is.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from activecampaign_simulator.process import simulator_process

ROOT = Path(__file__).resolve().parent.parent
SEGMENT = "4"  # in the default data set (seed 0) its definition changes three times
LATEST = ["1", "2", "3", "4", "5"]
PICTURE = Path("demo") / f"segment-{SEGMENT}.png"


def _cli() -> str:
    script = Path(sys.executable).with_name("ac-segments")
    return str(script) if script.exists() else "ac-segments"


def _run(args: list[str], env: dict[str, str]) -> None:
    print(f"\n$ ac-segments {' '.join(args)}", flush=True)
    completed = subprocess.run([_cli(), *args], env=env, cwd=ROOT, check=False)  # noqa: S603
    if completed.returncode != 0:
        raise SystemExit(f"demo: ac-segments {args[0]} exited {completed.returncode}")


def main() -> int:
    """Run the demo; the exit status is non-zero if any step failed."""
    (ROOT / "demo").mkdir(exist_ok=True)
    with simulator_process(command=[_cli(), "simulate", "--port", "0"]) as simulator:
        print(f"Simulator running at {simulator.base_url} (token: {simulator.token})")
        env = {
            **os.environ,
            "ACTIVECAMPAIGN_API_URL": simulator.base_url,
            "ACTIVECAMPAIGN_API_KEY": simulator.token,
        }
        _run(["latest", *LATEST, "--format", "table"], env)
        _run(["history", SEGMENT, "--limit", "20", "--format", "table"], env)
        _run(["plot", SEGMENT, "--output", str(PICTURE)], env)
    print("\nSimulator stopped.")
    print(f"The picture is at {PICTURE} (open it with any image viewer).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
