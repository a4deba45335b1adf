"""The ``plot`` chart: result counts over time, with a marker where the definition changed.

matplotlib is an optional extra (``activecampaign-segments[plot]``), imported only
here and only when a chart is drawn, so the rest of the CLI works without it. The
chart is built on a bare ``Figure`` with the Agg canvas, never ``pyplot``: no global
state, no GUI backend, and tests can inspect the ``Figure`` before it is saved.
"""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from activecampaign_segments.cli.errors import CliError, ExitCode
from activecampaign_segments.cli.formats import RecordLike
from activecampaign_segments.cli.output import atomic_binary

if TYPE_CHECKING:
    from matplotlib.figure import Figure

HASH_CHANGE_GID = "segment-hash-change"
"""The ``gid`` of every vertical line that marks a ``segment_hash`` change."""

MISSING_MATPLOTLIB = (
    "plotting needs matplotlib, which is not installed: pip install 'activecampaign-segments[plot]'"
)


def require_matplotlib() -> None:
    """Fail early, before any request, with the extra to install if matplotlib is missing."""
    try:
        importlib.import_module("matplotlib")
    except ImportError as exc:
        raise CliError(ExitCode.MISSING_EXTRA, MISSING_MATPLOTLIB) from exc


def hash_changes(points: list[tuple[dt.datetime, str]]) -> list[dt.datetime]:
    """The times (oldest first) of the first record after each ``segment_hash`` change."""
    return [new[0] for old, new in itertools.pairwise(points) if new[1] != old[1]]


def build_figure(records: Iterable[RecordLike], segment_id: str, *, active: bool) -> Figure:
    """Draw the chart for ``records`` (any order) and return the unsaved ``Figure``."""
    require_matplotlib()
    from matplotlib import dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import StrMethodFormatter

    rows = sorted(
        ((r.recorded_at, r.result_count, r.active_result_count, r.segment_hash) for r in records),
        key=lambda row: row[0],
    )
    if not rows:
        raise CliError(ExitCode.ERROR, f"segment {segment_id} has no count history to plot")
    # matplotlib.dates ships without type hints, hence the ignores on its calls below.
    times = mdates.date2num([row[0] for row in rows])  # type: ignore[no-untyped-call]

    fig = Figure(figsize=(10, 5), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.plot(times, [row[1] for row in rows], color="tab:blue", label="result_count", lw=1.5)
    if active:
        # Missing active counts become gaps (NaN), not zeros: zero would be a lie.
        actives = [float("nan") if row[2] is None else float(row[2]) for row in rows]
        ax.plot(times, actives, color="tab:green", label="active_result_count", lw=1.2)
    changes = hash_changes([(row[0], row[3]) for row in rows])
    for index, when in enumerate(mdates.date2num(changes)):  # type: ignore[no-untyped-call]
        ax.axvline(
            when,
            color="tab:red",
            linestyle="--",
            lw=1,
            alpha=0.8,
            gid=HASH_CHANGE_GID,
            label="definition changed (segment_hash)" if index == 0 else "_nolegend_",
        )

    ax.xaxis_date()
    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_xlabel("recorded at (UTC)")
    ax.set_ylabel("contacts")
    ax.set_title(f"Segment {segment_id}: result count over time ({len(rows):,} counts)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best")
    return fig


def marked_changes(fig: Figure) -> int:
    """How many hash-change markers ``fig`` shows (read from its artists, not recomputed)."""
    return sum(1 for ax in fig.axes for line in ax.lines if line.get_gid() == HASH_CHANGE_GID)


SUPPORTED_SUFFIXES = (".png", ".svg", ".pdf")


def picture_format(path: Path) -> str:
    """The matplotlib format named by ``path``'s suffix, or a usage error (checked early)."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise CliError(
            ExitCode.USAGE,
            f"--output must end in one of {', '.join(SUPPORTED_SUFFIXES)}: {path}",
        )
    return suffix.lstrip(".")


def save_figure(fig: Figure, path: Path) -> None:
    """Write ``fig`` to ``path`` atomically, in the format its suffix names."""
    fmt = picture_format(path)
    with atomic_binary(path) as handle:
        fig.savefig(handle, format=fmt)
