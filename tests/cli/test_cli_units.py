"""The CLI's helpers without a server: dates, formats, progress, atomic files, the chart."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import attrs
import pytest
from activecampaign_segments.cli.dates import parse_when
from activecampaign_segments.cli.errors import CliError, ExitCode, redact
from activecampaign_segments.cli.formats import OutputFormat, choose_format, make_writer
from activecampaign_segments.cli.output import Interrupted, atomic_binary, pump
from activecampaign_segments.cli.plot import HASH_CHANGE_GID, build_figure
from activecampaign_segments.cli.progress import tracking
from matplotlib import dates as mdates
from rich.console import Console

UTC = dt.UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01", dt.datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05-01T12:30", dt.datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
        ("2024-05-01 12:30:00Z", dt.datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
        ("2024-05-01T12:30:00.250+02:00", dt.datetime(2024, 5, 1, 10, 30, 0, 250000, tzinfo=UTC)),
        ("1714566600", dt.datetime(2024, 5, 1, 12, 30, tzinfo=UTC)),
        ("1714566600.5", dt.datetime(2024, 5, 1, 12, 30, 0, 500000, tzinfo=UTC)),
        (" 0 ", dt.datetime(1970, 1, 1, tzinfo=UTC)),
    ],
)
def test_dates_naive_means_utc(text: str, expected: dt.datetime) -> None:
    parsed = parse_when(text, "--since")
    assert parsed == expected
    assert parsed.tzinfo is not None


@pytest.mark.parametrize(
    "text", ["", "yesterday", "2024-02-30", "-5", "1e9", "12:30", "2024/05/01"]
)
def test_bad_dates_name_the_option(text: str) -> None:
    with pytest.raises(CliError) as caught:
        parse_when(text, "--until")
    assert caught.value.code is ExitCode.INVALID_DATE
    assert "--until" in caught.value.message


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_default_format_follows_the_terminal_and_the_suffix() -> None:
    assert choose_format(None, None, _Tty()) is OutputFormat.TABLE
    assert choose_format(None, None, io.StringIO()) is OutputFormat.JSONL
    assert choose_format(None, "x.CSV", _Tty()) is OutputFormat.CSV
    assert choose_format(None, "x.json", io.StringIO()) is OutputFormat.JSON
    assert choose_format(None, "x.txt", _Tty()) is OutputFormat.JSONL
    assert choose_format(OutputFormat.CSV, "x.json", _Tty()) is OutputFormat.CSV


@attrs.frozen
class Rec:
    """A CountRecord look-alike (the writers read attributes only)."""

    segment_id: str = "42"
    recorded_at: dt.datetime = dt.datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=UTC)
    epoch: int = 1714564800
    result_count: int = 1234567
    active_result_count: int | None = None
    segment_hash: str = "a" * 64
    run_id: str = "run"
    updating_run_id: str | None = None


def test_table_rows_line_up_with_the_header() -> None:
    out = io.StringIO()
    records = [
        Rec(),
        Rec(segment_id="a-very-long-segment-id", active_result_count=5, updating_run_id="u"),
    ]
    pump(records, OutputFormat.TABLE, out)
    header, rule, *rows = out.getvalue().splitlines()
    assert header.startswith("segment ")
    assert len(rows) == 2
    starts = [i for i, c in enumerate(rule) if c == "─" and (i == 0 or rule[i - 1] == " ")]
    assert len(starts) == 6
    assert rows[0][starts[2] :].lstrip().startswith("1,234,567")
    assert rows[1].startswith("a-very-lo…")  # too long: cut, columns stay aligned
    assert rows[1][starts[5] :].strip() == "yes"
    assert "2024-05-01 12:00:00.123" in rows[0]


def test_json_writer_streams_a_valid_array() -> None:
    out = io.StringIO()
    writer = make_writer(OutputFormat.JSON, out)
    writer.start()
    assert out.getvalue() == "["
    writer.write(Rec())
    writer.write(Rec(run_id="second"))
    writer.finish()
    items = json.loads(out.getvalue())
    assert [i["run_id"] for i in items] == ["run", "second"]
    assert items[0]["recorded_at"] == "2024-05-01T12:00:00.123Z"
    assert items[0]["active_result_count"] is None


def test_pump_closes_the_json_array_on_ctrl_c() -> None:
    def records() -> object:
        yield Rec()
        raise KeyboardInterrupt

    out = io.StringIO()
    with pytest.raises(Interrupted) as caught:
        pump(records(), OutputFormat.JSON, out)  # type: ignore[arg-type]
    assert caught.value.written == 1
    assert len(json.loads(out.getvalue())) == 1


def test_a_picture_interrupted_while_saving_is_removed(tmp_path: Path) -> None:
    target = tmp_path / "p.png"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt), atomic_binary(target) as handle:
        handle.write(b"half a pic")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["p.png"]


def test_progress_shows_on_a_terminal_and_counts() -> None:
    sink = io.StringIO()
    console = Console(file=sink, force_terminal=True, width=120)
    with tracking("segment 7", lambda: 3, console=console) as tracker:
        assert list(tracker.track(range(120))) == list(range(120))
    assert tracker.count == 120
    assert "records" in sink.getvalue()
    assert "segment 7" in sink.getvalue()


def test_progress_is_silent_off_a_terminal_or_when_disabled() -> None:
    for console, enabled in (
        (Console(file=io.StringIO(), force_terminal=False), True),
        (Console(file=io.StringIO(), force_terminal=True), False),
    ):
        with tracking("x", lambda: 0, console=console, enabled=enabled) as tracker:
            assert list(tracker.track("abc")) == ["a", "b", "c"]
        assert console.file.getvalue() == ""  # type: ignore[attr-defined]


def test_chart_marks_each_hash_change_at_the_first_record_of_the_new_hash() -> None:
    base = dt.datetime(2024, 1, 1, tzinfo=UTC)
    hashes = ["a", "a", "b", "b", "b", "a"]  # oldest first: changes at index 2 and 5
    records = [
        Rec(recorded_at=base + dt.timedelta(days=i), segment_hash=h, result_count=i)
        for i, h in enumerate(hashes)
    ]
    figure = build_figure(list(reversed(records)), "42", active=False)  # newest first, as served
    ax = figure.axes[0]
    markers = [line for line in ax.get_lines() if line.get_gid() == HASH_CHANGE_GID]
    drawn = [mdates.num2date(line.get_xdata()[0]) for line in markers]
    assert drawn == [base + dt.timedelta(days=2), base + dt.timedelta(days=5)]
    assert "42" in ax.get_title()


def test_chart_without_changes_has_no_markers() -> None:
    figure = build_figure(
        [Rec(), Rec(recorded_at=Rec().recorded_at + dt.timedelta(hours=1))], "1", active=True
    )
    assert not [line for line in figure.axes[0].get_lines() if line.get_gid() == HASH_CHANGE_GID]


def test_redaction_of_the_token() -> None:
    assert redact("token=abcdefgh12 and abcdefgh12", "abcdefgh12") == "token=*** and ***"
    assert redact("a short t stays readable", "t") == "a short t stays readable"


def _imported_cli_modules(module: str) -> set[str]:
    """The ``activecampaign_segments.cli`` modules a CLI module imports, anywhere in it."""
    import ast
    import importlib.util

    spec = importlib.util.find_spec(f"activecampaign_segments.cli.{module}")
    assert spec is not None and spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):  # function-level imports included
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    prefix = "activecampaign_segments.cli."
    return {name.removeprefix(prefix) for name in names if name.startswith(prefix)}


def test_commands_and_sync_share_a_module_instead_of_importing_each_other() -> None:
    assert "commands" not in _imported_cli_modules("sync")  # commands imports sync only
    assert {"commands", "sync"}.isdisjoint(_imported_cli_modules("common"))
    assert "common" in _imported_cli_modules("sync")
    assert "common" in _imported_cli_modules("commands")
