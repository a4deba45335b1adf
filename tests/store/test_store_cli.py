"""``ac-segments sync`` and ``history``/``plot --db``: the output is byte for byte what the
command prints without ``--db``, in every format, first run (sync) and second (store)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from activecampaign_segments.store import HistoryStore
from activecampaign_simulator.dataset import SAME_SECOND_SEGMENT
from activecampaign_simulator.server import SimulatorHandle
from typer.testing import CliRunner

from tests.store.conftest import BIG, client_for
from tests.store.helpers import add_counts, one_error_line, run_cli, walked


@pytest.mark.parametrize(
    ("segment_id", "fmt"), [("1", "table"), ("1", "csv"), (BIG, "jsonl"), ("1", "json")]
)
def test_history_with_db_prints_the_same_bytes_in_every_format(
    shared_sim: SimulatorHandle, db: Path, segment_id: str, fmt: str
) -> None:
    plain = run_cli(shared_sim, "history", segment_id, "--format", fmt)
    assert plain.exit_code == 0, plain.stderr
    for run in ("first (sync)", "second (store)"):
        stored = run_cli(shared_sim, "history", segment_id, "--format", fmt, "--db", str(db))
        assert stored.exit_code == 0, (run, stored.stderr)
        assert stored.stdout == plain.stdout, run
        assert stored.stderr == plain.stderr == ""


@pytest.mark.parametrize(
    "bounds",
    [
        ["--since", "2024-05-25T00:00", "--until", "2024-05-30T12:00:00.5"],
        ["--since", "1717000000"],
        ["--limit", "75"],
        ["--until", "2024-05-31", "--limit", "3"],
    ],
)
def test_bounds_and_limit_print_the_same(
    shared_sim: SimulatorHandle, db: Path, bounds: list[str]
) -> None:
    args = ["history", "1", "--format", "jsonl", *bounds]
    plain = run_cli(shared_sim, *args)
    stored = run_cli(shared_sim, *args, "--db", str(db))
    assert plain.exit_code == stored.exit_code == 0
    assert stored.stdout == plain.stdout
    assert plain.stdout.count("\n") > 0


def test_output_files_are_identical(shared_sim: SimulatorHandle, tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    for name in ("plain.csv", "stored.csv"):
        extra = ["--db", str(db)] if name.startswith("stored") else []
        result = run_cli(
            shared_sim, "history", SAME_SECOND_SEGMENT, "-o", str(tmp_path / name), *extra
        )
        assert result.exit_code == 0, result.stderr
    assert (tmp_path / "plain.csv").read_bytes() == (tmp_path / "stored.csv").read_bytes()


def test_plot_with_db_draws_the_same_picture(shared_sim: SimulatorHandle, tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    plain = run_cli(shared_sim, "plot", "2", "-o", str(tmp_path / "plain.png"))
    stored = run_cli(shared_sim, "plot", "2", "-o", str(tmp_path / "stored.png"), "--db", str(db))
    assert plain.exit_code == stored.exit_code == 0
    assert (tmp_path / "plain.png").read_bytes() == (tmp_path / "stored.png").read_bytes()
    assert stored.stdout.replace("stored.png", "plain.png") == plain.stdout


def test_the_environment_variable_sets_the_default_store(
    shared_sim: SimulatorHandle, db: Path
) -> None:
    plain = run_cli(shared_sim, "history", "1")
    via_env = run_cli(shared_sim, "history", "1", db_env=str(db))
    assert via_env.exit_code == 0, via_env.stderr
    assert via_env.stdout == plain.stdout
    with HistoryStore(db) as store:
        assert store.count("1") == len(walked(shared_sim, "1"))
    # An empty variable means no store.
    assert run_cli(shared_sim, "history", "2", db_env="").exit_code == 0
    synced = run_cli(shared_sim, "sync", "3", db_env=str(db))
    assert synced.exit_code == 0, synced.stderr


def test_sync_reports_each_segment_and_reads_ids_from_stdin(sim: SimulatorHandle, db: Path) -> None:
    odd = "100% off ✓"
    add_counts(sim, odd, [0, 1000, 2000], "odd")
    env = {"ACTIVECAMPAIGN_API_URL": sim.base_url, "ACTIVECAMPAIGN_API_KEY": sim.token}
    from activecampaign_segments.cli import app

    first = CliRunner().invoke(
        app, ["--rps", "0", "sync", "1", "-", "--db", str(db)], env=env, input="2\n1\n"
    )
    assert first.exit_code == 0, first.stderr
    assert first.stdout.splitlines() == [
        "segment 1: 130 records stored, 130 new",
        "segment 2: 130 records stored, 130 new",
    ]
    add_counts(sim, "1", [500], "later")
    again = run_cli(sim, "sync", "1", "2", odd, "--db", str(db))
    assert again.exit_code == 0, again.stderr
    assert again.stdout.splitlines() == [
        "segment 1: 131 records stored, 1 new",
        "segment 2: 130 records stored, 0 new",
        f"segment {odd}: 3 records stored, 3 new",
    ]
    plain = run_cli(sim, "history", odd)
    stored = run_cli(sim, "history", odd, "--db", str(db))
    assert stored.stdout == plain.stdout != ""


def test_a_failed_sync_keeps_the_output_file_and_reports_one_line(
    shared_sim: SimulatorHandle, tmp_path: Path
) -> None:
    out = tmp_path / "out.csv"
    out.write_text("keep me\n")
    result = run_cli(shared_sim, "history", "nope", "-o", str(out), "--db", str(tmp_path / "h.db"))
    assert result.exit_code == 5
    assert len(result.stderr.splitlines()) == 1
    assert out.read_text() == "keep me\n"


def _served(handle: SimulatorHandle) -> int:
    return int(sum(handle.app.state.status_counts.values()))


def test_concurrency_1_walks_page_after_page_with_the_same_output(
    shared_sim: SimulatorHandle, tmp_path: Path
) -> None:
    with client_for(shared_sim) as client:
        pages = sum(1 for _ in client.count_history_pages(BIG))
    outputs = {}
    for concurrency in ("1", "4"):
        before = _served(shared_sim)
        result = run_cli(shared_sim, "history", BIG, "-f", "jsonl", "--concurrency", concurrency)
        assert result.exit_code == 0, result.stderr
        outputs[concurrency] = (result.stdout, _served(shared_sim) - before)
    assert outputs["1"][0] == outputs["4"][0] != ""
    assert outputs["1"][1] == pages  # exactly the page-after-page requests
    assert outputs["4"][1] >= pages  # windows (no limiter here: all four run)
    for db_name, concurrency in (("one.db", "1"), ("four.db", "4")):
        synced = run_cli(
            shared_sim,
            "sync",
            "1",
            BIG,
            "2",
            "--db",
            str(tmp_path / db_name),
            "--concurrency",
            concurrency,
        )
        assert synced.exit_code == 0, synced.stderr
        outputs[db_name] = (synced.stdout, 0)
    assert outputs["one.db"][0] == outputs["four.db"][0]
    assert outputs["one.db"][0].splitlines()[1] == f"segment {BIG}: 600 records stored, 600 new"
    for bad in ("0", "-2", "many"):
        refused = run_cli(
            shared_sim, "sync", "1", "--db", str(tmp_path / "x.db"), "--concurrency", bad
        )
        assert refused.exit_code == 2
        assert "--concurrency" in refused.stderr
        assert not (tmp_path / "x.db").exists()


def test_sync_of_many_segments_prints_them_in_order_with_one_batch_request(
    make_sim: Callable[..., SimulatorHandle], db: Path
) -> None:
    sim = make_sim(segments=30, history=2, extra_segments={}, latency=0.005)
    ids = [str(i) for i in range(30, 0, -1)]
    first = run_cli(sim, "sync", "-", "--db", str(db), input_text=" ".join(ids))
    assert first.exit_code == 0, first.stderr
    assert first.stdout.splitlines() == [f"segment {i}: 2 records stored, 2 new" for i in ids]
    before = _served(sim)
    again = run_cli(sim, "sync", *ids, "--db", str(db))
    assert again.stdout.splitlines() == [f"segment {i}: 2 records stored, 0 new" for i in ids]
    assert _served(sim) - before == 1


def test_a_failing_segment_stops_the_sync_with_its_exit_code_and_loses_nothing(
    shared_sim: SimulatorHandle, db: Path
) -> None:
    failed = run_cli(shared_sim, "sync", "1", "no-such-segment", BIG, "--db", str(db))
    assert failed.exit_code == 5
    assert "not found" in one_error_line(failed)
    # Segments are walked at once: the lines printed before the failure are a prefix.
    done = ["segment 1: 130 records stored, 130 new"]
    assert failed.stdout.splitlines() == done[: len(failed.stdout.splitlines())]
    resumed = run_cli(shared_sim, "sync", "1", BIG, "--db", str(db))
    assert resumed.exit_code == 0, resumed.stderr
    assert [line.split(":")[1].split(",")[0] for line in resumed.stdout.splitlines()] == [
        " 130 records stored",
        " 600 records stored",
    ]
    with HistoryStore(db) as store:
        assert list(store.records(BIG)) == walked(shared_sim, BIG)
        assert all(summary.complete for summary in store.segments())
