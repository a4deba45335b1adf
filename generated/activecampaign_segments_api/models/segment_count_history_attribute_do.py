from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, BinaryIO, Generator, TextIO, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="SegmentCountHistoryAttributeDO")


@_attrs_define
class SegmentCountHistoryAttributeDO:
    """Object that summarises the results of a segment's evaluation request

    Attributes:
        timestamp (datetime.datetime): ISO 8601 datetime representing when the when the result count wos recorded
            Example: 2020-04-12T23:20:50.523Z.
        segment_id (str):
        segment_hash (str): A hash of the segment's logic. A changes in the hash over time indicate when the segment was
            modified Example: 97f75f368e9908fd88f4543a9c61a2812915b62e70bf3a7edef01acdeb81b4c5.
        run_id (str): A unique value that identifies a segment's evaluation request Example:
            52701258-d47e-4e5a-81e5-cff878c69bf8.
        result_count (int): The number of matches found for this segment's evaluation request
        active_result_count (int | Unset): The number of matches found for this segment's evaluation request AND are
            subscribed to at least one list
        count_updating_with_runid (str | Unset): if the current count is being updated, this is the runid that update is
            waiting on Example: 52701258-d47e-4e5a-81e5-cff878c69bf8.
    """

    timestamp: datetime.datetime
    segment_id: str
    segment_hash: str
    run_id: str
    result_count: int
    active_result_count: int | Unset = UNSET
    count_updating_with_runid: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        timestamp = self.timestamp.isoformat()

        segment_id = self.segment_id

        segment_hash = self.segment_hash

        run_id = self.run_id

        result_count = self.result_count

        active_result_count = self.active_result_count

        count_updating_with_runid = self.count_updating_with_runid

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "timestamp": timestamp,
                "segment_id": segment_id,
                "segment_hash": segment_hash,
                "run_id": run_id,
                "result_count": result_count,
            }
        )
        if active_result_count is not UNSET:
            field_dict["active_result_count"] = active_result_count
        if count_updating_with_runid is not UNSET:
            field_dict["count_updating_with_runid"] = count_updating_with_runid

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp"))

        segment_id = d.pop("segment_id")

        segment_hash = d.pop("segment_hash")

        run_id = d.pop("run_id")

        result_count = d.pop("result_count")

        active_result_count = d.pop("active_result_count", UNSET)

        count_updating_with_runid = d.pop("count_updating_with_runid", UNSET)

        segment_count_history_attribute_do = cls(
            timestamp=timestamp,
            segment_id=segment_id,
            segment_hash=segment_hash,
            run_id=run_id,
            result_count=result_count,
            active_result_count=active_result_count,
            count_updating_with_runid=count_updating_with_runid,
        )

        segment_count_history_attribute_do.additional_properties = d
        return segment_count_history_attribute_do

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
