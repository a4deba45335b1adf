"""Paging through the clients (sync and async alike) against an in-memory API.

Tests that assert the exact cursors sent pass ``concurrency=1``: they check the
page-after-page walk, which the async client's default windowed walk
(tests/unit/test_windows_client.py) must equal record for record.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter

import pytest
from activecampaign_segments import CountPage, PaginationError

from .fakes import START_MS, FakeApi, crowded_history, epoch_of, history


def run_ids(records) -> list[str]:
    return [r.run_id for r in records]


@pytest.mark.parametrize("count", [0, 1, 49, 50, 51, 5000])
def test_every_record_once_newest_first(connect, count):
    truth = history("42", count)
    fake = FakeApi({"42": truth})
    records = connect(fake).history("42", concurrency=1)

    assert run_ids(records) == [r["run_id"] for r in truth]
    assert all(r.segment_id == "42" for r in records)
    stamps = [r.recorded_at for r in records]
    assert stamps == sorted(stamps, reverse=True)
    assert fake.cursors == expected_cursors(truth)


def expected_cursors(truth) -> list[int | None]:
    """The lossless walk over records in distinct seconds: the first page has no
    timestamp, each later cursor is the last record's second + 1, so each later page
    repeats that one record (49 new ones per full page) and a short page ends it."""
    cursors: list[int | None] = [None]
    start = 0
    while len(truth[start : start + 50]) == 50:
        last = start + 49
        cursors.append(epoch_of(truth[last]) + 1)
        start = last
    return cursors


def test_records_are_converted(connect):
    fake = FakeApi({"7": history("7", 1)})
    (rec,) = connect(fake).history("7")
    assert rec.recorded_at == dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)
    assert rec.recorded_at.tzinfo is dt.UTC
    assert rec.epoch == START_MS // 1000
    assert isinstance(rec.result_count, int)
    assert rec.active_result_count == 900
    assert rec.updating_run_id is None


def test_iteration_is_lazy(connect):
    fake = FakeApi({"42": history("42", 5000)})
    assert len(connect(fake).first("42", 3)) == 3
    assert len(fake.requests) == 1


def test_two_records_sharing_the_boundary_second(connect):
    # Records 49 and 50 (0-based) share one second: a naive `before = last.epoch`
    # cursor would skip record 50.
    truth = crowded_history("s", before=49, crowd=2, after=30)
    fake = FakeApi({"s": truth})
    records = connect(fake).history("s", concurrency=1)
    assert run_ids(records) == [r["run_id"] for r in truth]
    assert fake.cursors == [None, epoch_of(truth[49]) + 1]


def test_sixty_records_in_one_second_are_each_yielded_once_and_warned(connect, caplog):
    # 30 newer records, 60 in one second, 30 older: the API can only ever return the
    # 50 newest records of that second (its cursor is whole seconds), so the 10 oldest
    # of it are unreachable. Everything reachable is yielded exactly once, the walk
    # goes on below the crowded second, and a warning names it.
    truth = crowded_history("s", before=30, crowd=60, after=30)
    fake = FakeApi({"s": truth})
    with caplog.at_level(logging.WARNING, logger="activecampaign_segments"):
        records = connect(fake).history("s", concurrency=1)

    ids = run_ids(records)
    assert max(Counter(ids).values()) == 1
    unreachable = {f"crowd-{i}" for i in range(50, 60)}
    assert ids == [r["run_id"] for r in truth if r["run_id"] not in unreachable]
    crowded = epoch_of(truth[30])
    assert fake.cursors == [None, crowded + 1, crowded]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert str(crowded) in message
    assert dt.datetime.fromtimestamp(crowded, dt.UTC).isoformat() in message


def test_a_full_first_page_within_one_second_steps_below_it(connect, caplog):
    truth = crowded_history("s", before=0, crowd=55, after=3)
    fake = FakeApi({"s": truth})
    with caplog.at_level(logging.WARNING, logger="activecampaign_segments"):
        records = connect(fake).history("s", concurrency=1)
    assert run_ids(records) == [f"crowd-{i}" for i in range(50)] + ["old-0", "old-1", "old-2"]
    assert fake.cursors == [None, epoch_of(truth[0])]
    assert "share the second" in caplog.text


def test_a_server_that_ignores_the_cursor_raises_instead_of_spinning(connect):
    fake = FakeApi({"42": history("42", 120)}, ignore_cursor=True)
    with pytest.raises(PaginationError) as info:
        connect(fake).history("42", concurrency=1)
    assert info.value.segment_id == "42"
    assert info.value.cursor == epoch_of(history("42", 120)[49]) + 1
    assert len(fake.requests) == 2


def test_a_server_that_ignores_the_cursor_within_one_second_raises(connect):
    # All records in one second: the first repeat looks like a legal page, so the
    # walk steps below the second, and the next repeat is caught.
    fake = FakeApi({"s": crowded_history("s", before=0, crowd=50, after=0)}, ignore_cursor=True)
    with pytest.raises(PaginationError):
        connect(fake).history("s", concurrency=1)
    assert len(fake.requests) == 2


def test_until_starts_at_that_second_and_drops_later_records(connect):
    truth = history("42", 300, step_ms=500)  # two records per second
    fake = FakeApi({"42": truth})
    until = dt.datetime.fromisoformat(truth[100]["timestamp"])  # a .500 or .000 instant
    until_up = epoch_of(truth[100]) + (1 if until.microsecond else 0)
    records = connect(fake).history("42", until=until)

    assert fake.cursors[0] == until_up
    assert run_ids(records) == [r["run_id"] for r in truth[101:]]


def test_until_as_epoch_seconds(connect):
    truth = history("42", 100)
    fake = FakeApi({"42": truth})
    until = epoch_of(truth[10])  # truth[10] is at .500 of that second: excluded
    records = connect(fake).history("42", until=until)
    assert fake.cursors[0] == until
    assert run_ids(records) == [r["run_id"] for r in truth if epoch_of(r) < until]


def test_since_stops_without_fetching_further_pages(connect):
    truth = history("42", 500)
    fake = FakeApi({"42": truth})
    since = dt.datetime.fromisoformat(truth[60]["timestamp"])
    records = connect(fake).history("42", since=since)
    assert run_ids(records) == [r["run_id"] for r in truth[:61]]  # since is inclusive
    assert len(fake.requests) == 2


def test_since_and_until_together(connect):
    truth = history("42", 500)
    fake = FakeApi({"42": truth})
    since = dt.datetime.fromisoformat(truth[260]["timestamp"])
    until = dt.datetime.fromisoformat(truth[120]["timestamp"])
    records = connect(fake).history("42", since=since, until=until)
    assert run_ids(records) == [r["run_id"] for r in truth[121:261]]
    assert len(fake.requests) == 3  # records 121-170, 171-220, 221-270


def test_since_equal_to_until_is_empty_without_a_request(connect):
    fake = FakeApi({"42": history("42", 5)})
    when = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
    assert connect(fake).history("42", since=when, until=when) == []
    assert fake.requests == []


def test_pages_resume_from_next_before_without_loss(connect):
    truth = crowded_history("s", before=49, crowd=2, after=60)
    fake = FakeApi({"s": truth})
    api = connect(fake)
    first = api.page("s")
    assert isinstance(first, CountPage)
    assert len(first.records) == 50
    assert first.next_before == epoch_of(truth[49]) + 1
    # A later run resumes from the saved cursor: the boundary second may repeat, nothing is lost.
    rest = api.pages("s", before=first.next_before)
    resumed = run_ids(first.records) + [i for p in rest for i in run_ids(p.records)]
    assert set(resumed) == {r["run_id"] for r in truth}
    assert Counter(resumed)[truth[49]["run_id"]] == 2
    assert rest[-1].next_before is None


def test_count_history_pages_yields_each_request(connect):
    truth = history("42", 120)
    fake = FakeApi({"42": truth})
    pages = connect(fake).pages("42")
    assert [len(p.records) for p in pages] == [50, 49, 21]  # page 2 repeats one record
    assert [p.next_before for p in pages] == [*fake.cursors[1:], None]


def test_single_page_cursor_is_none_on_the_last_page(connect):
    fake = FakeApi({"42": history("42", 10)})
    page = connect(fake).page("42")
    assert len(page.records) == 10
    assert page.next_before is None


def test_single_page_within_one_second_moves_the_cursor(connect):
    # Resuming from next_before in a loop must never request the same page forever.
    truth = crowded_history("s", before=0, crowd=60, after=5)
    fake = FakeApi({"s": truth})
    page = connect(fake).page("s", before=epoch_of(truth[0]) + 1)
    assert page.next_before == epoch_of(truth[0])


def test_page_before_zero_makes_no_request(connect):
    fake = FakeApi({"42": history("42", 10)})
    assert connect(fake).page("42", before=0) == CountPage([], None)
    assert fake.requests == []


@pytest.mark.parametrize("segment_id", ["a/b", "..", ".", "a b", "sé/gment?x=1#f", "%2F", "42"])
def test_segment_ids_reach_the_server_as_one_path_segment(connect, segment_id):
    fake = FakeApi({segment_id: history(segment_id, 60)})
    records = connect(fake).history(segment_id)
    assert len(records) == 60
    for request in fake.requests:
        parts = FakeApi.path_segments(request)
        assert parts[:5] == ["api", "3", "segmentsV2", segment_id, "count-history"]
        assert request.url.host == "acct.api-us1.com"


def test_cursor_is_sent_as_whole_seconds(connect):
    fake = FakeApi({"42": history("42", 60)})
    connect(fake).history("42")
    assert fake.requests[1].url.raw_path.decode().rsplit("/", 1)[1].isdigit()
