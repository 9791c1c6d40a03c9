"""Imports point down: views -> reports -> services -> models (DESIGN.md). A service or report
that imports a view, or a service that imports a report, fails here; so does a module outside
its domain's package."""
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


# DESIGN.md's domains; each layer has a package per domain it has code for
DOMAINS = {"registers", "sales", "bookings", "ledger", "workshop", "stock", "tyres", "online", "crm", "platform"}


@pytest.mark.parametrize("layer", ["services", "views", "reports", "tests/unit", "tests/web"])
def test_every_module_sits_in_its_domains_package(layer):
    """Issue 11 item 9: no flat modules beside the domain packages (a layer's own __init__, and
    the suite-wide checks at the top of tests/unit and tests/web, excepted)."""
    base = ROOT / layer
    flat = sorted(p.name for p in base.glob("*.py") if p.name != "__init__.py" and not layer.startswith("tests"))
    folders = {p.name for p in base.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert not flat, f"{layer}: modules outside a domain package: {flat}"
    assert folders <= DOMAINS, f"{layer}: folders that are not domains: {sorted(folders - DOMAINS)}"


def _label_tables(path: Path) -> list[tuple[int, frozenset]]:
    """The dict literals of a file that map codes to translated labels ({"quote": _l("Quote"), ...}),
    each as (line, its (code, msgid) pairs); two entries at least."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Dict) or len(node.keys) < 2:
            continue
        pairs = []
        for key, value in zip(node.keys, node.values):
            if not (isinstance(key, ast.Constant) and isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                    and value.func.id in ("_l", "_") and value.args and isinstance(value.args[0], ast.Constant)):
                break
            pairs.append((key.value, value.args[0].value))
        else:
            found.append((node.lineno, frozenset(pairs)))
    return found


def test_the_label_tables_of_services_references_are_not_copied():
    """One table per set of labels (services/registers/references.py: customer kinds, addresses, the sales
    codes ...): a view, report or service that writes one of them again fails here."""
    shared = {pairs: line for line, pairs in _label_tables(ROOT / "services" / "registers" / "references.py")}
    copies = [f"{path.relative_to(ROOT)}:{line}"
              for layer in ("views", "reports", "services") for path in sorted((ROOT / layer).rglob("*.py"))
              if path.name != "references.py" or path.parent.name != "registers"
              for line, pairs in _label_tables(path) if pairs in shared]
    assert copies == []
