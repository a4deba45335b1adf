"""Failures vs findings: how findings are counted, printed and added to the JUnit report."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from activecampaign_segments.contract.verdicts import DriftItem, Observations, add_to_junit

SCHEMATHESIS_REPORT = """<?xml version='1.0' encoding='utf-8'?>
<testsuites errors="0" failures="0" skipped="0" tests="1">
  <testsuite name="schemathesis" errors="0" failures="0" skipped="0" tests="1">
    <testcase name="GET /api/3/segmentsV2/count-history" />
  </testsuite>
</testsuites>
"""


def _observed() -> Observations:
    seen = Observations()
    for _ in range(3):
        seen.add_finding(
            "negative_data_rejection",
            "get_count_history_with_timestamp",
            200,
            "Schema-violating request accepted",
            "GET /api/3/segmentsV2/0/count-history/9223372036854775808 -> 200",
        )
    seen.add_answer("get_recent_count_history", 200, [("header", "x-new")])
    seen.add_answer("get_recent_count_history", 200, [])
    return seen


def test_findings_are_counted_and_read_back() -> None:
    findings, drift = Observations.from_json(_observed().to_json())
    (finding,) = findings
    assert finding.count == 3
    assert finding.line() == (
        "negative_data_rejection: get_count_history_with_timestamp answered 200 to an invalid "
        "request (Schema-violating request accepted), 3 times; e.g. "
        "GET /api/3/segmentsV2/0/count-history/9223372036854775808 -> 200"
    )
    assert drift == [DriftItem("get_recent_count_history", 200, "header", "x-new", 1, 2)]
    assert drift[0].line() == (
        "header `x-new`: in 1 of 2 answers (HTTP 200) of get_recent_count_history, "
        "not in the document"
    )


def _findings_suite(path: Path) -> ElementTree.Element:
    root = ElementTree.parse(path).getroot()
    assert root.find("testsuite[@name='schemathesis']") is not None  # Schemathesis's cases kept
    suite = root.find("testsuite[@name='contract findings']")
    assert suite is not None
    return suite


def test_junit_lists_findings_as_skipped_cases(tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    report.write_text(SCHEMATHESIS_REPORT, encoding="utf-8")
    findings, drift = Observations.from_json(_observed().to_json())
    add_to_junit(report, findings, drift, strict=False)
    suite = _findings_suite(report)
    assert (
        suite.get("tests") == "2" and suite.get("skipped") == "2" and suite.get("failures") == "0"
    )
    names = [case.get("name") for case in suite.iter("testcase")]
    assert names == ["negative_data_rejection", "drift: header"]
    assert all(case.find("skipped") is not None for case in suite.iter("testcase"))


def test_strict_junit_lists_findings_as_failures(tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    report.write_text(SCHEMATHESIS_REPORT, encoding="utf-8")
    findings, drift = Observations.from_json(_observed().to_json())
    add_to_junit(report, findings, drift, strict=True)
    suite = _findings_suite(report)
    assert suite.get("failures") == "2"
    assert all(case.find("failure") is not None for case in suite.iter("testcase"))
