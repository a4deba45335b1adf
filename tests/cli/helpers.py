"""Helpers of the CLI tests: the checked runner and the simulator's ground truth."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from activecampaign_segments.cli import app
from activecampaign_simulator.server import SimulatorHandle
from typer.testing import CliRunner, Result

# Distinctive, so a leak anywhere in the output is unmistakable.
TOKEN = "cli-Secret-Token-7f3a9c2e"
WRONG_TOKEN = "wrong-Secret-Token-51b8d0"
SEGMENTS = ("1", "2", "3")
HISTORY = 130  # three pages of 50: the last one short
# Long enough that its output overflows a pipe's buffer (64 KiB on Linux).
BIG_SEGMENT = "big"
BIG_HISTORY = 1500


def invoke(
    args: Sequence[str],
    *,
    base_url: str | None = None,
    token: str | None = TOKEN,
    stdin: str | None = None,
    debug: bool = False,
) -> Result:
    """Run ``ac-segments [--base-url URL --rps 0] ARGS`` with the token in the environment.

    Whatever the outcome, the run must not leak the token, must not show a traceback
    (unless ``--debug``) and must end through the CLI's own exit, not a stray exception.
    """
    env: dict[str, str | None] = {"ACTIVECAMPAIGN_API_URL": None, "ACTIVECAMPAIGN_API_KEY": token}
    prefix = ["--rps", "0"]
    if base_url is not None:
        prefix = ["--base-url", base_url, *prefix]
    if debug:
        prefix.append("--debug")
    result = CliRunner().invoke(app, [*prefix, *args], env=env, input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    for secret in (TOKEN, WRONG_TOKEN):
        assert secret not in result.stdout
        assert secret not in result.stderr
    if not debug:
        assert "Traceback" not in result.stdout + result.stderr
    return result


def truth(handle: SimulatorHandle, segment_id: str) -> list[dict[str, Any]]:
    """The simulator's records of a segment (``attributes``), newest first."""
    return handle.store.records(segment_id)


def parse_ts(text: str) -> dt.datetime:
    """An API timestamp (``...Z``) as an aware datetime."""
    return dt.datetime.fromisoformat(text)


def jsonl(text: str) -> list[dict[str, Any]]:
    """Parse JSON lines, one object per non-empty line."""
    return [json.loads(line) for line in text.splitlines() if line]
