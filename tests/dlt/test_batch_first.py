"""The issue's figure: 23 unchanged segments used to cost 24 requests a run; now one."""

from __future__ import annotations

from activecampaign_simulator.dataset import (
    BURST_SEGMENT,
    EXACTLY_50_SEGMENT,
    SAME_SECOND_SEGMENT,
)

from .helpers import Warehouse

# Every segment of the default data set that has counts and may be read.
SEGMENTS = [str(i) for i in range(1, 21)] + [EXACTLY_50_SEGMENT, SAME_SECOND_SEGMENT, BURST_SEGMENT]


def test_a_run_of_23_unchanged_segments_makes_one_request(warehouse: Warehouse) -> None:
    first = warehouse.run(SEGMENTS)
    assert first.latest_rows == len(SEGMENTS) == 23
    again = warehouse.run(SEGMENTS)
    assert (again.requests, again.history_rows, again.latest_rows) == (1, 0, 23)
