"""How the in-process suite is assembled: the shipped schema, its settings and the app under test.

Shared by `test_contract.py` (the suite against both simulator profiles) and the mutation,
regression and drift tests, so all run exactly the checks `ac-segments contract` runs: the
document, `schemathesis.toml` and the hooks all come from the installed package
(`activecampaign_segments.contract`), which these tests exercise rather than hold.
"""

from __future__ import annotations

from typing import Any

import activecampaign_segments.contract.hooks  # noqa: F401 - registers the checks and hooks
import schemathesis
from activecampaign_segments.contract import known_data, resources
from activecampaign_simulator.app import create_app
from activecampaign_simulator.config import SimulatorConfig
from schemathesis.specs.openapi.schemas import OpenApiSchema

PROFILES = ("strict", "lenient")

MAX_EXAMPLES = 25
"""Per operation and phase in-process: enough to cover every boundary, and the whole suite stays
well inside a few seconds on two cores."""


def load_schema(app: Any, token: str, *, max_examples: int = MAX_EXAMPLES) -> OpenApiSchema:
    """The shipped document bound to an in-process ASGI `app`, sending `token` as `Api-Token`.

    Settings come from the package's `schemathesis.toml` (shared with the CLI); the only
    in-process differences are fewer examples and unexpected-method probes (PUT, DELETE, ...),
    which are safe against a local simulator but not against a real account.
    """
    config = schemathesis.Config.from_path(resources.config_path())
    schema = schemathesis.openapi.from_path(resources.document_path(), config=config)
    # The schema's own project settings (a copy of the file's): changed here, for this schema only.
    schema.config.generation.max_examples = max_examples
    schema.config.phases.coverage.unexpected_methods = {"put", "post", "delete", "patch"}
    schema.app = app

    @schema.auth(refresh_interval=None, retry_on=[])
    class FixedToken:
        """Send the simulator's token as `Api-Token`, as the CLI's auth provider does."""

        def get(self, case: schemathesis.Case, ctx: schemathesis.AuthContext) -> str:
            return token

        def set(self, case: schemathesis.Case, data: str, ctx: schemathesis.AuthContext) -> None:
            case.headers["Api-Token"] = data

    return schema


def use_store_data(app: Any) -> known_data.KnownData:
    """Let the case generator draw real ids and cursors from the simulator `app`'s own store."""
    store = app.state.store
    data = known_data.KnownData.from_record_lists(
        {sid: store.records(sid) for sid in store.segment_ids()}
    )
    known_data.use(data)
    return data


def simulator_app(profile: str = "strict", *quirks: str) -> tuple[Any, str]:
    """A simulator app (no rate limit) of `profile` with `quirks`, and its token."""
    config = SimulatorConfig(rps=0, profile=profile, quirks=frozenset(quirks))
    app = create_app(config)
    use_store_data(app)
    return app, config.token
