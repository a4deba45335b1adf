"""A one-line description of the machine a benchmark ran on (cores and CPU model)."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def cpu_model(cpuinfo: str) -> str:
    """The first ``model name`` in a /proc/cpuinfo text, or "unknown CPU"."""
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() == "model name" and value.strip():
            return value.strip()
    return "unknown CPU"


def describe() -> str:
    """``"<cores> cores, <CPU model>, Python <version>"`` for the current machine."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    model = cpu_model(text) if text else (platform.processor() or "unknown CPU")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cores} cores, {model}, Python {platform.python_version()}"
