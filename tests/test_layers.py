"""Layer rules: `schemas` imports nothing of ours; `extract` never imports `evals`."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
OURS = ("schemas", "extract", "evals")


def test_contracts_are_declared():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    assert set(config["root_packages"]) == set(OURS)
    rules = {(tuple(c["source_modules"]), tuple(sorted(c["forbidden_modules"]))) for c in config["contracts"]
             if c["type"] == "forbidden"}
    assert (("schemas",), ("evals", "extract")) in rules
    assert (("extract",), ("evals",)) in rules


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed in this environment")
def test_import_linter_contracts_are_kept():
    proc = subprocess.run([str(LINT_IMPORTS), "--no-logo", "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 kept, 0 broken" in proc.stdout or "0 broken" in proc.stdout


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports, at any depth (also inside functions), with its line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.append((node.lineno, node.args[0].value))
    return found


@pytest.mark.parametrize(("package", "forbidden"), [("schemas", ("extract", "evals")), ("extract", ("evals",))])
def test_no_forbidden_imports_by_source_scan(package, forbidden):
    """A second, independent check that also sees importlib.import_module('...') with a literal name."""
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, module in _imports(path):
            if module.split(".")[0] in forbidden:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not bad, "\n".join(bad)
