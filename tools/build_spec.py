"""Build the effective OpenAPI document: the upstream document with our overlay applied.

    python tools/build_spec.py [--upstream PATH] [--overlay PATH] [--output PATH]

The overlay is an OpenAPI Overlay 1.0 document applied with ``oas-patch``. Before
applying, every action's target is checked to match something in the document as it
stands at that step: oas-patch silently skips a target that matches nothing, and a
typo there would quietly drop one of our fixes. The result is validated as OpenAPI 3.1
and written atomically, so on any error the previous output file is left untouched.
"""

from __future__ import annotations

import argparse
import copy
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
from oas_patch import apply_overlay
from oas_patch.validator import load_schema
from openapi_spec_validator import validate as validate_openapi
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

ROOT = Path(__file__).resolve().parent.parent


class SpecBuildError(Exception):
    """The overlay or the result is unusable; the message says which action and why."""


def _describe(index: int, action: dict[str, Any]) -> str:
    what = action.get("description") or "(no description)"
    return f"overlay action #{index + 1} (target {action.get('target')!r}: {what.strip()})"


def load_overlay(path: Path) -> dict[str, Any]:
    """Read and schema-check an Overlay 1.0 document."""
    try:
        overlay = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SpecBuildError(f"{path}: cannot read the overlay: {exc}") from exc
    if not isinstance(overlay, dict):
        raise SpecBuildError(f"{path}: an overlay must be a mapping, got {type(overlay).__name__}")
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
                raise SpecBuildError(
                    f"{path}: {_describe(idx, actions[idx])} is malformed: {first.message}"
                )
        raise SpecBuildError(f"{path}: malformed overlay at {where}: {first.message}")
    for index, action in enumerate(overlay["actions"]):
        if not action.get("description"):
            raise SpecBuildError(
                f"{path}: {_describe(index, action)} has no description saying why"
            )
        # Overlay 1.0: an action either updates (merges a value) or removes (remove: true).
        if ("update" in action) == bool(action.get("remove")):
            raise SpecBuildError(
                f"{path}: {_describe(index, action)} is malformed: "
                "it needs exactly one of `update` or `remove: true`"
            )
    return overlay


def apply(
    upstream: dict[str, Any], overlay: dict[str, Any], *, skipped: list[str] | None = None
) -> dict[str, Any]:
    """Apply the overlay's actions one at a time, refusing any that matches nothing.

    With ``skipped`` (only for ``make update-spec``'s change report, never to build the
    document) such an action is left out and described in that list instead.
    """
    doc = copy.deepcopy(upstream)
    for index, action in enumerate(overlay["actions"]):
        try:
            expr = jsonpath_parse(action["target"])
        except (JsonPathParserError, Exception) as exc:  # jsonpath-ng raises several types
            raise SpecBuildError(f"{_describe(index, action)}: invalid JSONPath: {exc}") from exc
        if not expr.find(doc):
            if skipped is None:
                raise SpecBuildError(f"{_describe(index, action)} matches nothing in the document")
            skipped.append(f"overlay action #{index + 1} (target {action.get('target')!r})")
            continue
        doc = apply_overlay(doc, {"actions": [action]})
    return doc


def apply_lenient(
    upstream: dict[str, Any], overlay: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The overlay applied without the actions that match nothing, and those actions."""
    skipped: list[str] = []
    return apply(upstream, overlay, skipped=skipped), skipped


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


def build(upstream_path: Path, overlay_path: Path) -> dict[str, Any]:
    try:
        upstream = json.loads(upstream_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SpecBuildError(f"{upstream_path}: cannot read the upstream document: {exc}") from exc
    doc = apply(upstream, load_overlay(overlay_path))
    validate(doc)
    return doc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--upstream", type=Path, default=ROOT / "openapi/upstream/count-history.json"
    )
    parser.add_argument("--overlay", type=Path, default=ROOT / "openapi/overlay.yaml")
    parser.add_argument("--output", type=Path, default=ROOT / "openapi/segments.json")
    args = parser.parse_args(argv)
    try:
        doc = build(args.upstream, args.overlay)
    except SpecBuildError as exc:
        print(f"make spec: error: {exc}", file=sys.stderr)
        print(f"make spec: {args.output} was left untouched", file=sys.stderr)
        return 1
    write_atomically(args.output, render(doc))
    print(f"wrote {args.output} ({len(doc['paths'])} paths)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
