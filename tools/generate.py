"""Regenerate the client from the effective document, or check that it is current.

    python tools/generate.py            # make generate: spec, then the client
    python tools/generate.py --check    # make check-generated: fail with a diff if stale

The client is always generated into a fresh temporary folder, with warnings treated as
errors (a spec change must never silently drop an endpoint), and then either swapped in
whole for ``generated/activecampaign_segments_api`` or compared with it file by file.
``--check`` rebuilds ``openapi/segments.json`` in a temporary folder too, so it detects a
stale effective document as well as a stale or hand-edited client, and writes nothing.
"""

from __future__ import annotations

import argparse
import difflib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_spec

PACKAGE = "activecampaign_segments_api"


def generate_client(root: Path, spec: Path, out: Path) -> None:
    """Run the pinned generator on ``spec`` into the not-yet-existing folder ``out``."""
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    cmd = [
        str(bin_dir / "openapi-python-client"),
        "generate",
        "--meta",
        "none",
        "--fail-on-warning",
        "--path",
        str(spec),
        "--config",
        str(root / "openapi/generator.yaml"),
        "--output-path",
        str(out),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    # The generator reports problems (an unsupported schema, a skipped endpoint) as
    # warnings and, with --fail-on-warning, a non-zero exit. A post-hook it cannot run
    # ("ruff is not in PATH ... Skipping Integration") only prints, so any output but
    # the "Generating <path>" line counts as a failure too.
    chatter = [
        line
        for line in (proc.stdout + proc.stderr).splitlines()
        if line.strip() and not line.startswith("Generating ")
    ]
    if proc.returncode != 0 or chatter:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"make generate: openapi-python-client failed (exit {proc.returncode})")


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path, caches aside."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and ".ruff_cache" not in p.parts
    }


def text_diff(old: bytes, new: bytes, old_name: str, new_name: str) -> str:
    lines = difflib.unified_diff(
        old.decode("utf-8", "replace").splitlines(keepends=True),
        new.decode("utf-8", "replace").splitlines(keepends=True),
        old_name,
        new_name,
    )
    return "".join(lines)


def check(root: Path) -> int:
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="check-generated-") as tmp:
        fresh_spec = Path(tmp) / "segments.json"
        if build_spec.main(["--output", str(fresh_spec), *_spec_args(root)]) != 0:
            return 1
        committed_spec = root / "openapi/segments.json"
        old = committed_spec.read_bytes() if committed_spec.exists() else b""
        if old != fresh_spec.read_bytes():
            problems.append(
                text_diff(
                    old,
                    fresh_spec.read_bytes(),
                    "openapi/segments.json (committed)",
                    "openapi/segments.json (from upstream + overlay)",
                )
            )
        out = Path(tmp) / PACKAGE
        generate_client(root, fresh_spec, out)
        committed = tree(root / "generated" / PACKAGE)
        fresh = tree(out)
        for name in sorted(committed.keys() | fresh.keys()):
            a, b = committed.get(name), fresh.get(name)
            if a == b:
                continue
            label = f"generated/{PACKAGE}/{name}"
            if a is None:
                problems.append(f"missing from the committed client: {label}\n")
            elif b is None:
                problems.append(f"not produced by the generator (extra or stale file): {label}\n")
            else:
                problems.append(text_diff(a, b, f"{label} (committed)", f"{label} (regenerated)"))
    if problems:
        sys.stdout.write("".join(problems))
        print(
            "\ncheck-generated: the committed spec or client differs from what upstream + "
            "overlay + generator config produce. Run `make generate` and commit the result "
            "(never edit generated/ by hand: fix openapi/overlay.yaml or openapi/generator.yaml).",
            file=sys.stderr,
        )
        return 1
    print("check-generated: openapi/segments.json and generated/ are current")
    return 0


def _spec_args(root: Path) -> list[str]:
    return [
        "--upstream",
        str(root / "openapi/upstream/count-history.json"),
        "--overlay",
        str(root / "openapi/overlay.yaml"),
    ]


def generate(root: Path) -> int:
    spec = root / "openapi/segments.json"
    if build_spec.main(["--output", str(spec), *_spec_args(root)]) != 0:
        return 1
    target = root / "generated" / PACKAGE
    target.parent.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".generate-", dir=target.parent) as tmp:
        out = Path(tmp) / PACKAGE
        generate_client(root, spec, out)
        # Swap in the new tree whole, so files the generator no longer writes disappear.
        old = Path(tmp) / "previous"
        if target.exists():
            target.rename(old)
        out.rename(target)
    print(f"generated {target.relative_to(root)} from {spec.relative_to(root)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--root", type=Path, default=build_spec.ROOT, help="project folder")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    return check(root) if args.check else generate(root)


if __name__ == "__main__":
    sys.exit(main())
