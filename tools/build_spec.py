"""Build the effective OpenAPI document: the upstream document with our overlay applied.

    python tools/build_spec.py [--upstream PATH] [--overlay PATH] [--output PATH]

The overlay is an OpenAPI Overlay 1.0 document applied with ``oas-patch``. Before
applying, every action's target is checked to match something in the document as it
stands at that step: oas-patch silently skips a target that matches nothing, and a
typo there would quietly drop one of our fixes. Every action's precondition (``x-expects``,
see ``overlay_preconditions``) is checked there too: an upstream value that changed under an
action is refused, an action upstream made redundant is skipped with a note. The result is
validated as OpenAPI 3.1 and written atomically, so on any error the previous output file is
left untouched.
"""

from __future__ import annotations

import argparse
import copy
import functools
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from jsonpath_ng.exceptions import JsonPathParserError
from jsonpath_ng.ext import parse as jsonpath_parse  # type: ignore[attr-defined]  # untyped re-export
from jsonschema import Draft202012Validator
from oas_patch.overlay import _apply_action, _get_parent_and_key  # one match at a time
from oas_patch.validator import load_schema
from openapi_spec_validator import validate as validate_openapi
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import overlay_preconditions as preconditions

ROOT = Path(__file__).resolve().parent.parent


class SpecBuildError(Exception):
    """The overlay or the result is unusable; the message says which action and why."""


class OverlayError(SpecBuildError):
    """The overlay itself is unreadable or malformed (its preconditions included)."""


class PreconditionError(SpecBuildError):
    """Upstream changed where an overlay action writes; ``findings`` says where and how."""

    def __init__(self, findings: list[preconditions.Finding]) -> None:
        self.findings = findings
        super().__init__("; ".join(f.line() for f in findings if f.breaking))


def _describe(index: int, action: dict[str, Any]) -> str:
    what = action.get("description") or "(no description)"
    return f"overlay action #{index + 1} (target {action.get('target')!r}: {what.strip()})"


def load_overlay(path: Path) -> dict[str, Any]:
    """Read and schema-check an Overlay 1.0 document."""
    try:
        overlay = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise OverlayError(f"{path}: cannot read the overlay: {exc}") from exc
    if not isinstance(overlay, dict):
        raise OverlayError(f"{path}: an overlay must be a mapping, got {type(overlay).__name__}")
    errors = sorted(
        Draft202012Validator(load_schema("overlay_schema_1.0.0.yml")).iter_errors(overlay),
        key=lambda e: list(e.path),
    )
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.path) or "(root)"
        actions = overlay.get("actions")
        if first.path and first.path[0] == "actions" and len(first.path) > 1:
            idx = first.path[1]
            if isinstance(actions, list) and isinstance(idx, int) and idx < len(actions):
                raise OverlayError(
                    f"{path}: {_describe(idx, actions[idx])} is malformed: {first.message}"
                )
        raise OverlayError(f"{path}: malformed overlay at {where}: {first.message}")
    for index, action in enumerate(overlay["actions"]):
        if not action.get("description"):
            raise OverlayError(f"{path}: {_describe(index, action)} has no description saying why")
        # Overlay 1.0: an action either updates (merges a value) or removes (remove: true).
        if ("update" in action) == bool(action.get("remove")):
            raise OverlayError(
                f"{path}: {_describe(index, action)} is malformed: "
                "it needs exactly one of `update` or `remove: true`"
            )
        problem = preconditions.validate(action)
        if problem is not None:
            raise OverlayError(
                f"{path}: overlay action #{index + 1} (target {action.get('target')!r}) "
                f"has a malformed precondition: {problem}"
            )
    return overlay


@functools.cache
def _parsed(target: str) -> Any:
    # jsonpath-ng's parser is slow, and the report applies the overlay many times.
    return jsonpath_parse(target)


