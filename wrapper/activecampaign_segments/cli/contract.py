"""``ac-segments contract``: the contract suite against a server, or the bundled simulator.

A thin shell over `activecampaign_segments.contract.runner`: it gathers the options, takes the URL
and token like every other command (``--base-url`` here or before the command,
``ACTIVECAMPAIGN_API_URL`` / ``ACTIVECAMPAIGN_API_KEY``), and maps the outcome to the suite's own
exit status: 0 passed, 1 failures, 2 the run could not start (one line on stderr, never the token).
Schemathesis is not imported here: the runner checks the ``contract`` extra first and runs it in
a child process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from activecampaign_segments.cli.config import GlobalOptions
from activecampaign_segments.cli.errors import one_line, redact
from activecampaign_segments.contract.audit_run import DEFAULT_BUDGET
from activecampaign_segments.contract.runner import (
    DEFAULT_JUNIT,
    EXIT_SETUP,
    ContractSettings,
    SetupError,
    run,
)

__all__ = ["contract"]


def _segment_ids(raw: str | None) -> list[str] | None:
    if raw is None:
        return None
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    if not ids:
        raise SetupError(f"--segment-ids must list ids separated by commas, got {raw!r}")
    return ids


def contract(
    ctx: typer.Context,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="The server to test (default: ACTIVECAMPAIGN_API_URL; without either, the "
            "bundled simulator on a free loopback port).",
            show_default=False,
        ),
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option(
            help="Requests per second (default: 5 for a URL, unlimited for the simulator; "
            "0 = no limit).",
            show_default=False,
        ),
    ] = None,
    segment_ids: Annotated[
        str | None,
        typer.Option(
            "--segment-ids",
            metavar="ID,ID...",
            help="Segments with count history to aim at (default: those among ids 1..100).",
            show_default=False,
        ),
    ] = None,
    max_examples: Annotated[
        int | None,
        typer.Option(
            min=1, help="Cases per operation and phase (default: 40).", show_default=False
        ),
    ] = None,
    junit: Annotated[
        Path,
        typer.Option(dir_okay=False, help="The JUnit report; drift.json is written beside it."),
    ] = DEFAULT_JUNIT,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Findings (leniency on invalid input, drift) fail the run."),
    ] = False,
    audit_budget: Annotated[
        int | None,
        typer.Option(
            "--audit-budget",
            min=0,
            help=f"Most requests the audit across answers may send (default: {DEFAULT_BUDGET}; "
            "0 = no audit).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Check a server against the API document and the rules the client relies on."""
    options = ctx.find_object(GlobalOptions) or GlobalOptions()
    url = base_url or options.base_url
    try:
        settings = ContractSettings(
            base_url=url.strip() if url and url.strip() else None,
            token=options.api_token,
            rate=rate,
            segment_ids=_segment_ids(segment_ids),
            max_examples=max_examples,
            junit=junit,
            strict=strict,
            audit_budget=audit_budget,
        )
        status = run(settings)
    except SetupError as exc:
        typer.echo(f"error: {one_line(redact(str(exc), options.api_token))}", err=True)
        raise typer.Exit(EXIT_SETUP) from None
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(130) from None
    raise typer.Exit(status)
