"""Strict notebook parameters: read the declared parameters, reject unknown or mistyped values, inject safely.

papermill only warns about an unknown parameter name (issue 818), so a typo (``distrcit=``) silently runs the notebook
with its default. Here every run is checked before it executes:

* the notebook's cell tagged ``parameters`` is parsed with :mod:`ast` (never executed); every top-level assignment
  ``name = default`` or ``name: type = default`` declares a parameter;
* a passed name that is not declared stops the run (with a "did you mean" hint);
* a passed value whose type does not fit the annotation (or, without annotation, the default's type) stops the run.

Injection: each value is written as ``name = <repr(value)>`` in a new cell tagged ``injected-parameters`` placed right
after the parameters cell (as papermill does). Only plain literals are accepted (str, int, float, bool, None and
lists/tuples/dicts of them), and every rendered literal is read back with :func:`ast.literal_eval` and compared with
the value, so a string holding quotes, newlines or ``__import__('os')`` lands in the notebook as that plain string.
"""

from __future__ import annotations

import ast
import difflib
import math
from dataclasses import dataclass
from typing import Any

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"


class ParameterError(ValueError):
    """A run's parameters do not match what the notebook declares; the run is stopped before it executes."""


@dataclass(frozen=True)
class Declared:
    """One parameter declared in a notebook's ``parameters`` cell."""

    name: str
    annotation: str | None  # source text of the annotation, e.g. "str", "list[int] | None"
    default: Any  # the literal default, or _NOT_LITERAL when it is an expression
    has_literal_default: bool


_NOT_LITERAL = object()


def _cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _tags(cell: dict) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []) or [])


def find_parameters_cell(nb: dict) -> int | None:
    """Index of the first code cell tagged ``parameters``, or None."""
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") == "code" and PARAMETERS_TAG in _tags(cell):
            return i
    return None


def declared_parameters(nb: dict) -> dict[str, Declared]:
    """Parameters declared in the notebook's ``parameters`` cell (empty when there is no such cell)."""
    idx = find_parameters_cell(nb)
    if idx is None:
        return {}
    source = _cell_source(nb["cells"][idx])
    # IPython magics (%matplotlib, !cmd) are not Python; blank them so ast can parse the rest.
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError as exc:
        raise ParameterError(f"parameters 单元格不是有效的 Python：{exc}") from exc
    found: dict[str, Declared] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found[node.target.id] = _declared(node.target.id, node.annotation, node.value)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = _declared(target.id, None, node.value)
    return found


def _declared(name: str, annotation: ast.expr | None, value: ast.expr | None) -> Declared:
    ann = ast.unparse(annotation) if annotation is not None else None
    if value is None:
        return Declared(name, ann, _NOT_LITERAL, False)
    try:
        return Declared(name, ann, ast.literal_eval(value), True)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return Declared(name, ann, _NOT_LITERAL, False)


# --- type checking -------------------------------------------------------------------------------------------------

_SIMPLE = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "tuple": tuple, "dict": dict}


def _fits_annotation(value: Any, ann: ast.expr) -> bool | None:
    """True/False when the annotation is understood, None when it is not (then it is not checked)."""
    if isinstance(ann, ast.Constant) and ann.value is None:
        return value is None
    if isinstance(ann, ast.Constant) and isinstance(ann.value, str):  # "str" written as a string annotation
        try:
            return _fits_annotation(value, ast.parse(ann.value, mode="eval").body)
        except SyntaxError:
            return None
    if isinstance(ann, ast.BinOp) and isinstance(ann.op, ast.BitOr):
        left, right = _fits_annotation(value, ann.left), _fits_annotation(value, ann.right)
        if left or right:
            return True
        return None if left is None or right is None else False
    if isinstance(ann, ast.Name):
        if ann.id in ("Any", "object"):
            return True
        if ann.id == "Optional":
            return None
        return _fits_type(value, _SIMPLE[ann.id]) if ann.id in _SIMPLE else None
    if isinstance(ann, ast.Subscript) and isinstance(ann.value, ast.Name):
        outer = ann.value.id
        if outer == "Optional":
            return True if value is None else _fits_annotation(value, ann.slice)
        if outer in ("list", "tuple", "set") and isinstance(value, list | tuple):
            inner = ann.slice
            if isinstance(inner, ast.Tuple):  # tuple[int, ...] or tuple[int, str]
                elts = [e for e in inner.elts if not (isinstance(e, ast.Constant) and e.value is Ellipsis)]
                inner = elts[0] if len(elts) == 1 else None
            if inner is None:
                return True
            checks = [_fits_annotation(v, inner) for v in value]
            if any(c is False for c in checks):
                return False
            return True
        if outer == "dict" and isinstance(value, dict):
            return True
        if outer in _SIMPLE:
            return _fits_type(value, _SIMPLE[outer])
    return None


