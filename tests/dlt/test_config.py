"""Settings the dlt way (env vars, secrets.toml) and as arguments; bad input fails early."""

from __future__ import annotations

from pathlib import Path

import pytest
from activecampaign_segments.dlt_source import count_history_source
from activecampaign_simulator.server import SimulatorHandle
from dlt.common.configuration.container import Container
from dlt.common.configuration.exceptions import ConfigFieldMissingException
from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext

from .helpers import Warehouse, requests_served

ENV = "SOURCES__ACTIVECAMPAIGN_SEGMENTS__"


def test_settings_from_environment_variables(
    warehouse: Warehouse, sim: SimulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"{ENV}BASE_URL", sim.base_url)
    monkeypatch.setenv(f"{ENV}API_TOKEN", sim.token)
    monkeypatch.setenv(f"{ENV}REQUESTS_PER_SECOND", "1000")
    result = warehouse.run_source(count_history_source(["4"]))
    assert result.history_rows == sim.store.record_count("4")
    assert result.latest_rows == 1


def test_requests_per_second_is_read_from_the_environment(
    sim: SimulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"{ENV}REQUESTS_PER_SECOND", "-1")
    with pytest.raises(ValueError, match="requests_per_second"):
        count_history_source(["4"], base_url=sim.base_url, api_token=sim.token)


def test_arguments_win_over_the_environment(
    warehouse: Warehouse, sim: SimulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(f"{ENV}BASE_URL", sim.base_url)
    monkeypatch.setenv(f"{ENV}API_TOKEN", "not-the-token")
    result = warehouse.run_source(
        count_history_source(["900050"], api_token=sim.token, requests_per_second=None)
    )
    assert result.history_rows == 50


def test_settings_from_secrets_toml(
    warehouse: Warehouse, sim: SimulatorHandle, dlt_sandbox: Path
) -> None:
    # The sandbox's DLT_PROJECT_DIR is where dlt looks for .dlt/secrets.toml.
    settings = dlt_sandbox / "project" / ".dlt"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "secrets.toml").write_text(
        "[sources.activecampaign_segments]\n"
        f'base_url = "{sim.base_url}"\n'
        f'api_token = "{sim.token}"\n',
        encoding="utf-8",
    )
    # dlt reads the toml files once per run context (a process, usually); reload
    # them as dlt's own Airflow helper does, so this process sees the new file.
    providers = Container()[PluggableRunContext]
    providers.reload_providers()
    try:
        result = warehouse.run_source(count_history_source(["900050"]))
    finally:
        (settings / "secrets.toml").unlink()
        providers.reload_providers()
    assert result.history_rows == 50


def test_missing_settings_name_the_variables_to_set() -> None:
    with pytest.raises(ConfigFieldMissingException) as missing:
        count_history_source(["4"])
    assert f"{ENV}API_TOKEN" in str(missing.value)
    assert f"{ENV}BASE_URL" in str(missing.value)


@pytest.mark.parametrize(
    ("segment_ids", "problem"),
    [
        ("4", "a list of segment ids"),
        (["4", ""], "non-empty string"),
        (["4", 5], "non-empty string"),
        (["4,5"], "comma"),
    ],
)
def test_bad_segment_ids_fail_before_any_request(
    sim: SimulatorHandle, segment_ids: object, problem: str
) -> None:
    before = requests_served(sim)
    with pytest.raises(ValueError, match=problem):
        count_history_source(segment_ids, base_url=sim.base_url, api_token=sim.token)  # type: ignore[arg-type]
    assert requests_served(sim) == before


def test_a_bad_base_url_fails_before_any_request() -> None:
    with pytest.raises(ValueError, match="https://"):
        count_history_source(["4"], base_url="acct.api-us1.com", api_token="token")
