"""The import graph between workspace members, read from the source: the layering is a test.

Each member may import only the members it is allowed to depend on. The API and every worker
service are independent deployables: they share temporal_core and the contracts, nothing else.
The test parses every module (imports inside functions and ``TYPE_CHECKING`` blocks included), so
a lazy import cannot sneak an arrow past it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGES = Path(__file__).resolve().parents[1] / "packages"

OURS = {
    "temporal_core",
    "contracts",
    "stand_ins",
    "api",
    "worker_orders",
    "worker_approvals",
    "worker_reports",
    "dev_stack",
    "codec_server",
}

ALLOWED: dict[str, set[str]] = {
    "temporal_core": set(),
    "stand_ins": set(),
    "contracts": {"temporal_core"},
    "api": {"temporal_core", "contracts"},
    "worker_orders": {"temporal_core", "contracts", "stand_ins"},
    "worker_approvals": {"temporal_core", "contracts", "stand_ins"},
    "worker_reports": {"temporal_core", "contracts", "stand_ins"},
    # The local stack starts every service as a process; it imports none of their code.
    "dev_stack": {"temporal_core"},
    # Decodes with the codec every service uses; it needs none of the services' code.
    "codec_server": {"temporal_core"},
}


def imported_members(source: str) -> set[str]:
    """The workspace members a module's source imports (absolute imports only)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in OURS)
    return found


def member_sources() -> dict[str, list[Path]]:
    sources: dict[str, list[Path]] = {}
    for src in sorted(PACKAGES.glob("*/src/*")):
        if src.is_dir() and src.name in OURS:
            sources[src.name] = sorted(src.rglob("*.py"))
    return sources


def test_every_member_is_covered() -> None:
    assert set(member_sources()) == set(ALLOWED), "a new member needs its row in ALLOWED"


@pytest.mark.parametrize("member", sorted(ALLOWED))
def test_member_imports_only_what_it_may(member: str) -> None:
    arrows: list[str] = []
    for path in member_sources()[member]:
        for target in imported_members(path.read_text()) - {member} - ALLOWED[member]:
            arrows.append(f"{path.relative_to(PACKAGES)} imports {target}")
    assert arrows == []


def test_the_scan_sees_lazy_and_nested_imports() -> None:
    # The parser must catch what a grep for top-level imports would miss.
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from worker_orders.workflows import OrderWorkflow\n"
        "def later():\n    import stand_ins.mail\n"
    )
    assert imported_members(source) == {"worker_orders", "stand_ins"}
