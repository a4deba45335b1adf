"""The schedule that processes on one machine share through an SQLite file."""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from activecampaign_segments import _limiter
from activecampaign_segments._crossprocess import (
    ENV_LIMITER_DIR,
    FILE_NAME,
    STALE_AFTER,
    SharedSchedule,
    SharedScheduleError,
    schedule_dir,
)
from activecampaign_segments._limiter import RateLimiter, shared_limiter


class WallClock:
    """A settable stand-in for ``time.time``, shared by every schedule of a test."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def schedule(
    path: Path, clock: WallClock, host: str = "https://a.api-us1.com:443"
) -> SharedSchedule:
    return SharedSchedule(path, host, clock=clock)


def test_two_processes_book_one_sequence_of_slots(tmp_path: Path) -> None:
    clock = WallClock()
    path = tmp_path / FILE_NAME
    one, other = schedule(path, clock), schedule(path, clock)  # two connections, as 2 processes
    waits = [s.book(0.2, 0.0) for s in (one, other, one, other, one)]
    assert waits == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8])


def test_hosts_have_their_own_slots(tmp_path: Path) -> None:
    clock = WallClock()
    path = tmp_path / FILE_NAME
    one, other = schedule(path, clock, "https://a:443"), schedule(path, clock, "https://b:443")
    assert [one.book(0.2, 0.0), other.book(0.2, 0.0), one.book(0.2, 0.0)] == pytest.approx(
        [0.0, 0.0, 0.2]
    )


def test_a_pause_in_one_process_holds_back_the_other(tmp_path: Path) -> None:
    clock = WallClock()
    path = tmp_path / FILE_NAME
    one, other = schedule(path, clock), schedule(path, clock)
    one.book(0.2, 0.0)
    one.pause_for(1.0)
    assert other.book(0.2, 0.0) == pytest.approx(1.0)
    assert one.book(0.2, 0.0) == pytest.approx(1.2)


def test_an_idle_schedule_saves_no_burst(tmp_path: Path) -> None:
    clock = WallClock()
    one = schedule(tmp_path / FILE_NAME, clock)
    one.book(0.2, 0.0)
    clock.now += 100.0
    assert [one.book(0.2, 0.0) for _ in range(3)] == pytest.approx([0.0, 0.2, 0.4])


@pytest.mark.parametrize(
    "row",
    [
        (1_700_000_000.0 + STALE_AFTER + 1.0, -1.0),  # a slot further ahead than any real one
        (1_700_000_000.0, 1e300),  # a pause of centuries
        ("garbage", None),  # not numbers at all
        (float("nan"), float("inf")),
    ],
)
def test_a_stale_or_nonsense_row_is_ignored(tmp_path: Path, row: tuple[object, object]) -> None:
    clock = WallClock()
    path = tmp_path / FILE_NAME
    first = schedule(path, clock)
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE slots")
        db.execute("CREATE TABLE slots (host TEXT PRIMARY KEY, next_slot, paused_until)")
        db.execute("INSERT INTO slots VALUES (?, ?, ?)", (first.host, *row))
    assert first.book(0.2, 0.0) == 0.0
    assert first.book(0.2, 0.0) == pytest.approx(0.2)


@pytest.mark.parametrize(
    "content", [b"", b"not a database at all\n" * 50, b"SQLite format 3\x00junk"]
)
def test_a_corrupt_file_is_replaced_by_a_fresh_one(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / FILE_NAME
    path.write_bytes(content)
    one = schedule(path, WallClock())
    assert one.book(0.2, 0.0) == 0.0
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM slots").fetchone() == (1,)


def test_a_foreign_table_of_the_same_name_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE slots (x)")
    assert schedule(path, WallClock()).book(0.2, 0.0) == 0.0


def test_an_unusable_place_raises_the_typed_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(SharedScheduleError, match="cannot use"):
        SharedSchedule(blocker / FILE_NAME, "https://a:443")


def test_a_failing_file_falls_back_to_the_in_process_bucket(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = WallClock()
    shared = schedule(tmp_path / FILE_NAME, clock)
    limiter = RateLimiter(5.0, clock=lambda: 0.0)
    limiter.share_schedule(shared)
    assert limiter.reserve() == 0.0
    shared.close()  # from now on every booking fails
    with caplog.at_level(logging.WARNING, "activecampaign_segments"):
        waits = [limiter.reserve() for _ in range(3)]
    assert waits == pytest.approx([0.0, 0.2, 0.4])  # still paced, in-process
    assert limiter.shared_schedule is None
    assert sum("pacing this process on its own" in r.message for r in caplog.records) == 1


def test_the_directory_follows_the_environment(tmp_path: Path) -> None:
    assert schedule_dir({ENV_LIMITER_DIR: "off"}) is None
    assert schedule_dir({ENV_LIMITER_DIR: " OFF "}) is None
    assert schedule_dir({ENV_LIMITER_DIR: str(tmp_path)}) == tmp_path
    xdg = schedule_dir({"XDG_CACHE_HOME": str(tmp_path)})
    assert xdg == tmp_path / "activecampaign-segments"
    relative = schedule_dir({"XDG_CACHE_HOME": "relative/dir"})  # invalid per the XDG spec
    assert relative == Path.home() / ".cache" / "activecampaign-segments"


def test_shared_limiter_books_from_the_file_unless_turned_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_LIMITER_DIR, str(tmp_path))
    limiter = shared_limiter(f"https://{uuid.uuid4().hex}:443", 5.0)
    assert limiter.shared_schedule is not None
    assert limiter.shared_schedule.path == tmp_path / FILE_NAME
    monkeypatch.setenv(ENV_LIMITER_DIR, "off")
    assert shared_limiter(f"https://{uuid.uuid4().hex}:443", 5.0).shared_schedule is None


def test_shared_limiter_falls_back_when_the_directory_is_unusable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(ENV_LIMITER_DIR, str(blocker))
    with caplog.at_level(logging.WARNING, "activecampaign_segments"):
        limiter = shared_limiter(f"https://{uuid.uuid4().hex}:443", 5.0)
    assert limiter.shared_schedule is None
    assert "pacing this process on its own" in caplog.text
    assert limiter.reserve() == 0.0


_BOOKER = """
import sys, time
from pathlib import Path
from activecampaign_segments._crossprocess import SharedSchedule
read = []
def clock():
    read.append(time.time())
    return read[-1]