def _fits_type(value: Any, typ: type) -> bool:
    if typ is bool:
        return isinstance(value, bool)
    if typ is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if typ is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if typ in (list, tuple):
        return isinstance(value, list | tuple)
    return isinstance(value, typ)


def check_type(decl: Declared, value: Any) -> str | None:
    """An error message when ``value`` does not fit the declared parameter, else None."""
    if decl.annotation is not None:
        ok = _fits_annotation(value, ast.parse(decl.annotation, mode="eval").body)
        if ok is False:
            return f"参数 {decl.name!r} 应为 {decl.annotation} 类型，实际是 {type(value).__name__} {value!r}"
        if ok is True:
            return None
    if not decl.has_literal_default or decl.default is None:
        return None  # nothing to compare with: any literal is accepted
    if not _fits_type(value, type(decl.default)):
        return (
            f"参数 {decl.name!r} 的默认值是 {decl.default!r}（{type(decl.default).__name__}），"
            f"实际传入 {type(value).__name__} {value!r}"
        )
    return None


def validate(nb: dict, params: dict[str, Any], notebook_name: str = "notebook") -> None:
    """Raise :class:`ParameterError` when a name is unknown, a value is mistyped or not a plain literal."""
    declared = declared_parameters(nb)
    if params and find_parameters_cell(nb) is None:
        raise ParameterError(f"{notebook_name}: 没有标记为 parameters 的单元格，却传入了参数 {sorted(params)}")
    problems = []
    for name, value in params.items():
        if name not in declared:
            hint = difflib.get_close_matches(name, list(declared), n=1)
            extra = f"（您是否要找 {hint[0]!r}？）" if hint else ""
            problems.append(f"未知参数 {name!r}{extra}；可用参数：{sorted(declared)}")
            continue
        try:
            render_literal(value)
        except ParameterError as exc:
            problems.append(f"参数 {name!r}：{exc}")
            continue
        msg = check_type(declared[name], value)
        if msg:
            problems.append(msg)
    if problems:
        raise ParameterError(f"{notebook_name}: " + "；".join(problems))


# --- safe injection ------------------------------------------------------------------------------------------------


def _is_plain(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | str):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list | tuple):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str | int) and _is_plain(v) for k, v in value.items())
    return False


def render_literal(value: Any) -> str:
    """Python source for ``value`` that evaluates back to exactly ``value`` and can run nothing else."""
    if not _is_plain(value):
        raise ParameterError(f"参数值只能是简单字面量（字符串、整数、小数、布尔、None、列表、字典）：{value!r}")
    text = repr(value)
    if ast.literal_eval(text) != value:  # pragma: no cover - repr of plain literals always round-trips
        raise ParameterError(f"参数值无法原样写成字面量：{value!r}")
    return text


def injected_source(params: dict[str, Any]) -> str:
    """The source of the injected-parameters cell."""
    lines = ["# Parameters (injected by analysis.batch)"]
    lines += [f"{name} = {render_literal(value)}" for name, value in params.items()]
    return "\n".join(lines) + "\n"


def inject(nb: Any, params: dict[str, Any]) -> Any:
    """Insert the injected-parameters cell after the parameters cell (or first, when there is none), in place.

    ``nb`` is an nbformat NotebookNode; any earlier injected cell is replaced. Returns ``nb``.
    """
    import nbformat

    cells = nb.cells
    cells[:] = [c for c in cells if INJECTED_TAG not in _tags(c)]
    idx = find_parameters_cell(nb)
    cell = nbformat.v4.new_code_cell(source=injected_source(params))
    cell.metadata["tags"] = [INJECTED_TAG]
    cells.insert(0 if idx is None else idx + 1, cell)
    nb.metadata.setdefault("papermill", {})["parameters"] = dict(params)
    return nb
