"""The cursor algorithm as plain data: no client, no transport, no server."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from activecampaign_segments import CountRecord, PaginationError
from activecampaign_segments._paging import PAGE_SIZE, Pager, epoch_bound, to_instant

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def rec(epoch: float, run_id: str) -> CountRecord:
    at = EPOCH + dt.timedelta(seconds=epoch)
    return CountRecord("s", at, int(epoch // 1), 1, None, "h", run_id, None)


def full_page(first_epoch: int, *, step: float = 1.0, prefix: str = "r") -> list[CountRecord]:
    return [rec(first_epoch - i * step, f"{prefix}{i}") for i in range(PAGE_SIZE)]


def test_first_request_is_the_newest_page():
    pager = Pager.start("s")
    assert pager.before is None
    assert not pager.done


def test_a_short_page_ends_the_walk():
    pager = Pager.start("s")
    outcome = pager.feed([rec(100, "a"), rec(90, "b")])
    assert [r.run_id for r in outcome.records] == ["a", "b"]
    assert outcome.next_before is None
    assert pager.done


def test_a_full_page_continues_at_last_second_plus_one_and_drops_repeats():
    pager = Pager.start("s")
    page = full_page(1000)  # 1000 .. 951
    assert pager.feed(page).next_before == 952
    # The next page repeats the record of second 951, then older ones.
    outcome = pager.feed([page[-1], rec(950.5, "new-950"), rec(949, "new-949")])
    assert [r.run_id for r in outcome.records] == ["new-950", "new-949"]
    assert outcome.next_before is None


def test_only_the_boundary_second_is_remembered():
    pager = Pager.start("s")
    page = full_page(1000)
    pager.feed(page)
    assert pager._seen == {page[-1].run_id}


def test_a_full_page_within_one_second_steps_below_it(caplog):
    pager = Pager.start("s", before=1001)
    page = [rec(1000 + (999 - i) / 1000, f"c{i}") for i in range(PAGE_SIZE)]
    outcome = pager.feed(page)
    assert outcome.next_before == 1000
    assert len(outcome.records) == PAGE_SIZE
    assert "1970-01-01T00:16:40+00:00" in caplog.text
    assert "(epoch 1000)" in caplog.text


def test_records_not_older_than_the_cursor_raise():
    pager = Pager.start("s", before=500)
    with pytest.raises(PaginationError) as info:
        pager.feed([rec(499, "a"), rec(500, "b")])
    assert (info.value.segment_id, info.value.cursor) == ("s", 500)


def test_records_out_of_order_raise():
    pager = Pager.start("s")
    with pytest.raises(PaginationError, match="newest first"):
        pager.feed([rec(100, "a"), rec(200, "b")])


def test_feeding_a_finished_walk_is_a_bug():
    pager = Pager.start("s")
    pager.feed([])
    with pytest.raises(RuntimeError):
        pager.feed([])


def test_the_walk_stops_at_epoch_zero():
    pager = Pager.start("s", before=1)
    assert pager.feed([rec(0.5 - i / 100, f"z{i}") for i in range(PAGE_SIZE)]).next_before is None


def test_the_cursor_strictly_decreases_on_any_consistent_page():
    pager = Pager.start("s")
    cursors = []
    first = 10_000
    for _ in range(20):
        outcome = pager.feed(full_page(first, step=0.3, prefix=f"p{first}-"))
        cursors.append(outcome.next_before)
        first = outcome.next_before - 1
    assert cursors == sorted(set(cursors), reverse=True)


def test_until_starts_at_the_rounded_up_second_and_filters():
    until = EPOCH + dt.timedelta(seconds=1000, milliseconds=250)
    pager = Pager.start("s", until=until)
    assert pager.before == 1001
    outcome = pager.feed([rec(1000.5, "late"), rec(1000.25, "at"), rec(1000.1, "early")])
    assert [r.run_id for r in outcome.records] == ["early"]


def test_until_and_before_take_the_earlier():
    assert Pager.start("s", before=500, until=900).before == 500
    assert Pager.start("s", before=900, until=500).before == 500


def test_until_before_1970_is_empty():
    assert Pager.start("s", until=-5).done


def test_since_at_the_last_record_goes_on_for_its_second():
    # The page ends exactly at `since`; another record may share that very instant's
    # second below the page, so one more request is needed.
    pager = Pager.start("s", since=951)
    outcome = pager.feed(full_page(1000))  # 1000.0 .. 951.0
    assert len(outcome.records) == PAGE_SIZE
    assert outcome.next_before == 952


def test_since_stops_when_the_next_cursor_is_not_after_it():
    pager = Pager.start("s", since=952)
    outcome = pager.feed(full_page(1000))
    assert [r.epoch for r in outcome.records] == list(range(1000, 951, -1))
    assert outcome.next_before is None


def test_since_does_not_stop_early_when_the_boundary_second_may_hold_more():
    pager = Pager.start("s", since=EPOCH + dt.timedelta(seconds=950, milliseconds=500))
    outcome = pager.feed(full_page(1000))
    assert outcome.next_before == 952  # second 951 may hold records after 950.5


def test_since_filters_and_ends():
    pager = Pager.start("s", since=EPOCH + dt.timedelta(seconds=95))
    outcome = pager.feed([rec(100, "a"), rec(95, "b"), rec(94.999, "c")])
    assert [r.run_id for r in outcome.records] == ["a", "b"]
    assert pager.done


def test_since_not_before_the_cursor_needs_no_request():
    assert Pager.start("s", before=100, since=100).done
    assert not Pager.start("s", before=101, since=100).done


def test_bounds_are_checked():
    with pytest.raises(ValueError, match="later than"):
        Pager.start("s", since=10, until=5)
    with pytest.raises(ValueError, match="timezone-aware"):
        Pager.start("s", since=dt.datetime(2024, 1, 1))
    with pytest.raises(ValueError):
        Pager.start("s", before=-1)


def test_to_instant_and_epoch_bound():
    plus2 = dt.timezone(dt.timedelta(hours=2))
    assert to_instant(dt.datetime(1970, 1, 1, 2, tzinfo=plus2), "x") == EPOCH
    assert to_instant(60, "x") == EPOCH + dt.timedelta(minutes=1)
    assert epoch_bound(EPOCH + dt.timedelta(seconds=5)) == 5
    assert epoch_bound(EPOCH + dt.timedelta(seconds=5, microseconds=1)) == 6
    assert epoch_bound(EPOCH - dt.timedelta(seconds=1.5)) == -1


def test_count_record_is_frozen_and_slotted():
    record = rec(5, "a")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        record.run_id = "b"
    assert not hasattr(record, "__dict__")
