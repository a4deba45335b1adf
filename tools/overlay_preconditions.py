"""Overlay preconditions: what each overlay action expects upstream to say where it writes.

An overlay action that rewrites upstream content would otherwise win silently over any
change ActiveCampaign makes there (upstream ``result_count`` turning into a ``string`` would
still come out as an ``integer``). So every action states what it expects to find, and the
expectation is checked against the document as it stands just before the action, every time
the overlay is applied (``make spec``, ``make update-spec``):

- ``x-expects`` on an ``update`` action: a mapping from a path below the target (keys joined
  by ``/``, JSON-Pointer escaped: ``~1`` for ``/``, ``~0`` for ``~``) to the value upstream
  has there today, for every value the action *replaces*. Each path must be one the update
  sets. Everything else the update sets must be absent upstream: an action that only adds
  needs no ``x-expects`` (the OpenAPI links another branch appends are such actions).
- ``x-expects`` on a ``remove`` action (required there): the value expected at the target.

The document stays a standard Overlay 1.0 (``x-`` extensions are allowed on actions, and
oas-patch ignores them). Outcomes, per action:

- ``changed`` / ``overwrites`` / ``missing`` (breaking): upstream now says something else
  where the action writes (``result_count.type: expected `number`, found `string```), says
  something where the action expected nothing, or the target is gone;
- ``redundant`` (non-breaking): upstream now says exactly what the action sets, so the action
  changes nothing; it is skipped, and the line says to delete it;
- ``adopted`` (non-breaking): upstream adopted part of the fix; the rest still applies.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

EXTENSION: Final = "x-expects"
BREAKING_KINDS: Final = frozenset({"changed", "overwrites", "missing"})


class _Absent:
    """Nothing there (``None`` is a value a document may hold); one instance, kept by copies."""

    def __repr__(self) -> str:
        return "(absent)"

    def __copy__(self) -> _Absent:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Absent:
        return self


ABSENT: Final = _Absent()


class MalformedPrecondition(ValueError):
    """An action's ``x-expects`` cannot be used; the message names the action and why."""


@dataclass(frozen=True)
class Finding:
    """One precondition outcome worth reporting (an expected replacement is not one)."""

    action: int  # 1-based, as the error messages number actions
    target: str
    kind: str  # changed | overwrites | missing | redundant | adopted
    field: str
    expected: Any
    found: Any

    @property
    def breaking(self) -> bool:
        """Whether the update must stop (upstream changed under the action)."""
        return self.kind in BREAKING_KINDS

    @property
    def label(self) -> str:
        """``overlay action #N (target '...')``: how the report names the action."""
        return f"overlay action #{self.action} (target {self.target!r})"

    def line(self) -> str:
        """The report line, one sentence."""
        if self.kind == "redundant":
            return (
                f"{self.label} is now redundant: upstream already says what it sets at "
                f"{self.field}; delete it from openapi/overlay.yaml"
            )
        if self.kind == "adopted":
            return (
                f"{self.label}: upstream adopted part of the fix: {self.field} is now "
                f"{show(self.found)}; the action still sets the rest (trim it to what upstream "
                "lacks)"
            )
        if self.kind == "missing":
            return (
                f"{self.label}: {self.field}: expected {show(self.expected)}, found nothing "
                "(the target matches nothing)"
            )
        found = f"found {show(self.found)}"
        if self.kind == "overwrites":
            found += f" (the action would replace it, and declares no {EXTENSION} for it)"
        return f"{self.label}: {self.field}: expected {show(self.expected)}, {found}"


