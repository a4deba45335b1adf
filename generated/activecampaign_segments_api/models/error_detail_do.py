from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, BinaryIO, Generator, TextIO, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.error_source_do import ErrorSourceDO


T = TypeVar("T", bound="ErrorDetailDO")


@_attrs_define
class ErrorDetailDO:
    """
    Attributes:
        code (str | Unset):
        detail (str | Unset):
        source (ErrorSourceDO | Unset):
        status (str | Unset):
        title (str | Unset):
    """

    code: str | Unset = UNSET
    detail: str | Unset = UNSET
    source: ErrorSourceDO | Unset = UNSET
    status: str | Unset = UNSET
    title: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.error_source_do import ErrorSourceDO  # noqa: PLC0415

        code = self.code

        detail = self.detail

        source: dict[str, Any] | Unset = UNSET
        if not isinstance(self.source, Unset):
            source = self.source.to_dict()

        status = self.status

        title = self.title

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if code is not UNSET:
            field_dict["code"] = code
        if detail is not UNSET:
            field_dict["detail"] = detail
        if source is not UNSET:
            field_dict["source"] = source
        if status is not UNSET:
            field_dict["status"] = status
        if title is not UNSET:
            field_dict["title"] = title

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.error_source_do import ErrorSourceDO  # noqa: PLC0415

        d = dict(src_dict)
        code = d.pop("code", UNSET)

        detail = d.pop("detail", UNSET)

        _source = d.pop("source", UNSET)
        source: ErrorSourceDO | Unset
        if isinstance(_source, Unset):
            source = UNSET
        else:
            source = ErrorSourceDO.from_dict(_source)

        status = d.pop("status", UNSET)

        title = d.pop("title", UNSET)

        error_detail_do = cls(
            code=code,
            detail=detail,
            source=source,
            status=status,
            title=title,
        )

        error_detail_do.additional_properties = d
        return error_detail_do

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
