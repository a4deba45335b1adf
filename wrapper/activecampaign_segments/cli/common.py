"""What the ``ac-segments`` commands share: the error guard, reading ids, common options.

``commands`` (history, latest, plot, simulate) and ``sync`` both use these, so neither
imports the other: ``commands`` registers ``sync``'s command, and this module sits
below both.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import traceback
from collections.abc import Iterator
from typing import Annotated, Final, TextIO

import typer

from activecampaign_segments.cli.config import GlobalOptions
from activecampaign_segments.cli.errors import ExitCode, describe, one_line, redact
from activecampaign_segments.cli.output import Interrupted

__all__ = [
    "CLI_CONCURRENCY",
    "ConcurrencyOption",
    "err",
    "guarded",
    "options_of",
    "read_ids",
]

CLI_CONCURRENCY: Final = 4
"""Requests the commands keep in flight by default: time windows of one segment
(``history``, ``plot``), segments at once (``sync``). The client runs fewer windows
when the rate limiter cannot use them."""

ConcurrencyOption = Annotated[
    int,
    typer.Option(
        "--concurrency",
        min=1,
        metavar="N",
        help="Requests in flight while walking a history: N time windows at once "
        "(sync: N segments at once, each walked as up to N windows); 1 = page after "
        "page, one segment after another. The rate limit holds either way.",
    ),
]


def err(message: str) -> None:
    """Write one line to stderr."""
    typer.echo(message, err=True)


class _RedactingFilter(logging.Filter):
    """Scrubs the token from every log line (the client should never log it anyway)."""

    def __init__(self, secret: str | None) -> None:
        super().__init__()
        self._secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secret:
            record.msg = redact(record.getMessage(), self._secret)
            record.args = None
        return True


@contextlib.contextmanager
def _log_to_stderr(options: GlobalOptions) -> Iterator[None]:
    """Log records reach stderr as single lines while a command runs.

    Warnings from the client (e.g. a second that could not be fully read) show by
    default; --debug adds the HTTP exchange. The handler is removed afterwards, so a
    program (or test) that runs the app in-process keeps its own logging set-up.
    """
    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RedactingFilter(options.api_token))
    handler.setFormatter(logging.Formatter("%(levelname)s: %(name)s: %(message)s"))
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if options.debug else logging.WARNING)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)


def _silence_stdout() -> None:
    # The reader of a pipe went away (`| head`): point the stdout descriptor at
    # /dev/null, as the Python docs advise, so the interpreter's final flush of the
    # buffered remainder does not fail again with a second BrokenPipeError.
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


@contextlib.contextmanager
def guarded(options: GlobalOptions) -> Iterator[None]:
    """Turn every failure inside the block into one stderr line and its exit code."""
    try:
        with _log_to_stderr(options):
            yield
    except (typer.Exit, typer.Abort, typer.BadParameter):
        # Typer's own ways out (an exit status, a usage error) pass through untouched.
        raise
    except Interrupted as exc:
        where = f" to {exc.output}" if exc.output is not None else ""
        err(
            f"interrupted: {exc.written} whole records written{where}; "
            "the output is incomplete (newest records first)"
        )
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    except KeyboardInterrupt:
        err("interrupted")
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    except BrokenPipeError:
        _silence_stdout()
        raise typer.Exit(ExitCode.OK) from None
    except Exception as exc:
        code, message = describe(exc, options.base_url)
        if options.debug:
            err(redact("".join(traceback.format_exception(exc)), options.api_token).rstrip())
        err(f"error: {one_line(redact(message, options.api_token))}")
        raise typer.Exit(code) from None


def read_ids(arguments: list[str], stdin: TextIO) -> list[str]:
    """The ids in order, without duplicates; ``-`` stands for the ids on stdin."""
    ids: list[str] = []
    for argument in arguments:
        if argument == "-":
            ids.extend(stdin.read().replace(",", " ").split())
        elif argument.strip():
            ids.append(argument.strip())
    return list(dict.fromkeys(ids))


def options_of(ctx: typer.Context) -> GlobalOptions:
    """The global options the root callback stored (defaults when run on its own)."""
    options = ctx.find_object(GlobalOptions)
    return options if options is not None else GlobalOptions()
