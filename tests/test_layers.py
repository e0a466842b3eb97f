"""The layers of chaoskit import only downward; a violation names the module and the import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "chaoskit"
# what each layer must never import (anything above it)
FORBIDDEN = {
    "sim": ("cli", "session", "faults", "grading", "report", "cluster", "scenario", "runbook", "catalog",
            "checks", "selftest", "demo", "skeleton"),
    "grading": ("cli", "session", "report", "faults", "cluster", "sim", "demo", "selftest"),
    "faults": ("cli", "session", "grading", "report", "demo", "selftest"),
    "cluster": ("cli", "session", "faults", "grading", "report", "demo", "selftest"),
    "scenario": ("cli", "session", "faults", "grading", "report", "cluster", "sim", "catalog", "checks"),
    "runbook": ("cli", "session", "faults", "grading", "report", "cluster", "sim", "scenario"),
}


def imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return [m for m in found if m.startswith("chaoskit.")]


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_downward(layer: str) -> None:
    bad = [f"{path.relative_to(PACKAGE.parent)} imports {module}"
           for path in sorted((PACKAGE / layer).rglob("*.py")) for module in imports(path)
           if module.split(".")[1] in FORBIDDEN[layer]]
    assert bad == []
