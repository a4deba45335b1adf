from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, BinaryIO, Generator, TextIO, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.segment_count_history_data_do_type import (
    SegmentCountHistoryDataDOType,
    check_segment_count_history_data_do_type,
)
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.segment_count_history_attribute_do import (
        SegmentCountHistoryAttributeDO,
    )


T = TypeVar("T", bound="SegmentCountHistoryDataDO")


@_attrs_define
class SegmentCountHistoryDataDO:
    """
    Attributes:
        attributes (SegmentCountHistoryAttributeDO): Object that summarises the results of a segment's evaluation
            request
        id (str): Epoch timestamp the count was recorded at
        type_ (SegmentCountHistoryDataDOType):
    """

    attributes: SegmentCountHistoryAttributeDO
    id: str
    type_: SegmentCountHistoryDataDOType
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.segment_count_history_attribute_do import (
            SegmentCountHistoryAttributeDO,  # noqa: PLC0415
        )

        attributes = self.attributes.to_dict()

        id = self.id

        type_: str = self.type_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attributes": attributes,
                "id": id,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.segment_count_history_attribute_do import (
            SegmentCountHistoryAttributeDO,  # noqa: PLC0415
        )

        d = dict(src_dict)
        attributes = SegmentCountHistoryAttributeDO.from_dict(d.pop("attributes"))

        id = d.pop("id")

        type_ = check_segment_count_history_data_do_type(d.pop("type"))

        segment_count_history_data_do = cls(
            attributes=attributes,
            id=id,
            type_=type_,
        )

        segment_count_history_data_do.additional_properties = d
        return segment_count_history_data_do

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
