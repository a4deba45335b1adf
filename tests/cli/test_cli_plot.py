"""``ac-segments plot``: a real PNG, and the hash-change markers where the data changes."""

from __future__ import annotations

import datetime as dt
import itertools
import struct
import sys
from pathlib import Path
from typing import Any

import pytest
from activecampaign_segments.cli import commands as app_module
from activecampaign_segments.cli.errors import ExitCode
from activecampaign_segments.cli.plot import HASH_CHANGE_GID
from activecampaign_simulator.dataset import EMPTY_SEGMENT
from activecampaign_simulator.server import SimulatorHandle
from matplotlib import dates as mdates
from matplotlib.figure import Figure

from tests.cli.helpers import SEGMENTS, invoke, parse_ts, truth

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _expected_changes(records: list[dict[str, Any]]) -> list[dt.datetime]:
    """Oldest first: the time of the first record carrying each new segment_hash."""
    oldest_first = list(reversed(records))
    return [
        parse_ts(new["timestamp"])
        for old, new in itertools.pairwise(oldest_first)
        if new["segment_hash"] != old["segment_hash"]
    ]


@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch) -> list[Figure]:
    """Every Figure the CLI saves, captured on its way to the file."""
    captured: list[Figure] = []
    real_save = app_module.save_figure

    def save(figure: Figure, path: Path) -> None:
        captured.append(figure)
        real_save(figure, path)

    monkeypatch.setattr(app_module, "save_figure", save)
    return captured


def test_plot_writes_a_valid_png(sim: SimulatorHandle, tmp_path: Path) -> None:
    target = tmp_path / "segment-1.png"
    result = invoke(["plot", "1", "--output", str(target)], base_url=sim.base_url)
    assert result.exit_code == 0, result.stderr
    data = target.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1000, 500)
    assert len(data) > 10_000  # a drawn chart, not an empty canvas
    assert str(target) in result.stdout
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_markers_are_drawn_where_the_segment_hash_changes(
    sim: SimulatorHandle, tmp_path: Path, figures: list[Figure]
) -> None:
    changed = 0
    for segment_id in SEGMENTS:
        records = truth(sim, segment_id)
        expected = _expected_changes(records)
        result = invoke(
            ["plot", segment_id, "--output", str(tmp_path / f"{segment_id}.png")],
            base_url=sim.base_url,
        )
        assert result.exit_code == 0, result.stderr
        ax = figures[-1].axes[0]
        markers = [line for line in ax.get_lines() if line.get_gid() == HASH_CHANGE_GID]
        drawn = [mdates.num2date(line.get_xdata()[0]) for line in markers]
        assert drawn == pytest.approx(expected, abs=dt.timedelta(milliseconds=1))
        # Vertical: the same x from the bottom to the top of the axes.
        for line in markers:
            assert line.get_xdata()[0] == line.get_xdata()[1]
        assert f"{len(expected)} definition change(s)" in result.stdout
        changed += len(expected)
        # The data line itself: every record, oldest first, counts as recorded.
        (data_line,) = [line for line in ax.get_lines() if line.get_label() == "result_count"]
        assert list(data_line.get_ydata()) == [r["result_count"] for r in reversed(records)]
        assert segment_id in ax.get_title()
        assert isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)
    assert changed > 0, "the test data must contain at least one definition change"


def test_active_adds_the_active_count_line(
    sim: SimulatorHandle, tmp_path: Path, figures: list[Figure]
) -> None:
    result = invoke(
        ["plot", "2", "--active", "--output", str(tmp_path / "a.svg")], base_url=sim.base_url
    )
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "a.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    labels = {line.get_label() for line in figures[-1].axes[0].get_lines()}
    assert {"result_count", "active_result_count"} <= labels


def test_since_bounds_the_plotted_records(
    sim: SimulatorHandle, tmp_path: Path, figures: list[Figure]
) -> None:
    records = truth(sim, "3")
    since = records[39]["timestamp"]
    result = invoke(
        ["plot", "3", "--since", since, "--output", str(tmp_path / "p.png")],
        base_url=sim.base_url,
    )
    assert result.exit_code == 0, result.stderr
    (data_line,) = [
        line for line in figures[-1].axes[0].get_lines() if line.get_label() == "result_count"
    ]
    assert len(data_line.get_ydata()) == 40


def test_missing_matplotlib_names_the_extra(
    sim: SimulatorHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # None in sys.modules makes `import matplotlib` raise ImportError, as if absent.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    target = tmp_path / "x.png"
    result = invoke(["plot", "1", "--output", str(target)], base_url=sim.base_url)
    assert result.exit_code == ExitCode.MISSING_EXTRA
    assert result.stderr.startswith("error: ")
    assert "pip install 'activecampaign-segments[plot]'" in result.stderr
    assert not target.exists()


def test_an_unknown_picture_suffix_is_a_usage_error(sim: SimulatorHandle, tmp_path: Path) -> None:
    result = invoke(["plot", "1", "--output", str(tmp_path / "x.gif")], base_url=sim.base_url)
    assert result.exit_code == ExitCode.USAGE
    assert ".png" in result.stderr


def test_an_empty_history_has_nothing_to_plot(sim: SimulatorHandle, tmp_path: Path) -> None:
    target = tmp_path / "x.png"
    result = invoke(["plot", EMPTY_SEGMENT, "--output", str(target)], base_url=sim.base_url)
    assert result.exit_code == ExitCode.ERROR
    assert "no count history" in result.stderr
    assert not target.exists()
