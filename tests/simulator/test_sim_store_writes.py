"""The store's write helpers, used by tests of incremental readers."""

from __future__ import annotations

from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.store import Store


def _store() -> Store:
    return Store.build(SimulatorConfig(segments=2, history=5))


def test_added_record_is_served_first_and_new_segments_are_created() -> None:
    store = _store()
    newest = store.page("1", limit=1)[0]
    row = ("1", newest[1] + 1000, "h-new", "run-new", 7, None, None)
    store.add(row)
    assert store.page("1", limit=1)[0] == row
    assert store.record_count("1") == 6
    store.add(("fresh", 5_000, "h", "r", 1, 1, None))
    assert store.status("fresh") == "ok"
    assert store.segment_ids()[-1] == "fresh"
    assert store.page("fresh") == [("fresh", 5_000, "h", "r", 1, 1, None)]


def test_forget_before_drops_only_older_records_of_that_segment() -> None:
    store = _store()
    rows = store.page("1")
    cut = rows[2][1]
    assert store.forget_before("1", cut) == 2
    assert store.page("1") == rows[:3]
    assert store.record_count("2") == 5
