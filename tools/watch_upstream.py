"""The nightly upstream watch: ``make update-spec`` on ActiveCampaign's published document.

    python tools/watch_upstream.py SPEC [--root DIR]

Runs update-spec on ``SPEC`` (the published URL, or a local file in the tests) and tells the
workflow (``.github/workflows/upstream-spec.yml``) what happened, through ``$GITHUB_OUTPUT``
(``changed=true|false``, ``mergeable=yes|no``, ``report=PATH``) and the job summary
(``$GITHUB_STEP_SUMMARY``: the change report). The shell of the workflow only opens the pull
request, so everything that decides is here and can be run against a local document.

Exit status: 0 when nothing changed or the change is mergeable (the workflow then opens or
updates a pull request whose body is the report); 1 when the change is not mergeable (the job
fails, the report in its log and summary); 2 for bad input (an unreachable URL, a document
that is not OpenAPI), which fails the job too.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_spec
import update_spec

WATCHED = (update_spec.UPSTREAM, update_spec.DIGEST)


def _snapshot(root: Path) -> dict[Path, bytes | None]:
    return {p: (root / p).read_bytes() if (root / p).exists() else None for p in WATCHED}


def _append(variable: str, text: str) -> None:
    target = os.environ.get(variable)
    if target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(text)


def watch(root: Path, source: str) -> int:
    """Run update-spec on ``source`` in ``root``; report to the workflow; the exit status."""
    before = _snapshot(root)
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        status = update_spec.update(root, source, keep=False)
    output = captured.getvalue()
    sys.stdout.write(output)
    changed = status == 0 and _snapshot(root) != before
    lines = output.strip().splitlines()
    mergeable = "yes" if lines and lines[-1] == "mergeable: yes" else "no"
    report = root / update_spec.REPORT
    _append(
        "GITHUB_OUTPUT",
        f"changed={'true' if changed else 'false'}\nmergeable={mergeable}\nreport={report}\n",
    )
    if report.exists():
        _append("GITHUB_STEP_SUMMARY", report.read_text(encoding="utf-8"))
    if status == 0:
        print(
            "watch-upstream: "
            + (
                "the document changed; the workflow opens a pull request"
                if changed
                else "no change"
            )
        )
    else:
        print(f"watch-upstream: update-spec exited {status}: the job fails", file=sys.stderr)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", default=os.environ.get("SPEC", ""))
    parser.add_argument("--root", type=Path, default=build_spec.ROOT, help="project folder")
    args = parser.parse_args(argv)
    if not args.spec:
        print("watch-upstream: usage: watch_upstream.py SPEC_URL_OR_PATH", file=sys.stderr)
        return 2
    return watch(args.root.resolve(), args.spec)


if __name__ == "__main__":
    sys.exit(main())
