"""Issue 12 item 8: every CSV and Excel output neutralises cells that a spreadsheet would run as a formula (= + - @,
tab, CR → a leading '), while numbers stay numbers (negative ones included)."""

from __future__ import annotations

import ast

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from analysis.core.io import neutralise_workbook
from conftest import REPO

SRC = REPO / "src" / "analysis"
EVIL = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def test_neutralise_workbook_keeps_numbers_and_plain_text():
    wb = Workbook()
    ws = wb.active
    ws.append([*EVIL, -3, "-3", "马村区", 2.5])
    neutralise_workbook(wb)
    row = [c.value for c in ws[1]]
    assert row[: len(EVIL)] == ["'" + e for e in EVIL]
    assert all(c.data_type == "s" for c in ws[1][: len(EVIL)])
    assert row[len(EVIL) :] == [-3, "-3", "马村区", 2.5]


def _registry_with(indicators, text: str):
    """The first three shipped indicators (a copy) with ``text`` as a name and a keyword."""
    ind = indicators.head(3).copy()
    ind.loc[ind.index[0], "name_zh"] = text
    ind.loc[ind.index[1], "keywords"] = [text]
    return ind


@pytest.mark.parametrize("evil", EVIL[:4])
def test_template_cells_are_neutralised(tmp_path, evil, indicators):
    from analysis.ingest.datasets import write_template

    out = write_template(tmp_path / "t.xlsx", indicators=_registry_with(indicators, evil))
    wb = load_workbook(out)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    mine = [c for c in cells if evil in c.value]
    assert mine, "the registry text must appear in the template"
    assert all(c.value.startswith("'") and c.data_type == "s" for c in mine)
    assert not [c for c in cells if c.data_type == "f"]


def test_dictionary_cells_are_neutralised(tmp_path, indicators):
    from analysis.metrics import load_config
    from analysis.present import dictionary

    df = dictionary.dictionary_table(_registry_with(indicators, "=cmd|' /C calc'!A0"), load_config())
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dictionary, "dictionary_table", lambda: df)
        xlsx, _html = dictionary.write_dictionary(tmp_path)
    cells = [c for row in load_workbook(xlsx).active.iter_rows() for c in row if isinstance(c.value, str)]
    hits = [c.value for c in cells if "cmd|" in c.value]
    assert hits and all(v.startswith("'") for v in hits)
    assert not [c for c in cells if c.data_type == "f"]


def test_sample_workbook_has_no_formula_cell(tmp_path):
    from analysis.ingest.sample import write_sample

    wb = load_workbook(write_sample(tmp_path / "s.xlsx"))
    assert not [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_csv_outputs_keep_negative_numbers_numeric(tmp_path):
    from analysis.core.io import write_csv

    p = tmp_path / "x.csv"
    write_csv(pd.DataFrame({"t": ["=1+1", "-3", "ok"], "v": [-3.5, -1.0, 2.0]}), p, index=False)
    back = pd.read_csv(p)
    assert list(back["t"]) == ["'=1+1", -3, "ok"] or list(back["t"].astype(str)) == ["'=1+1", "-3", "ok"]
    assert list(back["v"]) == [-3.5, -1.0, 2.0]


def test_review_writes_neutralised_ledger_lines(tmp_path, monkeypatch):
    from analysis.present.review import record_decision
    from analysis.tidy.corrections import LEDGER_COLUMNS, load_ledger

    ledger = tmp_path / "corrections.csv"
    ledger.write_text(",".join(LEDGER_COLUMNS) + "\n", encoding="utf-8")
    facts = pd.DataFrame(
        {
            "fact_id": ["r:10"],
            "doc_id": ["r"],
            "indicator_id": ["nd_filed"],
            "value": [7.0],
            "measure": ["件"],
            "measure_raw": ["件"],
            "scope": ["year"],
            "source_file": ["data/raw/reports/马村区/2023/r.txt"],
        }
    )
    line = record_decision(
        "r:10",
        "confirm",
        reason='=HYPERLINK("http://x")',
        source="@分析员",
        facts=facts,
        ledger_path=ledger,
        date="2024-03-02",
    )
    assert "'=HYPERLINK" in line and "'@分析员" in line
    assert load_ledger(ledger).iloc[0]["reason"].startswith("'=")


# ---------------------------------------------------------------- every writer goes through a neutraliser

WRITERS = {"to_csv", "to_excel", "save"}
NEUTRALISERS = {"neutralise_frame", "neutralise_workbook", "write_csv", "neutralise_cell"}
NOT_SPREADSHEETS = {"present/charts/embed.py", "batch/runner.py"}  # a PNG image; the run manifest (JSON)


def test_every_spreadsheet_writer_in_the_package_neutralises():
    bad = []
    for path in sorted(SRC.rglob("*.py")):
        rel = str(path.relative_to(SRC))
        if rel in NOT_SPREADSHEETS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
            calls = {
                (n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", ""))
                for n in ast.walk(fn)
                if isinstance(n, ast.Call)
            }
            if calls & WRITERS and not calls & NEUTRALISERS and fn.name not in ("write_csv",):
                bad.append(f"{rel}:{fn.lineno} {fn.name}")
    assert not bad, bad
