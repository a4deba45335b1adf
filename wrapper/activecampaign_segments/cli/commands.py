"""The ``ac-segments`` commands: thin Typer shells over the client and the helpers.

Every command runs inside ``guarded``: whatever goes wrong ends as one line on stderr
and the exit code of its class (see ``errors``), with no traceback unless ``--debug``.
"""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, TextIO

import typer

from activecampaign_segments.cli import dates
from activecampaign_segments.cli.common import (
    CLI_CONCURRENCY,
    ConcurrencyOption,
    err,
    guarded,
    options_of,
    read_ids,
)
from activecampaign_segments.cli.config import (
    TOKEN_VARIABLE,
    URL_VARIABLE,
    GlobalOptions,
    make_client,
)
from activecampaign_segments.cli.contract import contract
from activecampaign_segments.cli.errors import CliError, ExitCode, require_extra
from activecampaign_segments.cli.formats import OutputFormat, choose_format
from activecampaign_segments.cli.output import write_records
from activecampaign_segments.cli.plot import (
    SUPPORTED_SUFFIXES,
    build_figure,
    marked_changes,
    picture_format,
    require_matplotlib,
    save_figure,
)
from activecampaign_segments.cli.progress import tracking
from activecampaign_segments.cli.sync import DbOption, history_records, sync_command