schedule = SharedSchedule(Path(sys.argv[1]), "https://acct.api-us1.com:443", clock=clock)
for _ in range(int(sys.argv[2])):
    wait = schedule.book(0.05, 0.0)
    print(repr(read[-1] + wait))  # the slot booked: the booking's "now" plus its wait
"""


def test_real_processes_get_distinct_slots_spaced_by_the_interval(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    command = [sys.executable, "-c", _BOOKER, str(path), "40"]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(3)]
    slots = []
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0
        slots += [float(line) for line in out.split()]
    slots.sort()
    assert len(slots) == 120
    # Every slot booked once, 50 ms apart, whichever process booked it.
    assert all(b - a >= 0.05 - 1e-6 for a, b in itertools.pairwise(slots))


def test_registry_keeps_one_bucket_per_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_LIMITER_DIR, "off")
    host = f"https://{uuid.uuid4().hex}:443"
    assert shared_limiter(host, 5.0) is _limiter.shared_limiter(host, 5.0)


def test_a_forked_child_books_through_its_own_connection(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    parent = SharedSchedule(path, "https://acct.api-us1.com:443")
    assert parent.book(10.0, 0.0) == 0.0
    context = multiprocessing.get_context("fork")
    queue = context.Queue()

    def inherited() -> None:  # the parent's object, used in the child after the fork
        before = parent._db
        queue.put((parent.book(10.0, 0.0), parent._db is not before))

    child = context.Process(target=inherited)
    child.start()
    child.join(60)
    assert child.exitcode == 0
    wait, reconnected = queue.get(timeout=5)
    assert wait == pytest.approx(10.0, abs=0.5)  # the second slot
    assert reconnected  # SQLite connections must not be used across a fork
    assert parent.book(10.0, 0.0) == pytest.approx(20.0, abs=0.5)  # and the parent the third
