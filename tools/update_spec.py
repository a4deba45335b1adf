"""Take a new ActiveCampaign document: ``make update-spec SPEC=PATH_OR_URL [KEEP=1]``.

    python tools/update_spec.py PATH_OR_HTTPS_URL [--keep] [--root DIR]

Reads the document (a file, or an ``https://`` URL fetched with a timeout and a size cap),
checks it is OpenAPI and that the overlay is well formed, checks every overlay precondition
against it (``overlay_preconditions``: an upstream value that changed under an action stops
the update, an action upstream made redundant is named), and then, in order: writes it as
``openapi/upstream/count-history.json`` in the checked-in form (``json.dumps`` with an indent
of 2, keys in the published order), pins its SHA-256 in ``count-history.json.sha256`` beside
it (``sha256sum -c`` format), rebuilds the effective document with the overlay, prints the
change report (the preconditions, the effective documents before and after, and upstream
against upstream with every change the overlay masks marked; also written to
``reports/spec-changes.md``), regenerates the client, type-checks the wrapper against it
(``mypy --strict``), and runs the fast tests (``FAST_TESTS``). The last line is the verdict,
``mergeable: yes`` or ``mergeable: no: <first reason>``.

When any step fails, the previous upstream document, digest, effective document and client
are put back byte for byte, so the tree is never half-updated; the report and the failure
are still printed. With ``--keep`` (``KEEP=1``), a change that fails only the checks (type
check, fast tests) stays in place, document, digest, effective document and client
consistent with each other, so the wrapper can be adapted to it. Exit status: 0 when
mergeable, 1 when not, 2 for bad input (nothing touched).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from openapi_spec_validator import validate as validate_openapi

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_spec
import generate
import overlay_preconditions as preconditions
import spec_changes
import upstream_report

UPSTREAM = Path("openapi/upstream/count-history.json")
DIGEST = UPSTREAM.with_name(UPSTREAM.name + ".sha256")
EFFECTIVE = Path("openapi/segments.json")
OVERLAY = Path("openapi/overlay.yaml")
CLIENT = Path("generated") / generate.PACKAGE
REPORT = Path("reports/spec-changes.md")
# ActiveCampaign's document is a few kilobytes; a megabyte-sized answer is not it.
MAX_BYTES = 5 * 1024 * 1024
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
TYPE_CHECK = "mypy --strict on the wrapper"


class BadInput(Exception):
    """The document cannot be used; the message is the one line printed."""


# ------------------------------------------------------------------------------ reading


def fetch(url: str, *, transport: httpx.BaseTransport | None = None) -> bytes:
    """The body of ``url`` (``https://`` only), at most ``MAX_BYTES`` of it."""
    if not url.startswith("https://"):
        raise BadInput(f"{url}: only https:// URLs are fetched (the document decides the code)")
    try:
        with (
            httpx.Client(timeout=TIMEOUT, follow_redirects=True, transport=transport) as client,
            client.stream("GET", url, headers={"Accept": "application/json"}) as response,
        ):
            if response.url.scheme != "https":
                raise BadInput(f"{url}: redirected to {response.url}, which is not https://")
            if response.status_code != 200:
                raise BadInput(f"{url}: HTTP {response.status_code} {response.reason_phrase}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > MAX_BYTES:
                raise BadInput(f"{url}: {declared} bytes, more than the {MAX_BYTES} allowed")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_BYTES:
                    raise BadInput(f"{url}: more than the {MAX_BYTES} bytes allowed")
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise BadInput(f"{url}: cannot fetch it: {exc or type(exc).__name__}") from None
    return b"".join(chunks)


def read_source(source: str, *, transport: httpx.BaseTransport | None = None) -> bytes:
    """The bytes of a file or an ``https://`` URL."""
    if "://" in source:
        return fetch(source, transport=transport)
    path = Path(source)
    try:
        if not path.is_file():
            raise BadInput(f"{source}: no such file")
        if path.stat().st_size > MAX_BYTES:
            raise BadInput(f"{source}: more than the {MAX_BYTES} bytes allowed")
        return path.read_bytes()
    except OSError as exc:
        raise BadInput(f"{source}: cannot read it: {exc.strerror or exc}") from None


class _JsonLikeLoader(yaml.SafeLoader):  # type: ignore[misc]  # yaml has no stubs here
    """YAML as JSON would read it: ``2020-01-01`` stays a string, not a date."""


_JsonLikeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


# ActiveCampaign publishes its reference as a page, "# <summary> # OpenAPI definition ```json
# {...} ```" (the form our upstream was first taken from): the document is its one JSON fence.
_JSON_FENCE = re.compile(rb"```json\s*(.*?)\s*```", re.DOTALL)


def _from_reference_page(data: bytes) -> bytes:
    """The document inside a reference page's single ```json fence, else ``data`` as it is."""
    if data.lstrip().startswith((b"{", b"[")):
        return data
    fences = _JSON_FENCE.findall(data)
    return fences[0] if len(fences) == 1 else data


def parse_document(data: bytes, source: str) -> dict[str, Any]:
    """A JSON or YAML OpenAPI document, checked; raises ``BadInput`` with one line.

    A reference page that holds the document in one ```json fence (as ActiveCampaign's
    developer pages do) is read as that document.
    """
    data = _from_reference_page(data)
    try:
        doc = json.loads(data)
    except ValueError:
        try:
            doc = yaml.load(data, Loader=_JsonLikeLoader)  # noqa: S506 - a SafeLoader
            doc = json.loads(json.dumps(doc))  # YAML's int keys become strings, as in JSON
        except (yaml.YAMLError, TypeError, ValueError, RecursionError):
            raise BadInput(f"{source}: neither JSON nor YAML") from None
    except RecursionError:
        raise BadInput(f"{source}: nested too deeply to be an OpenAPI document") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("openapi"), str):
        raise BadInput(f"{source}: not an OpenAPI document (no `openapi` version field)")
    try:
        validate_openapi(doc)
    except Exception as exc:  # the validator raises several kinds, unresolvable $refs included
        message = str(getattr(exc, "message", "") or exc).strip().splitlines()
        first = message[0] if message else type(exc).__name__
        raise BadInput(f"{source}: not valid OpenAPI: {first[:200]}") from None
    return doc


# ------------------------------------------------------------------- the checked-in form


def canonical_text(doc: dict[str, Any]) -> str:
    """The checked-in form of the upstream document (the published key order kept)."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def digest_line(text: str) -> str:
    """The digest file's content for an upstream document written as ``text``."""
    return f"{hashlib.sha256(text.encode('utf-8')).hexdigest()}  {UPSTREAM.name}\n"


def pin_problems(root: Path) -> list[str]:
    """Why the upstream document and its digest file disagree (empty when they agree)."""
    try:
        data = (root / UPSTREAM).read_bytes()
        pinned = (root / DIGEST).read_text(encoding="utf-8")
    except OSError as exc:
        return [f"cannot read the upstream document or its digest: {exc}"]
    problems = []
    text = data.decode("utf-8", "replace")
    if canonical_text(json.loads(data)) != text:
        problems.append(f"{UPSTREAM} is not in the checked-in form (use make update-spec)")
    if digest_line(text) != pinned:
        problems.append(f"{UPSTREAM} does not match the digest pinned in {DIGEST}")
    return problems


# ------------------------------------------------------------------------- the pipeline


@dataclass
class _Saved:
    """The files update-spec replaces, as they were, and a copy of the client."""

    root: Path
    files: dict[Path, bytes | None] = field(default_factory=dict)
    client_copy: Path | None = None

    @classmethod
    def take(cls, root: Path) -> _Saved:
        saved = cls(root)
        for name in (UPSTREAM, DIGEST, EFFECTIVE):
            path = root / name
            saved.files[name] = path.read_bytes() if path.exists() else None
        client = root / CLIENT
        if client.exists():
            # Beside the client (same file system, so the restore is a rename), under a name
            # .gitignore already ignores.
            holder = Path(tempfile.mkdtemp(prefix=".generate-update-spec-", dir=client.parent))
            saved.client_copy = holder / client.name
            shutil.copytree(client, saved.client_copy, symlinks=True)
        return saved

    def restore(self) -> None:
        for name, data in self.files.items():
            path = self.root / name
            if data is None:
                path.unlink(missing_ok=True)
            else:
                build_spec.write_atomically_bytes(path, data)
        client = self.root / CLIENT
        if self.client_copy is not None:
            if client.exists():
                trash = self.client_copy.parent / "replaced"
                client.rename(trash)
            self.client_copy.rename(client)
        self.discard()

    def discard(self) -> None:
        if self.client_copy is not None:
            shutil.rmtree(self.client_copy.parent, ignore_errors=True)
            self.client_copy = None


@dataclass
class _Outcome:
    steps: list[str] = field(default_factory=list)
    failure: str | None = None
    # The first reason, in one line, for the `mergeable: no: ...` verdict.
    reason: str | None = None
    kept: bool = False
    type_checked: bool = False


def _say(message: str) -> None:
    print(f"update-spec: {message}", flush=True)


def _first_error(output: str) -> str:
    """mypy's first error with the notes below it, in one line (the notes name the field)."""
    lines = output.splitlines()
    first = next((i for i, line in enumerate(lines) if ": error:" in line), None)
    if first is None:
        return (lines or ["(no output)"])[0]
    notes = []
    for line in lines[first + 1 :]:
        if ": note:" not in line:
            break
        notes.append(line.split(": note:", 1)[1].strip())
    return " ".join([lines[first], *notes])


def type_check(root: Path) -> tuple[bool, str]:
    """mypy --strict (the project's configuration) on the wrapper, against the client."""
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "-p", "activecampaign_segments"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()


# The tests that decide, with the type check, whether an update can be committed: the spec
# tests (pins, effective document, generated client, overlay, report) and the unit tests of
# the records boundary (the one module that reads the generated models). Seconds, not the
# minutes of `make test`: the end-to-end runs of update-spec itself are marked slow.
FAST_TESTS = (
    "tests/spec",
    "tests/unit/test_records.py",
    "tests/unit/test_records_extra.py",
    "tests/unit/test_records_fastpath.py",
)


def fast_tests(root: Path) -> tuple[bool, str]:
    """Run ``FAST_TESTS`` (the slow ones left out) in ``root``; (passed, first reason)."""
    missing = [name for name in FAST_TESTS if not (root / name).exists()]
    if missing:
        return False, f"cannot run the fast checks: {', '.join(missing)} missing in {root}"
    options = ["-q", "-m", "not slow", "-p", "no:cacheprovider", "-n", "2"]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *options, *FAST_TESTS],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode == 0:
        return True, ""
    print(proc.stdout[-6000:] + proc.stderr[-2000:])
    failed = [line for line in proc.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    summary = (proc.stdout.strip().splitlines() or ["(no output)"])[-1].strip("= ")
    first = f" (first: {failed[0].split(' - ')[0].split(' ', 1)[1]})" if failed else ""
    return False, f"the fast tests failed: {summary}{first}"


def fast_checks(root: Path, *, type_checked: bool) -> tuple[bool, str]:
    """The type check (unless it already ran on this tree), then the fast tests."""
    if not type_checked:
        _say(f"checks: type check ({TYPE_CHECK}) ...")
        passed, output = type_check(root)
        if not passed:
            print(output)
            return False, f"the type check failed: {_first_error(output)}"
    _say("checks: " + ", ".join(FAST_TESTS) + " ...")
    return fast_tests(root)


def _effective(
    upstream: dict[str, Any], overlay: dict[str, Any]
) -> tuple[dict[str, Any] | None, str | None, list[str], list[preconditions.Finding]]:
    """(effective document, why it cannot be built, actions skipped, precondition findings)."""
    findings: list[preconditions.Finding] = []
    try:
        doc = build_spec.apply(upstream, overlay, findings=findings)
        build_spec.validate(doc)
        return doc, None, [], findings
    except build_spec.PreconditionError as exc:
        first = next(f for f in exc.findings if f.breaking)
        failure = f"upstream changed under an overlay action: {first.line()}"
    except build_spec.SpecBuildError as exc:
        failure = str(exc)
    # For the report only: the overlay with the actions that no longer match left out (and
    # the ones whose precondition fails applied as written, to show what they hide).
    findings = []
    try:
        lenient, skipped = build_spec.apply_lenient(upstream, overlay, findings)
    except build_spec.SpecBuildError:
        return None, failure, [], findings
    return lenient, failure, skipped, findings


def _write_report(root: Path, header: list[str], report: str, outcome: _Outcome) -> None:
    lines = [*header, "", report]
    if outcome.failure:
        kept = " (kept in place: KEEP=1)" if outcome.kept else " (the previous tree was restored)"
        lines.append(f"Outcome: stopped{kept}: {outcome.failure}")
    else:
        lines.append("Outcome: went through (" + ", ".join(outcome.steps) + ").")
    lines.append(_verdict(outcome))
    path = root / REPORT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")


def _verdict(outcome: _Outcome) -> str:
    if outcome.failure is None:
        return "mergeable: yes"
    return f"mergeable: no: {outcome.reason or outcome.failure}"


@contextmanager
def _quiet_stdout() -> Iterator[None]:
    # generate.py prints its own progress lines; update-spec prints one per step instead.
    saved = sys.stdout
    with open(os.devnull, "w", encoding="utf-8") as sink:
        sys.stdout = sink
        try:
            yield
        finally:
            sys.stdout = saved


def _report(
    old_upstream: dict[str, Any],
    doc: dict[str, Any],
    old_effective: dict[str, Any],
    overlay: dict[str, Any],
    new_effective: dict[str, Any] | None,
    skipped: list[str],
    findings: list[preconditions.Finding],
) -> str:
    """Preconditions, then the effective document's changes, then upstream's own."""
    parts = [upstream_report.preconditions_section(findings, len(overlay["actions"]))]
    effective_changes: list[spec_changes.Change] = []
    if new_effective is not None:
        effective_changes = spec_changes.compare(old_effective, new_effective)
        parts.append(spec_changes.render(effective_changes))
    else:
        parts.append("The change report could not be computed: the overlay does not apply.\n")
    if skipped:
        parts[-1] += (
            "\n(Computed with the overlay actions that match nothing left out: "
            + "; ".join(skipped)
            + ".)\n"
        )
    if old_upstream:
        parts.append(
            upstream_report.upstream_section(
                old_upstream, doc, overlay if new_effective is not None else None, effective_changes
            )
        )
    return "\n".join(parts)


def update(
    root: Path, source: str, *, keep: bool, transport: httpx.BaseTransport | None = None
) -> int:
    """The whole of ``make update-spec``; returns the exit status."""
    try:
        doc = parse_document(read_source(source, transport=transport), source)
        overlay = build_spec.load_overlay(root / OVERLAY)
    except BadInput as exc:
        print(f"update-spec: {exc}", file=sys.stderr)
        return 2
    except build_spec.OverlayError as exc:
        print(f"update-spec: {exc}", file=sys.stderr)
        return 2
    text = canonical_text(doc)
    old_text = (root / UPSTREAM).read_text(encoding="utf-8") if (root / UPSTREAM).exists() else ""
    old_upstream = json.loads(old_text) if old_text else {}
    effective_path = root / EFFECTIVE
    old_effective = (
        json.loads(effective_path.read_text(encoding="utf-8")) if effective_path.exists() else {}
    )
    header = [
        "# Spec changes",
        "",
        f"Source: `{source}`",
        f"Upstream: {_label(old_upstream)} -> {_label(doc)}",
        f"SHA-256: {digest_line(old_text).split()[0] if old_text else '(none)'} -> "
        f"{digest_line(text).split()[0]}",
    ]
    new_effective, build_failure, skipped, findings = _effective(doc, overlay)
    report = _report(old_upstream, doc, old_effective, overlay, new_effective, skipped, findings)
    _say(f"{source}: {_label(old_upstream)} -> {_label(doc)}")
    print()
    print(report)

    if text == old_text and not pin_problems(root) and build_failure is None:
        outcome = _Outcome(steps=["no change"])
        _say(f"{UPSTREAM} already holds this document; nothing to update")
        passed, reason = fast_checks(root, type_checked=False)
        if not passed:
            outcome.failure = outcome.reason = reason
        return _finish(root, header, report, outcome)

    saved = _Saved.take(root)
    try:
        outcome = _run_steps(root, text, build_failure, keep)
        if outcome.failure is None:
            passed, reason = fast_checks(root, type_checked=outcome.type_checked)
            if passed:
                outcome.steps.append("fast checks passed")
            else:
                outcome.failure = outcome.reason = reason
                outcome.kept = keep
    except BaseException:
        saved.restore()
        _say("interrupted: the previous tree was restored")
        raise
    if outcome.failure and not outcome.kept:
        saved.restore()
    else:
        saved.discard()
    if outcome.failure:
        _say(f"stopped: {outcome.failure}")
        if outcome.kept:
            _say(
                "KEEP=1: the new document, digest, effective document and client stay in place; "
                "adapt wrapper/ until `make lint` passes, or undo with "
                "`git checkout -- openapi generated`"
            )
        else:
            _say(
                "restored the previous upstream document, digest, effective document and client"
                + ("" if keep else " (KEEP=1 keeps a change that fails only the checks)")
            )
    else:
        _say(
            "done: " + ", ".join(outcome.steps) + "; review `git diff openapi generated` and commit"
        )
    return _finish(root, header, report, outcome)


def _finish(root: Path, header: list[str], report: str, outcome: _Outcome) -> int:
    _write_report(root, header, report, outcome)
    _say(f"report written to {REPORT}")
    print(_verdict(outcome), flush=True)
    return 1 if outcome.failure else 0


def _label(doc: dict[str, Any]) -> str:
    info = doc.get("info") or {}
    return f"{info.get('title', '?')!r} {info.get('version', '?')}" if doc else "(none)"


def _run_steps(root: Path, text: str, build_failure: str | None, keep: bool) -> _Outcome:
    outcome = _Outcome()
    build_spec.write_atomically(root / UPSTREAM, text)
    build_spec.write_atomically(root / DIGEST, digest_line(text))
    outcome.steps.append(f"{UPSTREAM} and its digest written")
    if build_failure is not None:
        outcome.reason = build_failure
        advice = (
            f"Decide what the client should make of upstream's new value, update that action "
            f"(its update and its x-expects) in {OVERLAY} or drop it"
            if build_failure.startswith("upstream changed under")
            else f"Fix {OVERLAY} (drop or retarget the action if ActiveCampaign changed or "
            "fixed what it targets)"
        )
        outcome.failure = f"make spec: {build_failure}. {advice}, and run update-spec again"
        return outcome
    try:
        with _quiet_stdout():
            status = generate.generate(root)
    except SystemExit as exc:  # generate_client's failure, its output already on stderr
        outcome.failure = f"make generate: {exc.code}"
        return outcome
    if status != 0:
        outcome.failure = "make generate failed (see above)"
        return outcome
    outcome.steps.append(f"{EFFECTIVE} rebuilt, {CLIENT} regenerated")
    _say(f"[1/3] {EFFECTIVE} rebuilt")
    _say(f"[2/3] {CLIENT} regenerated")
    _say(f"[3/3] type check ({TYPE_CHECK}) ...")
    passed, output = type_check(root)
    outcome.type_checked = True
    if not passed:
        print(output)
        outcome.failure = (
            "the type check failed: the wrapper does not fit the regenerated client "
            "(mypy names the file and the field above)"
        )
        outcome.reason = f"the type check failed: {_first_error(output)}"
        outcome.kept = keep
        return outcome
    outcome.steps.append("type check passed")
    _say("[3/3] type check passed")
    return outcome


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, with ``SPEC`` and ``KEEP`` from the environment (``make``) as defaults."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", default=os.environ.get("SPEC", ""))
    parser.add_argument(
        "--keep",
        action="store_true",
        default=os.environ.get("KEEP", "").strip() not in ("", "0"),
        help="keep a change that fails only the type check (KEEP=1)",
    )
    parser.add_argument("--root", type=Path, default=build_spec.ROOT, help="project folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    if not args.spec:
        print(
            "update-spec: usage: make update-spec SPEC=PATH_OR_HTTPS_URL [KEEP=1]", file=sys.stderr
        )
        return 2
    return update(args.root.resolve(), args.spec, keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
