"""`make update-spec` refuses bad input with one line and a non-zero exit, touching nothing.

Run in process on a copy of `openapi/` and `generated/`; the URL cases use
`httpx.MockTransport` (no network) or a closed loopback port.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import update_spec

UPSTREAM = ROOT / "openapi/upstream/count-history.json"


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for name in ("openapi", "generated"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _refused(project: Path, spec: str, capsys: pytest.CaptureFixture[str]) -> str:
    before = _files(project)
    assert update_spec.main([spec, "--root", str(project)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("update-spec: "), err
    assert _files(project) == before  # nothing written, not even a report
    return err


def test_a_missing_file(project: Path, tmp_path: Path, capsys) -> None:
    err = _refused(project, str(tmp_path / "nope.json"), capsys)
    assert "nope.json: no such file" in err


def test_a_folder(project: Path, tmp_path: Path, capsys) -> None:
    assert "no such file" in _refused(project, str(tmp_path), capsys)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not: [valid", "neither JSON nor YAML"),
        (b"\x00\xff\xfe", "neither JSON nor YAML"),
        (b"hello: world\n", "not an OpenAPI document"),
        (b'{"swagger": "2.0", "info": {}, "paths": {}}', "not an OpenAPI document"),
        (b'"just a string"', "not an OpenAPI document"),
        (b'{"openapi": "3.1.0", "paths": {}}', "not valid OpenAPI"),
        (b'{"openapi": "3.1.0", "info": {"title": "x", "version": "1"}, "paths": 7}', "not valid"),
    ],
    ids=[
        "broken-yaml",
        "binary",
        "yaml-not-openapi",
        "swagger-2",
        "string",
        "no-info",
        "bad-paths",
    ],
)
def test_not_an_openapi_document(
    project: Path, tmp_path: Path, capsys, content: bytes, message: str
) -> None:
    spec = tmp_path / "doc.json"
    spec.write_bytes(content)
    assert message in _refused(project, str(spec), capsys)


def test_too_big(project: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(update_spec, "MAX_BYTES", 1000)
    assert UPSTREAM.stat().st_size > 1000
    err = _refused(project, str(UPSTREAM), capsys)
    assert "more than the 1000 bytes allowed" in err


def test_http_is_refused(project: Path, capsys) -> None:
    err = _refused(project, "http://example.com/count-history.json", capsys)
    assert "only https:// URLs" in err


def test_an_unreachable_url(project: Path, capsys) -> None:
    # Port 1 on loopback: nothing listens there, the connection is refused at once.
    err = _refused(project, "https://127.0.0.1:1/count-history.json", capsys)
    assert "cannot fetch it" in err


def test_no_spec_given(project: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("SPEC", raising=False)
    assert update_spec.main(["--root", str(project)]) == 2
    assert "usage: make update-spec SPEC=" in capsys.readouterr().err


def test_spec_and_keep_come_from_make_through_the_environment(
    project: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("SPEC", str(tmp_path / "from-env.json"))
    assert update_spec.main(["--root", str(project)]) == 2
    assert "from-env.json: no such file" in capsys.readouterr().err
    for value, keep in [("1", True), ("yes", True), ("", False), ("0", False)]:
        monkeypatch.setenv("KEEP", value)
        assert update_spec.arguments([]).keep is keep
    monkeypatch.setenv("KEEP", "")
    assert update_spec.arguments(["x", "--keep"]).keep is True


def _transport(routes: dict[str, httpx.Response]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        return routes.get(str(request.url), httpx.Response(404))

    return httpx.MockTransport(handler)


def test_fetch_reads_an_https_document() -> None:
    body = UPSTREAM.read_bytes()
    url = "https://developers.example/count-history.json"
    got = update_spec.fetch(url, transport=_transport({url: httpx.Response(200, content=body)}))
    assert got == body


def test_fetch_names_a_bad_status() -> None:
    with pytest.raises(update_spec.BadInput, match="HTTP 404"):
        update_spec.fetch("https://x.example/a.json", transport=_transport({}))


def test_fetch_refuses_a_redirect_to_http() -> None:
    routes = {
        "https://x.example/a.json": httpx.Response(
            302, headers={"Location": "http://x.example/a.json"}
        ),
        "http://x.example/a.json": httpx.Response(200, content=UPSTREAM.read_bytes()),
    }
    with pytest.raises(update_spec.BadInput, match="not https"):
        update_spec.fetch("https://x.example/a.json", transport=_transport(routes))


def test_fetch_caps_the_size_declared_or_streamed(monkeypatch) -> None:
    monkeypatch.setattr(update_spec, "MAX_BYTES", 100)
    url = "https://x.example/a.json"
    declared = httpx.Response(200, content=b"x" * 101)
    with pytest.raises(update_spec.BadInput, match="101 bytes, more than the 100 allowed"):
        update_spec.fetch(url, transport=_transport({url: declared}))

    def chunks():
        yield b"x" * 60
        yield b"x" * 60

    streamed = httpx.Response(200, content=chunks())  # no Content-Length
    with pytest.raises(update_spec.BadInput, match="more than the 100 bytes allowed"):
        update_spec.fetch(url, transport=_transport({url: streamed}))


def test_yaml_reads_as_json_would() -> None:
    doc = json.loads(UPSTREAM.read_bytes())
    doc["info"]["version"] = "2020-01-01"  # YAML would make this a date
    as_yaml = yaml.safe_dump(doc, sort_keys=False).encode()
    assert update_spec.parse_document(as_yaml, "doc.yaml") == doc


def test_a_reference_page_reads_as_the_document_in_its_json_fence() -> None:
    # ActiveCampaign's developer pages hold the document in one ```json fence, after a
    # summary line (our upstream was first taken from such a page), all on one line.
    doc = json.loads(UPSTREAM.read_bytes())
    page = f"# Retrieve counts # OpenAPI definition ```json {json.dumps(doc)} ```".encode()
    assert update_spec.parse_document(page, "page.md") == doc
    multiline = (
        f"# Retrieve counts\n\n# OpenAPI definition\n```json\n{json.dumps(doc, indent=2)}\n```\n"
    )
    assert update_spec.parse_document(multiline.encode(), "page.md") == doc


@pytest.mark.parametrize(
    "page",
    [
        b"# A page about segments, with no document",
        b'# Two documents ```json {"openapi": "3.1.1"} ``` ```json {} ```',
        b'# OpenAPI definition ```json {"openapi": "3.1.1", ``` cut short',
    ],
)
def test_a_page_without_exactly_one_document_is_refused_in_one_line(page: bytes) -> None:
    with pytest.raises(update_spec.BadInput) as raised:
        update_spec.parse_document(page, "page.md")
    assert str(raised.value).startswith("page.md: ") and "\n" not in str(raised.value)


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The fast checks (mypy, pytest in a subprocess) recorded instead of run: this copy holds
    no wrapper or tests, and these cases are about the input (the e2e tests run them for real).
    """
    ran: list[Path] = []

    def record(root: Path, *, type_checked: bool) -> tuple[bool, str]:
        ran.append(root)
        return True, ""

    monkeypatch.setattr(update_spec, "fast_checks", record)
    return ran


