"""The ``ac-segments`` command line (console script ``activecampaign_segments.cli:main``).

Typer and rich come with the ``cli`` extra: this module imports neither, so the console
script can say in one line which ``pip install`` is missing instead of a traceback.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from activecampaign_segments._extras import MissingExtraError, require

if TYPE_CHECKING:
    from typer import Typer

__all__ = ["app", "main"]

#: Exit status when an optional extra is missing (``ExitCode.MISSING_EXTRA``).
_MISSING_EXTRA = 11


def main() -> None:
    """The ``ac-segments`` console script."""
    try:
        require("cli", "ac-segments")
    except MissingExtraError as exc:
        print(f"ac-segments: {exc}", file=sys.stderr)
        raise SystemExit(_MISSING_EXTRA) from None
    from activecampaign_segments.cli.commands import main as run

    run()


def __getattr__(name: str) -> Any:
    # `from activecampaign_segments.cli import app`, imported only when asked for.
    if name == "app":
        from activecampaign_segments.cli.commands import app

        typed: Typer = app
        return typed
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
