"""The checked-in documents: upstream is pinned by its digest, the effective one is complete."""

from __future__ import annotations

import hashlib
import json
import sys

from openapi_spec_validator import validate

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import update_spec

UPSTREAM = ROOT / "openapi/upstream/count-history.json"
DIGEST = ROOT / "openapi/upstream/count-history.json.sha256"
EFFECTIVE = ROOT / "openapi/segments.json"


def test_upstream_matches_its_pinned_digest() -> None:
    # `make update-spec` writes both; a hand edit of either fails here. The digest file is in
    # `sha256sum -c` format, of the file's bytes.
    assert update_spec.pin_problems(ROOT) == []
    expected = hashlib.sha256(UPSTREAM.read_bytes()).hexdigest()
    assert DIGEST.read_text() == f"{expected}  count-history.json\n"


def test_no_test_reads_beside_the_clone() -> None:
    # The digest file is the pin of the upstream document: vendors edit a document without
    # bumping info.version, so no test compares it with a captured copy of "its version", and
    # nothing outside the clone (a `../shared/` folder, say) may decide a test's outcome.
    outside = '"..", "shared"', 'parent / "shared"', "../shared"
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if path.name != "test_effective_spec.py"
        and any(needle in path.read_text(encoding="utf-8") for needle in outside)
    ]
    assert offenders == []


def test_effective_spec_validates_as_openapi_31() -> None:
    doc = json.loads(EFFECTIVE.read_text(encoding="utf-8"))
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_effective_spec_has_the_three_operations_the_wrapper_calls() -> None:
    doc = json.loads(EFFECTIVE.read_text(encoding="utf-8"))
    operations = {
        op["operationId"]: path for path, item in doc["paths"].items() for op in item.values()
    }
    # At least these: an operation ActiveCampaign adds goes through `make update-spec`.
    assert (
        operations.items()
        >= {
            "get_count_history_by_segment_id": "/api/3/segmentsV2/{segmentId}/count-history",
            "get_count_history_with_timestamp": (
                "/api/3/segmentsV2/{segmentId}/count-history/{timestamp}"
            ),
            "get_recent_count_history": "/api/3/segmentsV2/count-history",
        }.items()
    )
    paging = doc["paths"]["/api/3/segmentsV2/{segmentId}/count-history/{timestamp}"]["get"]
    timestamp = next(p for p in paging["parameters"] if p["name"] == "timestamp")
    assert timestamp["in"] == "path" and timestamp["schema"]["type"] == "integer"
    batch = doc["paths"]["/api/3/segmentsV2/count-history"]["get"]
    ids = next(p for p in batch["parameters"] if p["name"] == "segmentIds")
    assert (ids["in"], ids["required"]) == ("query", True)


def test_effective_spec_defines_the_security_scheme_it_requires() -> None:
    doc = json.loads(EFFECTIVE.read_text(encoding="utf-8"))
    assert doc["security"] == [{"Api_Key": []}]
    assert doc["components"]["securitySchemes"]["Api_Key"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Api-Token",
        "description": doc["components"]["securitySchemes"]["Api_Key"]["description"],
    }
    for item in doc["paths"].values():
        assert item["get"]["security"] == [{"Api_Key": []}]


def test_every_operation_documents_429_with_retry_after() -> None:
    doc = json.loads(EFFECTIVE.read_text(encoding="utf-8"))
    for item in doc["paths"].values():
        ref = item["get"]["responses"]["429"]["$ref"]
        name = ref.rsplit("/", 1)[-1]
        response = doc["components"]["responses"][name]
        assert "Retry-After" in response["headers"]


def test_overlay_changes_the_upstream_document() -> None:
    assert json.loads(UPSTREAM.read_text()) != json.loads(EFFECTIVE.read_text())
