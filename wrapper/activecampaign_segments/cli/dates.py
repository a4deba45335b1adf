"""Parse the ``--since`` / ``--until`` values people type.

Accepted: ISO 8601 dates (``2024-05-01``, midnight UTC), ISO 8601 datetimes with or
without an offset (``2024-05-01T12:30``, ``2024-05-01 12:30:00Z``,
``2024-05-01T12:30:00+02:00``) and epoch seconds (``1714566600``, decimals allowed).
A value without an offset is UTC, never local time: the API records UTC, and a
command that means different things on different laptops is a trap.
"""

from __future__ import annotations

import datetime as dt
import re

from activecampaign_segments.cli.errors import CliError, ExitCode

_EPOCH = re.compile(r"\d+(\.\d+)?")
_EPOCH_ZERO = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

HELP = (
    "An ISO 8601 date or datetime, or epoch seconds; UTC unless an offset is given "
    "(2024-05-01, 2024-05-01T12:30, 2024-05-01T12:30+02:00, 1714566600)."
)


def _invalid(option: str, value: str, why: str) -> CliError:
    return CliError(
        ExitCode.INVALID_DATE,
        f"invalid date for {option}: {value!r} ({why}; expected an ISO 8601 date or "
        "datetime, or epoch seconds)",
    )


def parse_when(value: str, option: str) -> dt.datetime:
    """Return ``value`` as an aware UTC datetime, or raise a ``CliError`` naming ``option``."""
    text = value.strip()
    if _EPOCH.fullmatch(text):
        try:
            return dt.datetime.fromtimestamp(float(text), tz=dt.UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise _invalid(option, value, "out of range") from exc
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise _invalid(option, value, "not understood") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    parsed = parsed.astimezone(dt.UTC)
    if parsed < _EPOCH_ZERO:
        raise _invalid(option, value, "before 1970-01-01, the start of epoch time")
    return parsed


def parse_range(
    since: str | None, until: str | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Parse both bounds and check that ``since`` comes before ``until``."""
    start = parse_when(since, "--since") if since is not None else None
    end = parse_when(until, "--until") if until is not None else None
    if start is not None and end is not None and start >= end:
        raise CliError(
            ExitCode.INVALID_DATE,
            f"empty date range: --since {since} is not earlier than --until {until} "
            "(--since is inclusive, --until exclusive)",
        )
    return start, end
