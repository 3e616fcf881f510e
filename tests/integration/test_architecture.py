"""The architecture as tests: the import contracts in pyproject.toml ([tool.importlinter], run with import-linter),
no module importing another module's private name, and no import circle between analysis modules (from the AST).

Each checker is also run on a tiny package with a planted violation, so a checker that cannot fail is caught too.
"""

from __future__ import annotations

import ast
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

from conftest import REPO

SRC = REPO / "src"
PYPROJECT = REPO / "pyproject.toml"
LAYERS = ["cli", "batch", "present", "metrics", "tidy", "ingest", "registry", "core"]  # top to bottom
OUTSIDE_LAYERS = {"__init__", "__main__"}  # analysis/__init__ (version) and __main__ (calls cli.main)


# ---------------------------------------------------------------------------------------------------------------
# the import graph, from the source (function-level imports included)


def module_files(src: Path) -> dict[str, Path]:
    """Dotted module name → file, for every .py under ``src`` (packages by their __init__.py)."""
    out = {}
    for path in sorted(src.rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _base_of(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    if path.name != "__init__.py":
        parts = parts[:-1]
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join(parts + ([node.module] if node.module else []))


def imports_of(module: str, path: Path, modules: dict[str, Path], root: str) -> list[tuple[str, str | None, int]]:
    """(imported module, imported name or None, line) for every import of a ``root`` module in one file. A name taken
    from a package that is itself a module (``from analysis.batch import manifest``) counts as that module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, None, node.lineno) for a in node.names if a.name.split(".")[0] == root]
        elif isinstance(node, ast.ImportFrom):
            base = _base_of(module, path, node)
            if base.split(".")[0] != root:
                continue
            for a in node.names:
                sub = f"{base}.{a.name}"
                found.append((sub, None, node.lineno) if sub in modules else (base, a.name, node.lineno))
    return found


def import_graph(src: Path, root: str) -> dict[str, set[str]]:
    modules = module_files(src)
    return {
        m: {target for target, _, _ in imports_of(m, p, modules, root) if target in modules and target != m}
        for m, p in modules.items()
        if m.split(".")[0] == root
    }


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_imports(src: Path, root: str) -> list[str]:
    """Every use of another module's private name: ``from x import _y`` and ``m._y`` where ``m`` names a module."""
    modules = module_files(src)
    problems = []
    for m, path in modules.items():
        if m.split(".")[0] != root:
            continue
        rel = path.relative_to(src)
        module_aliases: dict[str, str] = {}
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.split(".")[0] == root:
                        module_aliases[a.asname or a.name] = a.name
            elif isinstance(node, ast.ImportFrom):
                base = _base_of(m, path, node)
                if base.split(".")[0] != root:
                    continue
                for a in node.names:
                    if f"{base}.{a.name}" in modules:
                        module_aliases[a.asname or a.name] = f"{base}.{a.name}"
                    elif _private(a.name) and base != m:
                        problems.append(f"{rel}:{node.lineno}: from {base} import {a.name}")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and _private(node.attr):
                dotted = _dotted(node.value)
                target = _resolve_alias(dotted, module_aliases) if dotted else None
                if target and target in modules and target != m:
                    problems.append(f"{rel}:{node.lineno}: {dotted}.{node.attr} ({target})")
    return problems


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else None
    return None


def _resolve_alias(dotted: str, aliases: dict[str, str]) -> str | None:
    head, _, rest = dotted.partition(".")
    if head not in aliases:
        return None
    return f"{aliases[head]}.{rest}" if rest else aliases[head]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted: the import circles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


# ---------------------------------------------------------------------------------------------------------------
# the project


def test_import_contracts_are_kept(capsys):
    code = lint_imports(config_filename=str(PYPROJECT), no_cache=True)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "0 broken" in out


def test_layers_contract_lists_every_layer_in_order():
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
    assert config["root_package"] == "analysis"
    layers = next(c for c in config["contracts"] if c["id"] == "layers")
    assert layers["type"] == "layers"
    assert layers["layers"] == [f"analysis.{name}" for name in LAYERS]
    top_level = {p.stem if p.is_file() else p.name for p in (SRC / "analysis").iterdir()}
    top_level = {n for n in top_level if (SRC / "analysis" / n / "__init__.py").is_file() or n in {"cli", "__main__"}}
    top_level |= {"__init__"}
    assert top_level - OUTSIDE_LAYERS == set(LAYERS), "every subpackage of analysis must be a layer of the contract"


def test_no_module_imports_another_modules_private_name():
    assert private_imports(SRC, "analysis") == []


def test_no_import_circle_between_analysis_modules():
    assert cycles(import_graph(SRC, "analysis")) == []


# ---------------------------------------------------------------------------------------------------------------
# the checkers can fail


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """A package ``toy`` (high above low) in which low imports high, a private name and a circle."""
    _write(
        tmp_path,
        {
            "toy/__init__.py": "",
            "toy/high/__init__.py": "",
            "toy/high/view.py": "from toy.low import store\n\nPUBLIC = store.VALUE\n",
            "toy/low/__init__.py": "",
            "toy/low/store.py": """\
                VALUE = 1


                def _hidden():
                    return 2


                def later():
                    from toy.high.view import PUBLIC  # runs back up: low imports high, and a circle

                    return PUBLIC
                """,
            "toy/low/user.py": "from toy.low import store\nfrom toy.low.store import _hidden\n\nX = store._hidden()\n",
            "contracts.toml": """\
                [tool.importlinter]
                root_package = "toy"

                [[tool.importlinter.contracts]]
                name = "toy layers"
                type = "layers"
                layers = ["toy.high", "toy.low"]
                """,
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m == "toy" or m.startswith("toy.")]:
        monkeypatch.delitem(sys.modules, name)
    return tmp_path


def test_contract_check_fails_on_an_import_against_the_layers(toy, capsys):
    assert lint_imports(config_filename=str(toy / "contracts.toml"), no_cache=True) != 0
    out = capsys.readouterr().out
    assert "BROKEN" in out and "toy.low.store -> toy.high.view" in out


def test_private_and_circle_checks_find_planted_problems(toy):
    problems = private_imports(toy, "toy")
    assert any("from toy.low.store import _hidden" in p for p in problems), problems
    assert any("store._hidden (toy.low.store)" in p for p in problems), problems
    assert cycles(import_graph(toy, "toy")) == [["toy.high.view", "toy.low.store"]]
