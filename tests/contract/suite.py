"""How the in-process suite is assembled: the schema, its settings and the app under test.

Shared by `test_contract.py` (the suite against the bundled simulator) and `test_mutations.py`
(the same suite against deliberately broken simulators), so both run exactly the same checks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.specs.openapi.schemas import OpenApiSchema

import tests.contract.checks  # noqa: F401 - registers the semantic checks and the data hook
from tests.contract import known_data

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "openapi" / "segments.json"
CONFIG = ROOT / "schemathesis.toml"

MAX_EXAMPLES = 25
"""Per operation and phase in-process: enough to cover every boundary, and the whole suite stays
well inside a few seconds on two cores."""


def load_schema(app: Any, token: str, *, max_examples: int = MAX_EXAMPLES) -> OpenApiSchema:
    """The effective spec bound to an in-process ASGI `app`, sending `token` as `Api-Token`.

    Settings come from the repository's `schemathesis.toml` (shared with the CLI); the only
    in-process differences are fewer examples and unexpected-method probes (PUT, DELETE, ...),
    which are safe against a local simulator but not against a real account.
    """
    config = schemathesis.Config.from_path(CONFIG)
    schema = schemathesis.openapi.from_path(SPEC, config=config)
    # The schema's own project settings (a copy of the file's): changed here, for this schema only.
    schema.config.generation.max_examples = max_examples
    schema.config.phases.coverage.unexpected_methods = {"put", "post", "delete", "patch"}
    schema.app = app

    @schema.auth(refresh_interval=None, retry_on=[])
    class FixedToken:
        """Send the simulator's token as `Api-Token`, as the CLI's auth provider does."""

        def get(self, case: schemathesis.Case[Any], ctx: schemathesis.AuthContext) -> str:
            return token

        def set(
            self, case: schemathesis.Case[Any], data: str, ctx: schemathesis.AuthContext
        ) -> None:
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
