"""The parts of ``make update-spec``'s report that look at upstream itself.

- The overlay preconditions (``overlay_preconditions``): what changed under an action, and
  which actions upstream made redundant.
- The upstream document diffed against the previous upstream document, every change the
  overlay hides from the effective document marked ``masked by overlay action #N``: the
  change is in upstream's diff but not in the effective document's, and leaving that one
  action out (on both sides) makes it show there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import build_spec
import overlay_preconditions as preconditions
import spec_changes

Key = tuple[str, str, str]


def _key(change: spec_changes.Change) -> Key:
    return change.operation, change.where, change.what


def _without(overlay: dict[str, Any], index: int) -> dict[str, Any]:
    return {**overlay, "actions": [a for i, a in enumerate(overlay["actions"]) if i != index]}


def _built(upstream: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return build_spec.apply_lenient(upstream, overlay)[0]
    except build_spec.SpecBuildError:
        return None


def masking(
    old_upstream: dict[str, Any],
    new_upstream: dict[str, Any],
    overlay: dict[str, Any],
    upstream_changes: Sequence[spec_changes.Change],
    effective_changes: Sequence[spec_changes.Change],
) -> dict[Key, int]:
    """Upstream changes the overlay hides, by the (1-based) action that hides each."""
    visible = {_key(c) for c in effective_changes}
    hidden = {_key(c) for c in upstream_changes} - visible
    masked: dict[Key, int] = {}
    for index in range(len(overlay["actions"])):
        if not hidden:
            break
        reduced = _without(overlay, index)
        old, new = _built(old_upstream, reduced), _built(new_upstream, reduced)
        if old is None or new is None:
            continue
        shown = {_key(c) for c in spec_changes.compare(old, new)} & hidden
        for key in shown:
            masked[key] = index + 1
        hidden -= shown
    return masked


def upstream_section(
    old_upstream: dict[str, Any],
    new_upstream: dict[str, Any],
    overlay: dict[str, Any] | None,
    effective_changes: Sequence[spec_changes.Change],
) -> str:
    """The upstream-vs-upstream table, hidden changes marked with the action that hides them."""
    changes = spec_changes.compare(old_upstream, new_upstream)
    masked = (
        masking(old_upstream, new_upstream, overlay, changes, effective_changes)
        if overlay is not None
        else {}
    )
    marked = [
        spec_changes.Change(
            c.operation, c.where, f"{c.what} (masked by overlay action #{masked[_key(c)]})", c.rule
        )
        if _key(c) in masked
        else c
        for c in changes
    ]
    return spec_changes.render(marked, title="Changes to the upstream document")


def preconditions_section(findings: Sequence[preconditions.Finding], actions: int) -> str:
    """The precondition outcomes, breaking ones first, one line each."""
    lines = ["## Overlay preconditions", ""]
    if not findings:
        lines.append(f"All {actions} overlay actions find upstream as they expect.")
        return "\n".join(lines) + "\n"
    ordered = sorted(findings, key=lambda f: (not f.breaking, f.action))
    lines.extend(f"- {'breaking' if f.breaking else 'non-breaking'}: {f.line()}" for f in ordered)
    return "\n".join(lines) + "\n"