def apply(
    upstream: dict[str, Any],
    overlay: dict[str, Any],
    *,
    skipped: list[str] | None = None,
    findings: list[preconditions.Finding] | None = None,
) -> dict[str, Any]:
    """Apply the overlay's actions one at a time, each after checking its precondition.

    An action whose target matches nothing is refused; so is one under which upstream
    changed (``PreconditionError``). An action upstream made redundant is skipped. Every
    precondition finding goes to ``findings`` when given. With ``skipped`` (only for
    ``make update-spec``'s change report, never to build the document) nothing is refused:
    an action that matches nothing is left out and described in that list, and one whose
    precondition fails is applied as written (to show what it hides).
    """
    doc = copy.deepcopy(upstream)
    found: list[preconditions.Finding] = []
    for index, action in enumerate(overlay["actions"]):
        try:
            expr = _parsed(action["target"])
        except (JsonPathParserError, Exception) as exc:  # jsonpath-ng raises several types
            raise SpecBuildError(f"{_describe(index, action)}: invalid JSONPath: {exc}") from exc
        matches = expr.find(doc)
        outcome = preconditions.check(index, action, [(str(m.full_path), m.value) for m in matches])
        found.extend(outcome.findings)
        if not matches:
            if outcome.redundant:
                continue
            if skipped is None and not outcome.findings:
                raise SpecBuildError(f"{_describe(index, action)} matches nothing in the document")
            if skipped is not None:
                skipped.append(f"overlay action #{index + 1} (target {action.get('target')!r})")
            continue
        if outcome.redundant:
            continue
        for match, update in zip(matches, outcome.updates or [None] * len(matches), strict=True):
            if update is preconditions.ABSENT:
                continue  # upstream already says all of it there
            # A copy: oas-patch inserts the update's own objects, which later actions (and a
            # later build from the same overlay) would otherwise change in place.
            one = dict(action, update=copy.deepcopy(update)) if update is not None else action
            parent, key = _get_parent_and_key(match, doc)
            _apply_action(expr, parent, key, match, one, doc)
    if findings is not None:
        findings.extend(found)
    if skipped is None and any(f.breaking for f in found):
        raise PreconditionError(found)
    return doc


def apply_lenient(
    upstream: dict[str, Any],
    overlay: dict[str, Any],
    findings: list[preconditions.Finding] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """The overlay applied without the actions that match nothing, and those actions."""
    skipped: list[str] = []
    return apply(upstream, overlay, skipped=skipped, findings=findings), skipped


def validate(doc: dict[str, Any]) -> None:
    """Validate as OpenAPI 3.1 and check the pieces the project relies on are present."""
    try:
        validate_openapi(doc)
    except OpenAPIValidationError as exc:
        raise SpecBuildError(
            f"the effective document is not valid OpenAPI 3.1: {exc.message}"
        ) from exc
    except Exception as exc:  # an unresolvable $ref surfaces as a referencing error
        raise SpecBuildError(f"the effective document is not valid OpenAPI 3.1: {exc!r}") from exc
    if doc.get("openapi", "").split(".")[:2] != ["3", "1"]:
        raise SpecBuildError(f"expected an OpenAPI 3.1 document, got {doc.get('openapi')!r}")


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_atomically(path: Path, text: str) -> None:
    write_atomically_bytes(path, text.encode("utf-8"))


def write_atomically_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one rename: readers see the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build(
    upstream_path: Path, overlay_path: Path, notes: list[str] | None = None
) -> dict[str, Any]:
    """The effective document; ``notes`` gets the non-breaking precondition findings."""
    try:
        upstream = json.loads(upstream_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SpecBuildError(f"{upstream_path}: cannot read the upstream document: {exc}") from exc
    findings: list[preconditions.Finding] = []
    doc = apply(upstream, load_overlay(overlay_path), findings=findings)
    validate(doc)
    if notes is not None:
        notes.extend(f.line() for f in findings)
    return doc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--upstream", type=Path, default=ROOT / "openapi/upstream/count-history.json"
    )
    parser.add_argument("--overlay", type=Path, default=ROOT / "openapi/overlay.yaml")
    parser.add_argument("--output", type=Path, default=ROOT / "openapi/segments.json")
    args = parser.parse_args(argv)
    notes: list[str] = []
    try:
        doc = build(args.upstream, args.overlay, notes)
    except SpecBuildError as exc:
        print(f"make spec: error: {exc}", file=sys.stderr)
        print(f"make spec: {args.output} was left untouched", file=sys.stderr)
        return 1
    for note in notes:
        print(f"make spec: note: {note}", file=sys.stderr)
    write_atomically(args.output, render(doc))
    print(f"wrote {args.output} ({len(doc['paths'])} paths)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
