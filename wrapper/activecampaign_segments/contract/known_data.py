"""Which segment ids and cursors exist on the server under test, for the case generator.

Random segment ids only ever reach 404, and a random cursor almost never lands on a second that
holds records, so the semantic checks would never see data. The generator therefore draws a share
of its positive cases from real ids and real record epochs (see `hooks.flatmap_case`).

The data comes from the simulator's store in-process, or from a JSON file whose path is in
`AC_CONTRACT_DATA` (written by the runner after asking the server under test):
`{"segments": {"<segment id>": [<epoch seconds of its newest records, newest first>, ...]}}`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from activecampaign_segments.contract.semantics import attributes_of, epoch_of, parse_timestamp
from activecampaign_segments.contract.settings import DATA_ENV


@dataclass
class KnownData:
    """Segment id -> epoch seconds of (some of) its records, newest first."""

    segments: dict[str, list[int]] = field(default_factory=dict)

    @property
    def ids(self) -> list[str]:
        """Every known segment id, sorted."""
        return sorted(self.segments)

    @property
    def ids_with_records(self) -> list[str]:
        """The known ids that have at least one record."""
        return sorted(sid for sid, epochs in self.segments.items() if epochs)

    def to_json(self) -> str:
        """The data as JSON (for the Schemathesis process)."""
        return json.dumps({"segments": self.segments}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> KnownData:
        """The data `to_json` wrote."""
        raw = json.loads(text)
        return cls({str(sid): [int(e) for e in epochs] for sid, epochs in raw["segments"].items()})

    @classmethod
    def from_record_lists(cls, records: Mapping[str, Iterable[Mapping[str, Any]]]) -> KnownData:
        """Build from records shaped like API records or bare `attributes` objects."""
        segments: dict[str, list[int]] = {}
        for sid, items in records.items():
            epochs: list[int] = []
            for item in items:
                attributes = attributes_of(dict(item)) or dict(item)
                moment = parse_timestamp(attributes.get("timestamp"))
                if moment is not None:
                    epochs.append(epoch_of(moment))
            segments[str(sid)] = epochs
        return cls(segments)


KNOWN = KnownData()
"""The data the generator draws from; empty means "leave generated cases alone"."""


def use(data: KnownData) -> None:
    """Make `data` the data the case generator draws real ids and cursors from."""
    KNOWN.segments = dict(data.segments)


def load_from_env() -> None:
    """Load the file named by `AC_CONTRACT_DATA`, if set (the CLI runner sets it)."""
    path = os.environ.get(DATA_ENV)
    if path:
        use(KnownData.from_json(Path(path).read_text(encoding="utf-8")))
