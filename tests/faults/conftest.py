"""Fault-suite fixtures, and a terminal summary that prints the figures every run (no ``-s``).

Tests call ``fault_figures(title, {...})``; the figures appear in a "fault suite figures"
section at the end of the pytest run, so CI logs show requests, faults, retries, records lost
and duplicates even when everything passes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack

import pytest
from activecampaign_simulator.config import SimulatorConfig
from activecampaign_simulator.server import SimulatorHandle, serve_in_thread

_FIGURES = pytest.StashKey[list[tuple[str, dict[str, object]]]]()

FigureSink = Callable[[str, Mapping[str, object]], None]


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_FIGURES] = []


@pytest.fixture
def fault_figures(request: pytest.FixtureRequest) -> FigureSink:
    """Record a titled set of figures for the terminal summary."""

    def record(title: str, figures: Mapping[str, object]) -> None:
        request.config.stash[_FIGURES].append((title, dict(figures)))

    return record


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    figures = terminalreporter.config.stash.get(_FIGURES, [])
    if not figures:
        return
    terminalreporter.section("fault suite figures")
    for title, values in figures:
        terminalreporter.write_line(title)
        for key, value in values.items():
            terminalreporter.write_line(f"    {key}: {value}")


@pytest.fixture
def simulator_factory() -> Iterator[Callable[..., SimulatorHandle]]:
    """Start in-thread simulators with the given SimulatorConfig fields; stop them after."""
    with ExitStack() as stack:

        def start(**fields: object) -> SimulatorHandle:
            config = SimulatorConfig(**fields)  # type: ignore[arg-type]
            return stack.enter_context(serve_in_thread(config))

        yield start
