"""The global options and the one place that turns them into a ``SegmentsClient``."""

from __future__ import annotations

import attrs

from activecampaign_segments import SegmentsClient
from activecampaign_segments.cli.errors import CliError, ExitCode

URL_VARIABLE = "ACTIVECAMPAIGN_API_URL"
TOKEN_VARIABLE = "ACTIVECAMPAIGN_API_KEY"  # noqa: S105 -- a variable name, not a secret


@attrs.frozen
class GlobalOptions:
    """What was given before the subcommand (or through the environment)."""

    base_url: str | None = None
    api_token: str | None = attrs.field(default=None, repr=False)
    rps: float = 5.0
    timeout: float = 30.0
    max_retries: int = 4
    debug: bool = False


def make_client(options: GlobalOptions) -> SegmentsClient:
    """A client for the configured account, or a ``CliError`` naming what is missing."""
    if not options.base_url:
        raise CliError(
            ExitCode.CONFIG,
            f"missing configuration: set {URL_VARIABLE} or pass --base-url "
            "(the account's API URL, e.g. https://youraccount.api-us1.com)",
        )
    if not options.api_token:
        raise CliError(
            ExitCode.CONFIG,
            f"missing configuration: set {TOKEN_VARIABLE} or pass --api-token "
            "(Settings > Developer in ActiveCampaign)",
        )
    try:
        return SegmentsClient(
            base_url=options.base_url,
            api_token=options.api_token,
            timeout=options.timeout,
            max_retries=options.max_retries,
            # 0 on the command line turns the limiter off; the client spells that None.
            requests_per_second=options.rps or None,
        )
    except ValueError as exc:
        raise CliError(ExitCode.CONFIG, f"invalid configuration: {exc}") from exc
