"""Names of the environment variables that carry a contract run's secrets and files.

Kept apart from `hooks` so the runner can name them without importing Schemathesis (which keeps
its one-line errors fast, and works without the ``contract`` extra).
"""

TOKEN_ENV = "AC_CONTRACT_API_TOKEN"  # noqa: S105 - a variable name
"""The API token, sent as ``Api-Token`` by the auth provider in `hooks`."""

DATA_ENV = "AC_CONTRACT_DATA"
"""Path of the JSON file of known segment ids and record epochs (`known_data`)."""

OBSERVATIONS_ENV = "AC_CONTRACT_OBSERVATIONS"
"""Path where the Schemathesis process writes the run's findings and drift (`verdicts`)."""

HOOKS_MODULE = "activecampaign_segments.contract.hooks"
"""What ``SCHEMATHESIS_HOOKS`` names for the Schemathesis process."""
