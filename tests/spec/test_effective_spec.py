"""The checked-in documents: upstream is the published JSON, the effective one is complete."""

from __future__ import annotations

import hashlib
import json
import re

from openapi_spec_validator import validate

from tests.conftest import ROOT

UPSTREAM = ROOT / "openapi/upstream/count-history.json"
EFFECTIVE = ROOT / "openapi/segments.json"
# Where the published document was captured (shared/ beside the clone, as CI lays it).
SEED_DIR = ROOT.parent / "shared" / "seed"
# SHA-256 of the published JSON in canonical form (sorted keys, no whitespace), so the
# check also holds on a clone without shared/. Replace it together with the upstream file.
PUBLISHED_CANONICAL_SHA256 = "189fa12b35d726f16c8268c7a325e4c67c7385e4e960b29fe3bcb0859c017607"


def _canonical(doc: object) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _published_documents() -> list[object]:
    docs = []
    for seed in sorted(SEED_DIR.glob("*.txt")):
        match = re.search(r"```json(.*?)```", seed.read_text(encoding="utf-8"), re.S)
        if match:
            docs.append(json.loads(match.group(1)))
    return docs


def test_upstream_is_the_published_json() -> None:
    upstream = json.loads(UPSTREAM.read_text(encoding="utf-8"))
    digest = hashlib.sha256(_canonical(upstream)).hexdigest()
    assert digest == PUBLISHED_CANONICAL_SHA256
    published = _published_documents()
    for doc in published:  # when shared/seed is beside the clone, compare to the source itself
        assert doc == upstream


def test_effective_spec_validates_as_openapi_31() -> None:
    doc = json.loads(EFFECTIVE.read_text(encoding="utf-8"))
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_effective_spec_has_the_three_operations() -> None:
    doc = json.loads(EFFECTIVE.read_text(encoding="utf-8"))
    operations = {
        op["operationId"]: path for path, item in doc["paths"].items() for op in item.values()
    }
    assert operations == {
        "get_count_history_by_segment_id": "/api/3/segmentsV2/{segmentId}/count-history",
        "get_count_history_with_timestamp": (
            "/api/3/segmentsV2/{segmentId}/count-history/{timestamp}"
        ),
        "get_recent_count_history": "/api/3/segmentsV2/count-history",
    }
    paging = doc["paths"]["/api/3/segmentsV2/{segmentId}/count-history/{timestamp}"]["get"]
    timestamp = next(p for p in paging["parameters"] if p["name"] == "timestamp")
    assert timestamp["in"] == "path" and timestamp["schema"]["type"] == "integer"
    batch = doc["paths"]["/api/3/segmentsV2/count-history"]["get"]
    (ids,) = batch["parameters"]
    assert (ids["name"], ids["in"], ids["required"]) == ("segmentIds", "query", True)


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
