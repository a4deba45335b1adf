"""Every public name of ``activecampaign_segments`` has a docstring for the API reference.

mkdocs --strict fails on a docstring that does not parse, but not on one that is missing:
this test covers that half. Public means listed in ``__all__``, and for classes every
public method and property defined by this project (inherited ones included).
"""

from __future__ import annotations

import inspect

import activecampaign_segments
import pytest

_DESCRIPTORS = (property, classmethod, staticmethod)


def _public_members(cls: type) -> list[str]:
    names = []
    for klass in cls.__mro__:
        if not klass.__module__.startswith("activecampaign_segments"):
            continue
        for name, value in vars(klass).items():
            if name.startswith("_") or not (callable(value) or isinstance(value, _DESCRIPTORS)):
                continue
            names.append(name)
    return sorted(set(names))


def _undocumented(name: str) -> list[str]:
    obj = getattr(activecampaign_segments, name)
    missing = [] if inspect.getdoc(obj) else [name]
    if inspect.isclass(obj):
        for member in _public_members(obj):
            if not inspect.getdoc(inspect.getattr_static(obj, member)):
                missing.append(f"{name}.{member}")
    return missing


@pytest.mark.parametrize("name", activecampaign_segments.__all__)
def test_public_name_has_docstrings(name: str) -> None:
    assert _undocumented(name) == []
