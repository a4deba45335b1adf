"""A live progress line on stderr (records, requests, rate, elapsed) for long fetches.

Shown only when stderr is a terminal: in a pipe, a cron job or a CI log the command
stays silent, so its stderr holds nothing but real warnings and errors.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

T = TypeVar("T")


class _RateColumn(ProgressColumn):
    """Records per second over the whole run (steadier than rich's sampled speed)."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        rate = task.completed / elapsed if elapsed > 0 else 0.0
        return Text(f"{rate:,.0f} rec/s", style="progress.data.speed")


class Tracker:
    """Counts records as they pass and shows them on a rich ``Progress`` (if any)."""

    def __init__(self, progress: Progress | None, requests: Callable[[], int]) -> None:
        self._progress = progress
        self._requests = requests
        self._task = progress.add_task("", total=None, requests=0) if progress else None
        self.count = 0

    def track(self, records: Iterable[T]) -> Iterator[T]:
        """Yield ``records`` unchanged, counting them."""
        for record in records:
            self.count += 1
            if self._progress is not None and self._task is not None:
                self._progress.update(self._task, completed=self.count, requests=self._requests())
            yield record


@contextlib.contextmanager
def tracking(
    description: str,
    requests: Callable[[], int],
    *,
    enabled: bool = True,
    console: Console | None = None,
) -> Iterator[Tracker]:
    """A ``Tracker`` showing progress on ``console`` (default: stderr) if it is a terminal.

    ``requests`` reads the number of HTTP requests made so far (``client.stats``).
    ``enabled=False`` keeps it silent (the records themselves are scrolling past on the
    same terminal, and a live line would be torn by them).
    """
    console = console if console is not None else Console(stderr=True)
    if not enabled or not console.is_terminal:
        yield Tracker(None, requests)
        return
    progress = Progress(
        SpinnerColumn(),
        TextColumn(description),
        TextColumn("{task.completed:,} records"),
        TextColumn("{task.fields[requests]:,} requests"),
        _RateColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        # rich would otherwise route sys.stdout through the stderr console: piped
        # records must reach stdout untouched.
        redirect_stdout=False,
        redirect_stderr=False,
    )
    with progress:
        yield Tracker(progress, requests)
