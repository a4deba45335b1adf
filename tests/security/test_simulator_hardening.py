"""The simulator compares tokens in constant time and listens on loopback unless told otherwise.

tests/simulator already spies on ``hmac.compare_digest`` for the request path and checks the
default ``host`` arguments; these checks add what those cannot see: that no other comparison of
a token exists anywhere in the simulator's source, and which address the kernel really bound
for the simulator started the two ways a user starts it.
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import pytest
from activecampaign_simulator.process import SimulatorProcess, simulator_process

from tests.conftest import ROOT

SIMULATOR_SOURCE = ROOT / "simulator" / "activecampaign_simulator"
LOOPBACK_V4 = "0100007F"  # 127.0.0.1 as /proc/net/tcp writes it (little-endian hex)
LISTEN = "0A"


def _names(node: ast.AST) -> set[str]:
    return {
        n.id if isinstance(n, ast.Name) else n.attr
        for n in ast.walk(node)
        if isinstance(n, ast.Name | ast.Attribute)
    }


def _is_equality(node: ast.AST) -> bool:
    equality = (ast.Eq, ast.NotEq, ast.In, ast.NotIn, ast.Is, ast.IsNot)
    return isinstance(node, ast.Compare) and any(isinstance(op, equality) for op in node.ops)


def test_tokens_are_only_compared_with_compare_digest() -> None:
    plain: list[str] = []
    digest_calls = 0
    for path in sorted(SIMULATOR_SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if _is_equality(node) and any("token" in n.lower() for n in _names(node)):
                plain.append(f"{path.name}:{getattr(node, 'lineno', '?')}: {ast.unparse(node)}")
            if isinstance(node, ast.Call) and "compare_digest" in _names(node.func):
                digest_calls += 1
    assert plain == [], "tokens compared with ==/in (not constant time): " + "; ".join(plain)
    assert digest_calls >= 1


def _listening_addresses(pid: int) -> list[tuple[str, str]]:
    """(family, local address hex) of every listening TCP socket the process holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    found = []
    for family in ("tcp", "tcp6"):
        table = Path(f"/proc/net/{family}")
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == LISTEN and inode in inodes:
                found.append((family, local.rsplit(":", 1)[0]))
    return found


def _assert_loopback_only(sim: SimulatorProcess) -> None:
    addresses = _listening_addresses(sim.pid)
    assert addresses, "found no listening socket of the simulator"
    assert addresses == [("tcp", LOOPBACK_V4)] * len(addresses), addresses
    assert sim.base_url.startswith("http://127.0.0.1:")


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "activecampaign_simulator", "--port", "0"],
        [str(Path(sys.executable).with_name("ac-segments")), "simulate", "--port", "0"],
    ],
    ids=["python -m activecampaign_simulator", "ac-segments simulate"],
)
def test_simulator_binds_loopback_by_default(command: list[str]) -> None:
    with simulator_process("--segments", "1", "--history", "10", command=command) as sim:
        _assert_loopback_only(sim)
