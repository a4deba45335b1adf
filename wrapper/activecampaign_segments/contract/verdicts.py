"""The two verdicts of a contract run, and what a run observed beyond pass/fail.

A **failure** is anything that would break or mislead a client built on the document: response
schema, documented statuses and content types for valid requests, authentication, server errors
and every semantic rule the pager relies on. Schemathesis itself reports those.

A **finding** is the server being more lenient than the document on invalid input (a
schema-violating request answered 2xx, an undocumented 4xx for an invalid request, an
undocumented method not refused with 405) or an answer carrying what the document does not
describe (drift). No client breaks on a finding, so it is listed in the summary and the JUnit
report and leaves the exit status alone, unless the run is strict.

`Observations` collects both kinds during a run (thread-safe: checks run in worker threads); the
Schemathesis process writes them to a JSON file the runner reads back.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

__all__ = [
    "DriftItem",
    "Finding",
    "Observations",
    "add_audit_to_junit",
    "add_to_junit",
    "write_drift",
]


@dataclass
class Finding:
    """Leniency on invalid input, counted per check, operation and status."""

    check: str
    operation: str
    status: int
    summary: str
    example: str
    count: int = 1

    def line(self) -> str:
        """One line for the run's summary."""
        times = "once" if self.count == 1 else f"{self.count} times"
        return (
            f"{self.check}: {self.operation} answered {self.status} to an invalid request "
            f"({self.summary}), {times}; e.g. {self.example}"
        )


@dataclass
class DriftItem:
    """Something answers carry that the document does not describe."""

    operation: str
    status: int
    kind: str
    name: str
    seen: int
    answers: int

    def line(self) -> str:
        """One line for the run's summary."""
        what = f"status {self.name}" if self.kind == "status" else f"`{self.name}`"
        if self.kind == "header":
            what = f"header `{self.name}`"
        return (
            f"{what}: in {self.seen} of {self.answers} answers (HTTP {self.status}) of "
            f"{self.operation}, not in the document"
        )


class Observations:
    """Findings and drift seen during one run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._findings: dict[tuple[str, str, int, str], Finding] = {}
        self._answers: Counter[tuple[str, int]] = Counter()
        self._drift: Counter[tuple[str, int, str, str]] = Counter()

    def clear(self) -> None:
        """Forget everything (between in-process runs)."""
        with self._lock:
            self._findings.clear()
            self._answers.clear()
            self._drift.clear()

    def add_finding(
        self, check: str, operation: str, status: int, summary: str, example: str
    ) -> None:
        """Count one lenient answer to an invalid request."""
        key = (check, operation, status, summary)
        with self._lock:
            found = self._findings.get(key)
            if found is None:
                self._findings[key] = Finding(check, operation, status, summary, example)
            else:
                found.count += 1

    def add_answer(self, operation: str, status: int, items: list[tuple[str, str]]) -> None:
        """Count one answer and what it carried that the document does not describe."""
        with self._lock:
            self._answers[operation, status] += 1
            for kind, name in items:
                self._drift[operation, status, kind, name] += 1

    @property
    def findings(self) -> list[Finding]:
        """Every finding, most frequent first."""
        with self._lock:
            found = list(self._findings.values())
        return sorted(found, key=lambda f: (-f.count, f.check, f.operation, f.status))

    @property
    def drift(self) -> list[DriftItem]:
        """Every drift item, by operation, status, kind and name."""
        with self._lock:
            return [
                DriftItem(operation, status, kind, name, seen, self._answers[operation, status])
                for (operation, status, kind, name), seen in sorted(self._drift.items())
            ]

    def to_json(self) -> str:
        """The observations as JSON (for the runner, across the process boundary)."""
        return json.dumps(
            {
                "findings": [asdict(f) for f in self.findings],
                "drift": [asdict(d) for d in self.drift],
            }
        )

    @staticmethod
    def from_json(text: str) -> tuple[list[Finding], list[DriftItem]]:
        """The findings and drift items of `to_json`'s output."""
        raw = json.loads(text)
        return (
            [Finding(**item) for item in raw["findings"]],
            [DriftItem(**item) for item in raw["drift"]],
        )


def write_drift(path: Path, drift: list[DriftItem]) -> None:
    """Write ``reports/drift.json``: every drift item (an empty list when there is none)."""
    body: dict[str, Any] = {"items": [asdict(item) for item in drift]}
    path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")


def _junit_root(
    path: Path,
) -> tuple[ElementTree.ElementTree[ElementTree.Element], ElementTree.Element]:
    """The report at ``path`` (a new one when it is missing or unreadable) and its root."""
    try:
        tree = ElementTree.parse(path)  # noqa: S314 - the report Schemathesis just wrote
        root = tree.getroot()
    except (OSError, ElementTree.ParseError):
        root = ElementTree.Element("testsuites")
        tree = ElementTree.ElementTree(root)
    if root.tag != "testsuites":
        wrapper = ElementTree.Element("testsuites")
        wrapper.append(root)
        root, tree = wrapper, ElementTree.ElementTree(wrapper)
    return tree, root


def add_audit_to_junit(
    path: Path, violations: list[tuple[str, str]], notes: list[str], strict: bool
) -> None:
    """Add a ``contract audit`` test suite: one failing case per violation, one per note.

    Args:
        path: the JUnit report.
        violations: (rule, line) of each broken rule: ``<failure>``.
        notes: the audit's findings (an incomplete audit): ``<skipped>``, or ``<failure>``
            when ``strict``.
        strict: findings fail.
    """
    tree, root = _junit_root(path)
    failures = len(violations) + (len(notes) if strict else 0)
    suite = ElementTree.SubElement(
        root,
        "testsuite",
        name="contract audit",
        tests=str(max(1, len(violations) + len(notes))),
        failures=str(failures),
        skipped=str(0 if strict else len(notes)),
        errors="0",
    )
    if not violations and not notes:
        ElementTree.SubElement(suite, "testcase", name="audit across answers", classname="audit")
    for rule, line in violations:
        case = ElementTree.SubElement(suite, "testcase", name=rule, classname="audit")
        ElementTree.SubElement(case, "failure", type="audit", message=line).text = line
    for note in notes:
        case = ElementTree.SubElement(suite, "testcase", name="audit finding", classname="audit")
        tag = "failure" if strict else "skipped"
        ElementTree.SubElement(case, tag, type="finding", message=note).text = note
    tree.write(path, encoding="utf-8", xml_declaration=True)


def add_to_junit(path: Path, findings: list[Finding], drift: list[DriftItem], strict: bool) -> None:
    """Add a ``contract findings`` test suite to Schemathesis's JUnit report at ``path``.

    One test case per finding and drift item: ``<skipped>`` (visible in CI dashboards, not a
    failure), or ``<failure>`` in a strict run. A missing or unreadable report gets a new one.
    """
    tree, root = _junit_root(path)
    cases = [(f.check, f.operation, f.line()) for f in findings]
    cases += [(f"drift: {d.kind}", d.operation, d.line()) for d in drift]
    suite = ElementTree.SubElement(
        root,
        "testsuite",
        name="contract findings",
        tests=str(len(cases)),
        failures=str(len(cases) if strict else 0),
        skipped=str(0 if strict else len(cases)),
        errors="0",
    )
    for name, operation, line in cases:
        case = ElementTree.SubElement(suite, "testcase", name=name, classname=operation)
        tag = "failure" if strict else "skipped"
        ElementTree.SubElement(case, tag, type="finding", message=line).text = line
    tree.write(path, encoding="utf-8", xml_declaration=True)
