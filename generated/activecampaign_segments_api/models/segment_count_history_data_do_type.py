from typing import Literal

SegmentCountHistoryDataDOType = Literal["SegmentCountHistory"]

SEGMENT_COUNT_HISTORY_DATA_DO_TYPE_VALUES: set[SegmentCountHistoryDataDOType] = {
    "SegmentCountHistory",
}


def check_segment_count_history_data_do_type(
    value: str,
) -> SegmentCountHistoryDataDOType:
    if value in SEGMENT_COUNT_HISTORY_DATA_DO_TYPE_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SEGMENT_COUNT_HISTORY_DATA_DO_TYPE_VALUES!r}"
    )
