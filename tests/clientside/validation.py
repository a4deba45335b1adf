"""Is a body valid under the spec's 200 schema? (jsonschema, with `format` checked.)

Also the one place the client-side tests take their Hypothesis settings from.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema
from hypothesis import HealthCheck, settings

from tests.clientside.spec_schemas import distinct_response_schemas


@cache
def validator(operations: str) -> jsonschema.Draft202012Validator:
    """A validator for these operations' 200 body; `format: date-time` is enforced (RFC 3339)."""
    return jsonschema.Draft202012Validator(
        distinct_response_schemas()[operations],
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def is_valid(operations: str, body: Any) -> bool:
    return bool(validator(operations).is_valid(body))


SCHEMAS = sorted(distinct_response_schemas())
"""One entry per distinct 200 schema, named by the operations that share it."""


def valid_somewhere(body: Any) -> bool:
    """Whether any operation's 200 schema allows `body`."""
    return any(is_valid(schema, body) for schema in SCHEMAS)


def deterministic(max_examples: int) -> settings:
    """Repeatable runs (CI): derandomized, no example database, no deadline on a busy machine."""
    return settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        # filter_too_much: hypothesis-jsonschema drafts and discards more bodies for each
        # attribute the document requires, so one more required attribute upstream (a
        # non-breaking change) made the health check fail a test whose every body still
        # passed; how many drafts it discards is no property of the models under test.
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )
