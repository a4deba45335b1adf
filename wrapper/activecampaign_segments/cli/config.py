"""The global options and the one place that turns them into a ``SegmentsClient``."""

from __future__ import annotations

import attrs

from activecampaign_segments import SegmentsClient
from activecampaign_segments._config import ENV_TOKEN as TOKEN_VARIABLE
from activecampaign_segments._config import ENV_URL as URL_VARIABLE
from activecampaign_segments.cli.errors import CliError, ExitCode

__all__ = ["TOKEN_VARIABLE", "URL_VARIABLE", "GlobalOptions", "make_client"]


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
