"""Which optional extra provides what, and the one-line error when one is missing.

The core install is only what the client needs (httpx, attrs); the command line, the
simulator, plotting, the contract suite, the dlt source and the testing fixtures each come
with an extra, as ``httpx[cli]`` does. Every entry point that needs one calls :func:`require`
before it imports anything from it, so a missing extra is one line naming the
``pip install`` to run, never an ``ImportError`` traceback, and never a request made first.
"""

from __future__ import annotations

import importlib.util
from typing import Final

__all__ = ["EXTRAS", "MissingExtraError", "install_hint", "missing_modules", "require"]

DISTRIBUTION: Final = "activecampaign-segments"

#: The top-level modules each extra brings, as imported (not as distributed).
EXTRAS: Final[dict[str, tuple[str, ...]]] = {
    "cli": ("typer", "rich"),
    "simulator": ("starlette", "uvicorn"),
    "plot": ("matplotlib",),
    "contract": ("schemathesis", "hypothesis", "hypothesis_jsonschema"),
    "dlt": ("dlt", "duckdb"),
    # The extra also brings pytest, but the fixtures run inside pytest and
    # ``simulated_account()`` does without it: only the simulator's libraries are needed.
    "testing": ("starlette", "uvicorn"),
}


class MissingExtraError(ImportError):
    """An optional extra is not installed; the message says how to install it."""

    def __init__(self, extra: str, needed_by: str, modules: list[str]) -> None:
        self.extra = extra
        self.modules = modules
        super().__init__(
            f"{needed_by} needs the '{extra}' extra ({', '.join(modules)} not installed): "
            f"{install_hint(extra)}"
        )


def install_hint(extra: str) -> str:
    """The command that installs ``extra``, e.g. ``pip install 'activecampaign-segments[cli]'``."""
    return f"pip install '{DISTRIBUTION}[{extra}]'"


def missing_modules(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported here (found without importing them)."""
    return [name for name in EXTRAS[extra] if importlib.util.find_spec(name) is None]


def require(extra: str, needed_by: str) -> None:
    """Raise :class:`MissingExtraError` unless every module of ``extra`` is installed.

    Args:
        extra: a key of :data:`EXTRAS`.
        needed_by: what needs it, for the message (a command, a module).
    """
    absent = missing_modules(extra)
    if absent:
        raise MissingExtraError(extra, needed_by, absent)