def test_the_same_document_changes_nothing(project: Path, capsys, checks: list[Path]) -> None:
    before = _files(project)
    assert update_spec.main([str(UPSTREAM), "--root", str(project)]) == 0
    out = capsys.readouterr().out
    assert "## Changes to the effective document\n\nNo changes." in out
    assert "## Changes to the upstream document\n\nNo changes." in out
    assert "nothing to update" in out
    assert out.splitlines()[-1] == "mergeable: yes" and checks == [project]
    after = _files(project)
    report = after.pop("reports/spec-changes.md").decode()
    assert report.count("No changes.") == 2 and report.endswith("mergeable: yes\n")
    assert after == before


def test_the_same_document_reformatted_is_the_same(
    project: Path, tmp_path: Path, capsys, checks: list[Path]
) -> None:
    spec = tmp_path / "minified.json"
    spec.write_text(json.dumps(json.loads(UPSTREAM.read_bytes()), separators=(",", ":")))
    assert update_spec.main([str(spec), "--root", str(project)]) == 0
    assert "nothing to update" in capsys.readouterr().out


def test_the_fast_checks_decide_the_verdict(
    project: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        update_spec, "fast_checks", lambda root, type_checked: (False, "the fast tests failed: x")
    )
    assert update_spec.main([str(UPSTREAM), "--root", str(project)]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "mergeable: no: the fast tests failed: x"


def test_a_malformed_precondition(project: Path, capsys) -> None:
    overlay = project / "openapi/overlay.yaml"
    doc = yaml.safe_load(overlay.read_text())
    index = next(i for i, a in enumerate(doc["actions"]) if "x-expects" in a)
    doc["actions"][index]["x-expects"] = {"no/such/path": "number"}
    overlay.write_text(yaml.safe_dump(doc, sort_keys=False))
    err = _refused(project, str(UPSTREAM), capsys)
    assert f"overlay action #{index + 1}" in err and "malformed precondition" in err
    assert "'no/such/path', which the update does not set" in err


def test_a_url_that_redirects_to_plain_http(project: Path, capsys) -> None:
    routes = {
        "https://x.example/a.json": httpx.Response(
            301, headers={"Location": "http://x.example/a.json"}
        ),
        "http://x.example/a.json": httpx.Response(200, content=UPSTREAM.read_bytes()),
    }
    before = _files(project)
    status = update_spec.update(
        project, "https://x.example/a.json", keep=False, transport=_transport(routes)
    )
    assert status == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert "redirected to http://x.example/a.json, which is not https://" in err
    assert _files(project) == before


def test_pin_problems_name_a_hand_edit(project: Path) -> None:
    assert update_spec.pin_problems(project) == []
    upstream = project / "openapi/upstream/count-history.json"
    version = json.loads(upstream.read_text())["info"]["version"]
    upstream.write_text(upstream.read_text().replace(f'"{version}"', f'"{version}.1"', 1))
    assert update_spec.pin_problems(project) == [
        "openapi/upstream/count-history.json does not match the digest pinned in "
        "openapi/upstream/count-history.json.sha256"
    ]
    upstream.write_text(json.dumps(json.loads(upstream.read_text())))
    assert "not in the checked-in form" in update_spec.pin_problems(project)[0]
