"""The shape of the test suite itself (read with ast, nothing imported): no test module imports
another test module (shared builders live in tests/factories.py, fixtures in conftest.py), and
no test outside tests/browser needs Playwright, neither directly nor through a module of tests/
it imports (tests/browser/conftest.py imports it)."""
import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.any_db

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts}


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports (at any depth of the file: in functions too); for
    ``from package import name`` also ``package.name``, as ``name`` may be a module."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                package = module_name(path).split(".")
                if path.name != "__init__.py":
                    package = package[:-1]
                base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def is_test_module(name: str) -> bool:
    return name in MODULES and MODULES[name].name.startswith("test_")


def needs_playwright(name: str, seen: set[str]) -> list[str]:
    """The chain of tests modules from ``name`` to an import of playwright ([] when none)."""
    if name in seen or name not in MODULES:
        return []
    seen.add(name)
    for other in sorted(imported(MODULES[name])):
        if other == "playwright" or other.startswith("playwright."):
            return [name, other]
        chain = needs_playwright(other, seen)
        if chain:
            return [name, *chain]
    return []


TEST_MODULES = sorted(n for n in MODULES if is_test_module(n))


def test_the_suite_is_found():
    assert "tests.unit.test_suite_structure" in TEST_MODULES
    assert any(n.startswith("tests.web.") for n in TEST_MODULES)
    assert any(n.startswith("tests.browser.") for n in TEST_MODULES)


def test_no_test_module_imports_another_test_module():
    offenders = {name: sorted(other for other in imported(MODULES[name]) if is_test_module(other) and other != name)
                 for name in TEST_MODULES}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_tests_outside_browser_do_not_need_playwright():
    outside = [n for n in MODULES if not n.startswith("tests.browser")]
    chains = {name: needs_playwright(name, set()) for name in outside}
    assert {k: v for k, v in chains.items() if v} == {}


def test_the_checks_see_what_they_look_for(tmp_path):
    """The parser finds a test-module import in a function body and a playwright import."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from tests.web.registers.test_customers import x\n"
                      "import playwright.sync_api\nfrom tests.web.sales import test_sales\n")
    found = imported(sample)
    assert {"tests.web.registers.test_customers", "playwright.sync_api", "tests.web.sales.test_sales"} <= found
    assert needs_playwright("tests.browser.conftest", set())[-1].startswith("playwright")
