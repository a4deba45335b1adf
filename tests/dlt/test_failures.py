"""A segment the server refuses fails the run with the client's typed error, and loses nothing."""

from __future__ import annotations

from activecampaign_segments import (
    APIStatusError,
    NotFoundError,
    PermissionDeniedError,
)
from activecampaign_simulator.server import SimulatorHandle
from dlt.pipeline.exceptions import PipelineStepFailed

from .helpers import Warehouse

GOOD = ["2", "3"]
REFUSED = [
    ("900403", PermissionDeniedError, 403),  # exists, the token may not read it
    ("no such segment ✗", NotFoundError, 404),
]


def _typed_error(exc: BaseException) -> APIStatusError | None:
    """The client's error somewhere in the chain of causes dlt wraps around it."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, APIStatusError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def test_a_refused_segment_fails_the_run_and_loses_no_state_for_the_others(
    warehouse: Warehouse, sim: SimulatorHandle
) -> None:
    first = warehouse.run(GOOD)
    assert first.history_rows == sum(sim.store.record_count(s) for s in GOOD)
    loaded = warehouse.table("count_history")

    # A new count of the segment walked *before* the refused one: the failing runs
    # walk it to the end (in memory) before they fail, and must not count it as loaded.
    newest = sim.store.records(GOOD[0])[0]
    new_run_id = "run-after-failures"
    new_row = (GOOD[0], 1_717_300_000_000, newest["segment_hash"], new_run_id, 1, None, None)
    sim.store.add(new_row)

    for bad_id, error_type, status in REFUSED:
        try:
            warehouse.run([GOOD[0], bad_id, GOOD[1]])
        except PipelineStepFailed as failed:
            error = _typed_error(failed)
        else:
            raise AssertionError(f"a run with {bad_id!r} did not fail")
        assert isinstance(error, error_type), (bad_id, error)
        assert error.status_code == status
        # The client's message shows the id URL-encoded; a note names it as given.
        assert f"segment {bad_id!r}" in "\n".join(error.__notes__)
        assert warehouse.table("count_history") == loaded  # the failed run loaded nothing

    # The next good run is still incremental for the others (the batch request, plus
    # one walk of the segment it shows changed) and loads the count the failed runs
    # had seen but not committed.
    after = warehouse.run(GOOD)
    assert after.requests == 2
    assert after.history_rows == 1
    added = [r for r in warehouse.table("count_history") if r not in loaded]
    assert [(r["segment_id"], r["run_id"]) for r in added] == [(GOOD[0], new_run_id)]
