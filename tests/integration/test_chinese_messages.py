"""Issue 13: everything a user reads is Chinese. Rule ids and file/sheet/cell locators stay as they are, so a message
may carry English identifiers, but a message with no Chinese at all fails here.

Two checks: a static one over the package source (every literal message given to an exception, a finding, a
reader warning or a CLI print), and a dynamic one over what the hostile-input corpus, the ledger and the loaders
actually say."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from conftest import REPO

SRC = REPO / "src" / "analysis"
HAN = re.compile(r"[\u4e00-\u9fff]")
WORD = re.compile(r"[A-Za-z]{3,}")
# Programmer errors (a wrong call inside the package), never shown for a user's input.
INTERNAL = {"AttributeError", "TypeError", "NotImplementedError", "AssertionError", "StopIteration"}
# The batch runner's own messages belong to src/analysis/batch/ (checked there).
SKIP_DIRS = {"batch"}
FINDING_CALLS = {"_finding", "finding", "_note", "_ledger_problem"}


def _literal(node: ast.AST) -> str | None:
    """The literal text of a str / f-string / concatenation, placeholders left out; None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left), _literal(node.right)
        if left is None and right is None:
            return None
        return (left or "") + (right or "")
    if isinstance(node, ast.IfExp):
        a, b = _literal(node.body), _literal(node.orelse)
        return None if a is None and b is None else (a or "") + (b or "")
    return None


def _english_only(text: str | None) -> bool:
    return text is not None and bool(WORD.search(text)) and not HAN.search(text)


def _name(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    rel = path.relative_to(SRC)
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
            if _name(node.exc.func) in INTERNAL:
                continue
            if _english_only(_literal(node.exc.args[0])):
                out.append(f"{rel}:{node.lineno}: raise {_name(node.exc.func)}({_literal(node.exc.args[0])!r})")
        elif isinstance(node, ast.Call):
            name = _name(node.func)
            args = list(node.args) + [k.value for k in node.keywords if k.arg == "message"]
            texts: list[str | None] = []
            if name in FINDING_CALLS:
                texts = [_literal(a) for a in args if _literal(a) is not None]
                texts = [t for t in texts if " " in t or HAN.search(t)]  # rule ids / severities are single words
            elif name == "append" and isinstance(node.func, ast.Attribute) and _name(node.func.value) == "warnings":
                texts = [_literal(a) for a in node.args]
            elif name == "print" and rel.name == "cli.py":
                texts = [_literal(a) for a in node.args]
            elif name in ("say", "progress") and node.args:
                texts = [_literal(node.args[0])]
            for t in texts:
                if _english_only(t):
                    out.append(f"{rel}:{node.lineno}: {name}({t!r})")
    return out


def test_no_user_facing_message_in_the_source_is_english_only():
    files = [p for p in SRC.rglob("*.py") if not (set(p.relative_to(SRC).parts[:-1]) & SKIP_DIRS)]
    bad = [v for p in sorted(files) for v in _violations(p)]
    assert not bad, "messages without Chinese:\n" + "\n".join(bad)


def test_the_checker_catches_an_english_message(tmp_path):
    p = SRC / "_probe_for_test.py"
    try:
        p.write_text(
            'def f(x):\n    raise ValueError(f"{x}: not a readable file")\n'
            'def g(w):\n    w.append(1)\n    warnings.append("only the first 10 rows were read")\n',
            encoding="utf-8",
        )
        assert len(_violations(p)) == 2
    finally:
        p.unlink()


# ---------------------------------------------------------------- what the loaders and readers actually say


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        (",马村区,2023.0,x,,flag,,r,s,2024-01-01", "年份"),
        (",马村区,2023,x,,flag,,r,s,2024-02-30", "不存在"),
        (",马村区,2023,x,,replace,1,r,s,2024-01-01", "未知的操作"),
        (",马村区,2023,x,,override,七十,r,s,2024-01-01", "需要数值"),
    ],
)
def test_ledger_errors_are_chinese(tmp_path, row, needle):
    from analysis.tidy.corrections import LEDGER_COLUMNS, CorrectionsError, load_ledger

    p = tmp_path / "corrections.csv"
    p.write_text(",".join(LEDGER_COLUMNS) + "\n" + row + "\n", encoding="utf-8")
    with pytest.raises(CorrectionsError) as err:
        load_ledger(p)
    assert needle in str(err.value) and HAN.search(str(err.value))


@pytest.mark.parametrize(
    "text",
    ["indicators: [\n  - id: x\n", "something: 1\n", "indicators: []\n", "indicators:\n  - {id: X}\n"],
)
def test_registry_loader_errors_are_chinese(tmp_path, text):
    from analysis.registry import RegistryError, load_indicators

    p = tmp_path / "indicators.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(RegistryError) as err:
        load_indicators(str(p))
    assert str(p) in str(err.value) and HAN.search(str(err.value))


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("a.csv", b"x,y\n1,2\n"),
        ("a.xlsx", b"PK\x03\x04broken"),
        ("a.ods", b"junk"),
        ("a.csv", b"\xef\xbb\xbf\xff\xfe"),
    ],
)
def test_dataset_file_errors_are_chinese(tmp_path, name, data):
    from analysis.ingest.datasets import DatasetError, read_dataset

    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(DatasetError) as err:
        read_dataset(p)
    assert str(p) in str(err.value) and HAN.search(str(err.value))
