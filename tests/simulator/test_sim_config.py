"""SimulatorConfig refuses bad settings with a clear ValueError."""

from __future__ import annotations

import pytest
from activecampaign_simulator.config import KNOWN_QUIRKS, SimulatorConfig


def test_defaults_match_the_interface() -> None:
    config = SimulatorConfig()
    assert (config.seed, config.segments, config.history) == (0, 20, 300)
    assert (config.token, config.rps, config.latency) == ("sim-token", 5.0, 0.0)
    assert (config.error_rate, config.malformed_rate, config.throttle_rate) == (0.0, 0.0, 0.0)
    assert config.db_path is None and config.quirks == frozenset()
    assert dict(config.extra_segments) == {}


@pytest.mark.parametrize(
    "options",
    [
        {"segments": -1},
        {"segments": 100_001},
        {"history": -5},
        {"history": 1.5},
        {"rps": -1},
        {"rps": float("nan")},
        {"latency": float("inf")},
        {"error_rate": 1.5},
        {"throttle_rate": -0.1},
        {"malformed_rate": 2},
        {"error_rate": 0.7, "throttle_rate": 0.4},
        {"token": ""},
        {"token": "tök"},
        {"token": "a\nb"},
        {"quirks": {"nope"}},
        {"extra_segments": {"": 3}},
        {"extra_segments": {"a/b": 3}},
        {"extra_segments": {"a,b": 3}},
        {"extra_segments": {"a": -1}},
        {"extra_segments": {"a": True}},
    ],
)
def test_bad_settings_raise_value_error(options: dict) -> None:
    with pytest.raises(ValueError):
        SimulatorConfig(**options)


def test_quirks_accept_a_single_name_and_any_iterable() -> None:
    assert SimulatorConfig(quirks="page_51").quirks == frozenset({"page_51"})
    assert SimulatorConfig(quirks=list(KNOWN_QUIRKS)).quirks == KNOWN_QUIRKS


def test_repr_hides_the_token() -> None:
    text = repr(SimulatorConfig(token="super-secret-value"))
    assert "super-secret-value" not in text
    assert "segments=20" in text
