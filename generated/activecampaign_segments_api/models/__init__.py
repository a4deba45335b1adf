"""Contains all the data models used in inputs/outputs"""

from .error_detail_do import ErrorDetailDO
from .error_response_root_do import ErrorResponseRootDO
from .error_source_do import ErrorSourceDO
from .segment_count_history_attribute_do import SegmentCountHistoryAttributeDO
from .segment_count_history_data_do import SegmentCountHistoryDataDO
from .segment_count_history_data_do_type import SegmentCountHistoryDataDOType
from .segment_count_history_response_root_do import SegmentCountHistoryResponseRootDO

__all__ = (
    "ErrorDetailDO",
    "ErrorResponseRootDO",
    "ErrorSourceDO",
    "SegmentCountHistoryAttributeDO",
    "SegmentCountHistoryDataDO",
    "SegmentCountHistoryDataDOType",
    "SegmentCountHistoryResponseRootDO",
)