def show(value: Any) -> str:
    """A value as the report quotes it: a string bare, anything else as JSON, in backticks."""
    if value is ABSENT:
        return "nothing"
    text = value if isinstance(value, str) else json.dumps(value, separators=(", ", ": "))
    return f"`{text}`"


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _split(pointer: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")]


def validate(action: Mapping[str, Any]) -> str | None:
    """Why the action's precondition is malformed, or ``None`` when it is usable."""
    for key in action:
        if key.startswith("x-expect") and key != EXTENSION:
            return f"unknown extension {key!r} (the precondition is spelled {EXTENSION!r})"
    expects = action.get(EXTENSION, ABSENT)
    if action.get("remove"):
        if expects is ABSENT:
            return f"a remove action must say what it removes ({EXTENSION}: the value expected)"
        return None
    if expects is ABSENT:
        return None
    update = action.get("update")
    if not isinstance(expects, Mapping) or not expects:
        return f"{EXTENSION} must be a non-empty mapping of paths below the target to values"
    if not isinstance(update, Mapping):
        return f"{EXTENSION} needs an update that is a mapping"
    for pointer in expects:
        if not isinstance(pointer, str) or not pointer:
            return f"{EXTENSION} key {pointer!r} is not a path below the target"
        node: Any = update
        for part in _split(pointer):
            if not isinstance(node, Mapping) or part not in node:
                return f"{EXTENSION} names {pointer!r}, which the update does not set"
            node = node[part]
    return None


class _Walk:
    """The comparison of one update with the node it lands on."""

    def __init__(self, expects: Mapping[str, Any], where: str) -> None:
        self.expects = expects
        self.where = where
        self.adds = 0  # values the action still changes
        self.adopted: list[tuple[str, Any]] = []
        self.problems: list[tuple[str, str, Any, Any]] = []  # kind, field, expected, found

    def field(self, rel: tuple[str, ...]) -> str:
        return ".".join((self.where, *rel)) if rel else self.where

    def run(self, value: Any, found: Any, rel: tuple[str, ...]) -> Any:
        """The part of ``value`` still to apply over ``found`` (``ABSENT``: nothing)."""
        pointer = "/".join(_escape(p) for p in rel)
        if rel and pointer in self.expects:
            expected = self.expects[pointer]
            if found is not ABSENT and found == value:
                self.adopted.append((self.field(rel), found))
                return ABSENT
            if found is ABSENT or found != expected:
                self.problems.append(("changed", self.field(rel), expected, found))
            self.adds += 1
            return value
        if found is ABSENT:
            prefix = f"{pointer}/" if rel else ""
            for declared, expected in self.expects.items():
                if declared.startswith(prefix):
                    field = self.field(tuple(_split(declared)))
                    self.problems.append(("changed", field, expected, ABSENT))
            self.adds += 1
            return value
        if isinstance(value, Mapping) and isinstance(found, Mapping) and "$ref" not in value:
            rest = {}
            for key, sub in value.items():
                left = self.run(sub, found.get(key, ABSENT), (*rel, str(key)))
                if left is not ABSENT:
                    rest[key] = left
            return rest or ABSENT
        if isinstance(value, list) and isinstance(found, list):
            new = [item for item in value if item not in found]
            if len(new) < len(value):
                self.adopted.append((self.field(rel), [i for i in value if i in found]))
            if new:
                self.adds += 1
            return new or ABSENT
        if found == value:
            self.adopted.append((self.field(rel), found))
            return ABSENT
        self.problems.append(("overwrites", self.field(rel), ABSENT, found))
        self.adds += 1
        return value


@dataclass
class Outcome:
    """What one action does to the document as it stands: findings, and what to apply."""

    findings: list[Finding]
    # Per match (same order as the matches): the update still to apply there, ``ABSENT`` when
    # upstream already says it all. ``None`` for a remove action.
    updates: list[Any] | None

    @property
    def redundant(self) -> bool:
        """The action would change nothing: skip it."""
        return any(f.kind == "redundant" for f in self.findings)


def check(index: int, action: Mapping[str, Any], matches: list[tuple[str, Any]]) -> Outcome:
    """The precondition of ``action`` (number ``index``, 0-based) over its matches.

    ``matches`` are (location, value) pairs of the target in the document as it stands just
    before the action.
    """
    target = str(action.get("target"))
    number = index + 1
    expects = action.get(EXTENSION, ABSENT)

    def finding(kind: str, field: str, expected: Any, found: Any) -> Finding:
        # Copies: the document goes on changing under later actions.
        return Finding(number, target, kind, field, copy.deepcopy(expected), copy.deepcopy(found))

    if action.get("remove"):
        if not matches:
            return Outcome([finding("redundant", target, expects, ABSENT)], None)
        problems = [
            finding("changed", where, expects, value)
            for where, value in matches
            if value != expects
        ]
        return Outcome(problems, None)
    update = action.get("update")
    declared: Mapping[str, Any] = expects if isinstance(expects, Mapping) else {}
    if not matches:
        if declared:
            pointer, expected = next(iter(declared.items()))
            field = ".".join((target.removeprefix("$."), *_split(pointer)))
            return Outcome([finding("missing", field, expected, ABSENT)], [])
        return Outcome([], [])
    findings: list[Finding] = []
    updates: list[Any] = []
    adds = 0
    adopted: list[tuple[str, Any]] = []
    for where, value in matches:
        walk = _Walk(declared, where)
        updates.append(walk.run(update, value, ()))
        findings.extend(finding(kind, f, exp, got) for kind, f, exp, got in walk.problems)
        adds += walk.adds
        adopted.extend(walk.adopted)
    if adopted and not adds:
        return Outcome([finding("redundant", adopted[0][0], ABSENT, adopted[0][1])], updates)
    findings.extend(finding("adopted", field, ABSENT, found) for field, found in adopted)
    return Outcome(findings, updates)
