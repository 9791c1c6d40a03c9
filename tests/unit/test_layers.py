"""Imports point down: views -> reports -> services -> models (DESIGN.md). A service or report
that imports a view, or a service that imports a report, fails here."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"services": ("views", "reports"), "reports": ("views",)}


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_imports_point_down(layer):
    base = ROOT / layer
    files = [base] if base.is_file() else sorted(base.rglob("*.py"))
    wrong = {str(f.relative_to(ROOT)): sorted(_imported(f) & set(FORBIDDEN[layer])) for f in files}
    assert not {f: w for f, w in wrong.items() if w}
