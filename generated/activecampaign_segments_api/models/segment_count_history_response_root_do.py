from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, BinaryIO, Generator, TextIO, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.error_detail_do import ErrorDetailDO
    from ..models.segment_count_history_data_do import SegmentCountHistoryDataDO


T = TypeVar("T", bound="SegmentCountHistoryResponseRootDO")


@_attrs_define
class SegmentCountHistoryResponseRootDO:
    """
    Attributes:
        data (list[SegmentCountHistoryDataDO]):
        errors (list[ErrorDetailDO] | Unset):
    """

    data: list[SegmentCountHistoryDataDO]
    errors: list[ErrorDetailDO] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.error_detail_do import ErrorDetailDO  # noqa: PLC0415
        from ..models.segment_count_history_data_do import SegmentCountHistoryDataDO  # noqa: PLC0415

        data = []
        for data_item_data in self.data:
            data_item = data_item_data.to_dict()
            data.append(data_item)

        errors: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.errors, Unset):
            errors = []
            for errors_item_data in self.errors:
                errors_item = errors_item_data.to_dict()
                errors.append(errors_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data": data,
            }
        )
        if errors is not UNSET:
            field_dict["errors"] = errors

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.error_detail_do import ErrorDetailDO  # noqa: PLC0415
        from ..models.segment_count_history_data_do import SegmentCountHistoryDataDO  # noqa: PLC0415

        d = dict(src_dict)
        data = []
        _data = d.pop("data")
        for data_item_data in _data:
            data_item = SegmentCountHistoryDataDO.from_dict(data_item_data)

            data.append(data_item)

        _errors = d.pop("errors", UNSET)
        errors: list[ErrorDetailDO] | Unset = UNSET
        if _errors is not UNSET:
            errors = []
            for errors_item_data in _errors:
                errors_item = ErrorDetailDO.from_dict(errors_item_data)

                errors.append(errors_item)

        segment_count_history_response_root_do = cls(
            data=data,
            errors=errors,
        )

        segment_count_history_response_root_do.additional_properties = d
        return segment_count_history_response_root_do

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