app = typer.Typer(
    name="ac-segments",
    help=(
        "Segment count history from ActiveCampaign: how has a segment's size changed "
        "over time?\n\nConfigure with --base-url/--api-token or "
        f"{URL_VARIABLE}/{TOKEN_VARIABLE}; try it offline with `ac-segments simulate`."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _positive(value: float) -> float:
    if value <= 0:
        raise typer.BadParameter(f"must be more than 0, got {value}")
    return value


def _show_version(value: bool) -> None:
    if value:
        try:
            number = version("activecampaign-segments")
        except PackageNotFoundError:
            number = "unknown"
        typer.echo(f"ac-segments {number}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    base_url: Annotated[
        str | None,
        typer.Option(
            envvar=URL_VARIABLE,
            show_envvar=True,
            help="The account's API URL, e.g. https://youraccount.api-us1.com "
            "(a trailing /api/3 is fine).",
        ),
    ] = None,
    api_token: Annotated[
        str | None,
        typer.Option(
            envvar=TOKEN_VARIABLE,
            show_envvar=True,
            show_default=False,
            help="The account's API token (never printed). Prefer the environment "
            "variable: options end up in shell history.",
        ),
    ] = None,
    rps: Annotated[
        float,
        typer.Option(min=0.0, help="Requests per second to stay under (0 = no limit)."),
    ] = 5.0,
    timeout: Annotated[
        float,
        typer.Option(min=0.0, callback=_positive, help="Seconds to wait for each answer (> 0)."),
    ] = 30.0,
    max_retries: Annotated[
        int,
        typer.Option(min=0, help="Extra attempts after a 429, 5xx, timeout or network error."),
    ] = 4,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks and the HTTP exchange on stderr.")
    ] = False,
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Options that apply to every command; give them before the command name."""
    ctx.obj = GlobalOptions(
        base_url=base_url,
        api_token=api_token,
        rps=rps,
        timeout=timeout,
        max_retries=max_retries,
        debug=debug,
    )


SinceOption = Annotated[
    str | None,
    typer.Option(
        metavar="DATE",
        help=f"Only counts recorded at or after this moment (inclusive). {dates.HELP}",
    ),
]
UntilOption = Annotated[
    str | None,
    typer.Option(
        metavar="DATE", help="Only counts recorded before this moment (exclusive); same forms."
    ),
]
FormatOption = Annotated[
    OutputFormat | None,
    typer.Option(
        "--format",
        "-f",
        case_sensitive=False,
        help="Output format (default: table on a terminal, else from the --output suffix "
        ".csv/.json/.jsonl, else jsonl).",
        show_default=False,
    ),
]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        dir_okay=False,
        help="Write to this file instead of stdout (written whole or not at all; "
        "after Ctrl-C it keeps every whole record so far).",
    ),
]


def _to_terminal(output: Path | None, stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return output is None and isatty is not None and bool(isatty())


@app.command()
def history(
    ctx: typer.Context,
    segment_id: Annotated[str, typer.Argument(metavar="SEGMENT_ID", help="The segment's id.")],
    since: SinceOption = None,
    until: UntilOption = None,
    output_format: FormatOption = None,
    output: OutputOption = None,
    limit: Annotated[
        int | None, typer.Option(min=0, help="Stop after this many records (newest first).")
    ] = None,
    db: DbOption = None,
    concurrency: ConcurrencyOption = CLI_CONCURRENCY,
) -> None:
    """Every recorded count of a segment, newest first, streamed as it is fetched."""
    options = options_of(ctx)
    with guarded(options):
        start, end = dates.parse_range(since, until)
        stdout = sys.stdout
        fmt = choose_format(output_format, None if output is None else str(output), stdout)
        with (
            make_client(options) as client,
            tracking(
                f"segment {segment_id}",
                lambda: client.stats.requests,
                enabled=not _to_terminal(output, stdout),
            ) as tracker,
            history_records(
                client,
                segment_id,
                since=start,
                until=end,
                db=db,
                limit=limit,
                concurrency=concurrency,
            ) as records,
        ):
            write_records(tracker.track(records), fmt, output, stdout)


@app.command()
def latest(
    ctx: typer.Context,
    segment_ids: Annotated[
        list[str],
        typer.Argument(
            metavar="SEGMENT_ID...",
            help="Segment ids; `-` reads more ids from stdin (whitespace separated).",
        ),
    ],
    output_format: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """The most recent count of each segment; unknown ids are reported on stderr."""
    options = options_of(ctx)
    with guarded(options):
        ids = read_ids(segment_ids, sys.stdin)
        if not ids:
            raise CliError(ExitCode.USAGE, "no segment ids given (on the command line or stdin)")
        stdout = sys.stdout
        fmt = choose_format(output_format, None if output is None else str(output), stdout)
        with make_client(options) as client:
            found = client.latest_counts(ids)
        write_records((found[i] for i in ids if i in found), fmt, output, stdout)
        missing = [i for i in ids if i not in found]
        if missing:
            err(
                f"warning: no count for {len(missing)} segment(s): {', '.join(missing)} "
                "(unknown, never counted, or not visible to this token)"
            )


@app.command()
def plot(
    ctx: typer.Context,
    segment_id: Annotated[str, typer.Argument(metavar="SEGMENT_ID", help="The segment's id.")],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            dir_okay=False,
            help=f"The picture to write ({', '.join(SUPPORTED_SUFFIXES)}).",
        ),
    ],
    since: SinceOption = None,
    until: UntilOption = None,
    active: Annotated[
        bool, typer.Option("--active", help="Also draw active_result_count.")
    ] = False,
    db: DbOption = None,
    concurrency: ConcurrencyOption = CLI_CONCURRENCY,
) -> None:
    """A line chart of the segment's count over time, marking each definition change."""
    options = options_of(ctx)
    with guarded(options):
        start, end = dates.parse_range(since, until)
        # Both checked before any request: a wrong suffix or a missing extra should
        # not cost a long fetch first.
        require_matplotlib()
        picture_format(output)
        with (
            make_client(options) as client,
            tracking(f"segment {segment_id}", lambda: client.stats.requests) as tracker,
            history_records(
                client, segment_id, since=start, until=end, db=db, concurrency=concurrency
            ) as fetched,
        ):
            records = list(tracker.track(fetched))
        figure = build_figure(records, segment_id, active=active)
        save_figure(figure, output)
        changes = marked_changes(figure)
        typer.echo(
            f"wrote {output}: {len(records):,} counts, {changes} definition change(s) marked"
        )


@app.command()
def simulate(
    ctx: typer.Context,
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port on 127.0.0.1 (0 = any free).")
    ] = 8765,
    segments: Annotated[
        int | None, typer.Option(min=0, help="Ordinary segments (ids 1..N).")
    ] = None,
    history_length: Annotated[
        int | None, typer.Option("--history", min=0, help="Counts per ordinary segment.")
    ] = None,
    rps: Annotated[
        float, typer.Option(min=0.0, help="The simulated account's rate limit (0 = none).")
    ] = 5.0,
    db: Annotated[
        Path | None, typer.Option(dir_okay=False, help="Keep the data in this SQLite file.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the generated data.")] = None,
) -> None:
    """Run the bundled API simulator on loopback; prints the base URL and token to use."""
    options = options_of(ctx)
    with guarded(options):
        require_extra("simulator", "ac-segments simulate")
        from activecampaign_simulator import server

        argv = ["--host", "127.0.0.1", "--port", str(port), "--rps", str(rps)]
        if segments is not None:
            argv += ["--segments", str(segments)]
        if history_length is not None:
            argv += ["--history", str(history_length)]
        if db is not None:
            argv += ["--db", str(db)]
        if seed is not None:
            argv += ["--seed", str(seed)]
        status = server.main(argv)
        raise typer.Exit(status or 0)


app.command(name="sync")(sync_command)
app.command()(contract)


def main() -> None:
    """The ``ac-segments`` console script."""
    app(prog_name="ac-segments")
