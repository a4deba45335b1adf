"""Where records go: stdout, or a file that is never left truncated mid-record.

An ``--output`` file is written to a temporary file in the same folder and renamed
into place, so a reader never sees a half-written file and an existing file is only
replaced by a finished one. What happens when the stream stops early:

* success: the temporary file replaces ``--output``;
* Ctrl-C: the output keeps every whole record written so far (a JSON array is
  closed so it stays valid JSON) and still replaces ``--output``: an interrupted long
  export is worth keeping, and the message on stderr says it is incomplete;
* any other error: the temporary file is removed and ``--output`` is left untouched,
  because a file that looks finished but is not would mislead whatever reads it next.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

from activecampaign_segments.cli.formats import OutputFormat, RecordLike, make_writer


class Interrupted(KeyboardInterrupt):
    """Ctrl-C while records were being written; says how many made it out whole."""

    def __init__(self, written: int, output: Path | None) -> None:
        super().__init__()
        self.written = written
        self.output = output


def _new_file_mode() -> int:
    # mkstemp creates 0600 files; give the result the mode a plain open() would have.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def _replaced_on_exit(path: Path, *, keep_on_interrupt: bool) -> Iterator[Path]:
    """A temporary path next to ``path``, renamed onto it when the block ends well."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else _new_file_mode())
        yield tmp
    except KeyboardInterrupt:
        if keep_on_interrupt:
            os.replace(tmp, path)
        else:
            tmp.unlink(missing_ok=True)
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


@contextlib.contextmanager
def atomic_text(path: Path) -> Iterator[TextIO]:
    """A UTF-8 text file for records: whole records survive Ctrl-C, errors remove it."""
    with (
        _replaced_on_exit(path, keep_on_interrupt=True) as tmp,
        tmp.open("w", encoding="utf-8", newline="") as handle,
    ):
        yield handle


@contextlib.contextmanager
def atomic_binary(path: Path) -> Iterator[BinaryIO]:
    """A binary file (a picture): only ever replaces ``path`` when complete."""
    with (
        _replaced_on_exit(path, keep_on_interrupt=False) as tmp,
        tmp.open("wb") as handle,
    ):
        yield handle


def pump(records: Iterable[RecordLike], fmt: OutputFormat, stream: TextIO) -> int:
    """Write every record to ``stream`` in ``fmt``; return how many were written.

    On Ctrl-C the format is closed (``]``) so the output holds every whole record and is
    well formed, and ``Interrupted`` says how many there were.
    """
    writer = make_writer(fmt, stream)
    writer.start()
    written = 0
    try:
        for record in records:
            writer.write(record)
            written += 1
    except KeyboardInterrupt as exc:
        writer.finish()
        raise Interrupted(written, None) from exc
    writer.finish()
    return written


def write_records(
    records: Iterable[RecordLike], fmt: OutputFormat, output: Path | None, stdout: TextIO
) -> int:
    """Stream ``records`` to ``output`` (atomically) or to ``stdout``; return the count."""
    if output is None:
        written = pump(records, fmt, stdout)
        stdout.flush()
        return written
    try:
        with atomic_text(output) as handle:
            return pump(records, fmt, handle)
    except Interrupted as exc:
        raise Interrupted(exc.written, output) from exc.__cause__
