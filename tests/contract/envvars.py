"""Names of the environment variables that carry the contract run's secrets and data.

Kept apart from `checks` so the runner (tools/contract.py) can name them without importing
Schemathesis, which keeps its one-line errors fast.
"""

TOKEN_ENV = "AC_CONTRACT_API_TOKEN"
"""The API token, sent as `Api-Token` by the auth provider in `tests.contract.checks`."""

DATA_ENV = "AC_CONTRACT_DATA"
"""Path of the JSON file of known segment ids and record epochs (`tests.contract.known_data`)."""
