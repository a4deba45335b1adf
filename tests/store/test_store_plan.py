"""The batch-first planner (``store._walks``) as plain data: no client, no server, no file.

A model of one segment: the server's history, what an earlier sync stored of it, what
the server recorded since (in time order) and dropped since (retention), and the
batch form's answer (asked or not, left out or not). The walks the planner returns
are run against the model's server; the store must then hold every record the server
serves, and the walks must not reach further down than they need to.
"""

from __future__ import annotations

import math

from activecampaign_segments.client import MAX_IDS_PER_REQUEST
from activecampaign_segments.store._rows import second_of
from activecampaign_segments.store._walks import Latest, Stored, Walk, batch_chunks, plan
from hypothesis import given
from hypothesis import strategies as st

US = 1_000_000
# Few seconds, many microseconds: records often share a second (the cursor's unit).
stamps = st.integers(min_value=0, max_value=40 * US)


def _in(walk: Walk, us: int) -> bool:
    """Whether a walk fetches a record recorded at ``us`` (``[floor, cursor)`` in seconds)."""
    second = second_of(us)
    return (walk.floor is None or second >= walk.floor) and (
        walk.cursor is None or second < walk.cursor
    )


@st.composite
def worlds(draw: st.DrawFn) -> tuple[dict[str, int], dict[str, int], bool, bool, int | None]:
    """(server records, stored records, asked, left out, dropped before): run_id -> µs."""
    old = draw(st.lists(stamps, max_size=12, unique=True))
    stored = {f"old-{i}": us for i, us in enumerate(old)}
    newest = max(old, default=-1)
    # Recorded since the last sync, in time order: newer than the newest stored count
    # (often in the same second). A count recorded late is the documented exception.
    fresh = draw(st.lists(st.integers(newest + 1, newest + 20 * US), max_size=6, unique=True))
    server = {**stored, **{f"new-{i}": us for i, us in enumerate(fresh)}}
    drop_before = draw(st.none() | stamps)
    if drop_before is not None:  # retention: the server stops serving older counts
        server = {run_id: us for run_id, us in server.items() if us >= drop_before}
    return server, stored, draw(st.booleans()), draw(st.booleans()), drop_before


@given(worlds())
def test_after_the_planned_walks_the_store_holds_everything_the_server_serves(
    world: tuple[dict[str, int], dict[str, int], bool, bool, int | None],
) -> None:
    server, stored, asked, left_out, _ = world
    newest_run = max(server, key=lambda run_id: (server[run_id], run_id), default=None)
    latest = None if newest_run is None or left_out else Latest(newest_run, server[newest_run])
    state = Stored(
        newest_us=max(stored.values(), default=None),
        holds_latest=latest is not None and latest.run_id in stored,
    )
    walks = plan("s", state, asked=asked, latest=latest)

    fetched = {run_id for walk in walks for run_id, us in server.items() if _in(walk, us)}
    assert set(server) <= set(stored) | fetched  # nothing lost
    assert all(walk.top for walk in walks)  # no unfinished walk: only the top one, if any
    if asked and latest is not None and latest.run_id in stored:
        assert walks == []  # the batch answer shows nothing new: no request at all
    else:
        assert len(walks) == 1
    for walk in walks:
        # It stops at the newest stored second (fetched again, whole), not lower,
        # unless the batch form's newest record is older still.
        if state.newest_us is None:
            assert walk.floor is None
        else:
            lowest = second_of(state.newest_us)
            if asked and latest is not None:
                lowest = min(lowest, second_of(latest.recorded_us))
            assert walk.floor == lowest


@given(
    st.lists(st.tuples(st.integers(1, 10**6), st.integers(0, 10**6)), max_size=4, unique=True),
    st.booleans(),
    st.booleans(),
)
def test_unfinished_walks_are_resumed_whatever_the_batch_form_says(
    unfinished: list[tuple[int, int]], holds: bool, asked: bool
) -> None:
    saved = tuple((walk_id, cursor, None) for walk_id, cursor in unfinished)
    state = Stored(newest_us=5 * US, unfinished=saved, holds_latest=holds)
    walks = plan("s", state, asked=asked, latest=Latest("r", 5 * US))
    resumed = [w for w in walks if not w.top]
    assert sorted((w.walk_id, w.cursor) for w in resumed) == sorted(unfinished)
    assert [w.cursor for w in resumed] == sorted((c for _, c in unfinished), reverse=True)
    assert sum(w.top for w in walks) == (0 if asked and holds else 1)


def test_a_batch_answer_older_than_the_newest_stored_second_lowers_the_floor() -> None:
    # The server no longer serves the newest stored count (deleted); what it shows as
    # newest is a count the store never saw, older than that: the walk reaches it.
    state = Stored(newest_us=50 * US + 7, holds_latest=False)
    (walk,) = plan("s", state, asked=True, latest=Latest("late", 20 * US + 5))
    assert (walk.cursor, walk.floor) == (None, 20)


@given(st.lists(st.text(min_size=1, max_size=3), max_size=450, unique=True))
def test_batch_chunks_ask_every_askable_id_once_in_order_100_per_request(ids: list[str]) -> None:
    chunks = batch_chunks(ids, MAX_IDS_PER_REQUEST)
    askable = [segment_id for segment_id in ids if "," not in segment_id]
    if len(askable) < 2:
        assert chunks == []  # one segment: its walk answers as cheaply
        return
    assert [segment_id for chunk in chunks for segment_id in chunk] == askable
    assert all(0 < len(chunk) <= MAX_IDS_PER_REQUEST for chunk in chunks)
    assert len(chunks) == math.ceil(len(askable) / MAX_IDS_PER_REQUEST)
