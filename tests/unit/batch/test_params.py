"""Strict parameters, safe injection and safe folder names (no kernels: fast)."""

from __future__ import annotations

import ast

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from analysis.batch import params
from analysis.batch.plan import make_slug, output_dir_for, safe_name
from conftest import TESTS

NASTY = "a\"b'c\n__import__('os').system(\"touch PWNED\")\\"


def _nb(source: str):
    cell = new_code_cell(source)
    cell.metadata["tags"] = ["parameters"]
    return new_notebook(cells=[new_code_cell("x = 1"), cell, new_code_cell("print(district)")])


NB = _nb(
    'district: str = "示例区"\nyear: int = 2023\nshare = 0.5\nyears: list[int] | None = None\n'
    'note = None\noutput_dir = "."\n%matplotlib inline\nlabel = str(year)'
)


def test_declared_parameters_reads_names_annotations_and_defaults():
    decl = params.declared_parameters(NB)
    assert list(decl) == ["district", "year", "share", "years", "note", "output_dir", "label"]
    assert decl["district"].annotation == "str" and decl["district"].default == "示例区"
    assert decl["years"].annotation == "list[int] | None"
    assert not decl["label"].has_literal_default  # an expression, not a literal


def test_valid_parameters_pass():
    params.validate(NB, {"district": "马村区", "year": 2024, "share": 1, "years": [2022, 2023], "note": {"a": 1}})


@pytest.mark.parametrize(
    "bad, fragment",
    [
        ({"distrct": "马村区"}, "您是否要找 'district'"),
        ({"year": "2023"}, "应为 int 类型"),
        ({"year": True}, "应为 int 类型"),
        ({"share": "half"}, "默认值是 0.5"),
        ({"years": [2022, "2023"]}, "list[int] | None"),
        ({"district": object()}, "简单字面量"),
        ({"district": float("nan")}, "简单字面量"),
    ],
)
def test_unknown_or_mistyped_parameters_stop_the_run(bad, fragment):
    with pytest.raises(params.ParameterError) as err:
        params.validate(NB, bad, "profile")
    assert fragment in str(err.value)
    assert str(err.value).startswith("profile:")


def test_parameters_given_to_a_notebook_without_parameters_cell_are_refused():
    with pytest.raises(params.ParameterError, match="没有标记为 parameters 的单元格"):
        params.validate(new_notebook(cells=[new_code_cell("1")]), {"x": 1})


def test_nasty_string_is_injected_as_a_plain_string():
    nb = _nb('district = "x"')
    params.inject(nb, {"district": NASTY, "years": [2022, 2023]})
    injected = nb.cells[2]
    assert injected.metadata["tags"] == ["injected-parameters"]
    tree = ast.parse(injected.source)
    # Only simple assignments of literals: no call can run.
    assert all(isinstance(node, ast.Assign) for node in tree.body)
    assert not any(isinstance(node, ast.Call) for node in ast.walk(tree))
    namespace: dict = {}
    exec(compile(tree, "injected", "exec"), namespace)  # noqa: S102 - proving the cell only assigns
    assert namespace["district"] == NASTY and namespace["years"] == [2022, 2023]
    assert nb.metadata["papermill"]["parameters"]["district"] == NASTY


def test_inject_replaces_an_earlier_injected_cell():
    nb = _nb('district = "x"')
    params.inject(nb, {"district": "a"})
    params.inject(nb, {"district": "b"})
    tagged = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and "'b'" in tagged[0].source


def test_fixture_notebooks_declare_output_dir():
    for path in TESTS.joinpath("fixtures", "notebooks").glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert "output_dir" in params.declared_parameters(nb), path.name


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("马村区", "马村区"),
        ("../../etc", "etc"),
        ("a/b\\c", "a_b_c"),
        ("..", "_"),
        ("", "_"),
        (".hidden", "hidden"),
        ("示例市 2023", "示例市_2023"),
        ("x..y", "x_y"),
    ],
)
def test_safe_name(raw, expected):
    assert safe_name(raw) == expected


def test_slug_keeps_chinese_and_never_leaves_reports(tmp_path):
    slug = make_slug({"district": "../马村区/..", "year": 2023})
    assert "/" not in slug and ".." not in slug and "马村区" in slug
    target = output_dir_for(tmp_path, "../notebook", slug)
    assert tmp_path.resolve() in target.parents
    assert make_slug({"district": "甲区", "years": [2021, 2023, 2022]}) == "甲区_2021-2023"
    assert make_slug({}) == "all"
