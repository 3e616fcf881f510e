"""Dataset import, validation and the fill-in template (analysis.ingest.datasets), on tiny inline registries and files."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from analysis.core.io import RawWriteError
from analysis.ingest.datasets import (
    DatasetError,
    indicator_header,
    parse_value,
    read_dataset,
    write_template,
)
from analysis.registry import validate_indicators
from analysis.registry.schema import FINDING_COLUMNS
from analysis.tidy.quality import check_dataset
from conftest import indicator


def _checked(path, reg, units=None):
    """A dataset imported as the build imports it: read_dataset plus the registry arithmetic of the tidy layer."""
    return check_dataset(read_dataset(path, reg, units), reg)


def _entry(iid: str, name: str, unit: str, kind: str, **extra: object) -> dict:
    """A shared inline-registry entry named (and found by) ``name``."""
    return indicator(iid, unit, name_zh=name, keywords=[name], kind=kind, **extra)


@pytest.fixture(scope="module")
def reg() -> pd.DataFrame:
    return validate_indicators(
        [
            _entry("nd_issued", "出台行政规范性文件", "件", "count"),
            _entry("nd_filed", "规范性文件备案", "件", "count", at_most="nd_issued"),
            _entry("nd_filing_rate", "规范性文件报备率", "%", "rate", numerator="nd_filed", denominator="nd_issued"),
            _entry("med_cases", "调解案件", "件", "count", parts=["med_complex_cases"]),
            _entry("med_complex_cases", "疑难复杂案件", "件", "count", at_most="med_cases"),
            _entry("med_amount", "调解涉及金额", "万元", "money"),
        ]
    )


UNITS = pd.DataFrame(
    {
        "unit_id": ["d1", "d2", "d1-s1"],
        "name": ["示例一区", "示例二区", "示例一区第一街道"],
        "parent": [None, None, "d1"],
        "aliases": [["示例市示例一区"], None, None],
    }
)
# Column letters of the inline registry in the template: A 单位, B 上级单位, C 单位类型, D 年份, then E… indicators.
COLS = {"nd_issued": "E", "nd_filed": "F", "nd_filing_rate": "G", "med_cases": "H", "med_complex_cases": "I",
        "med_amount": "J"}  # fmt: skip


def _header(reg: pd.DataFrame) -> list[str]:
    return ["单位", "上级单位", "单位类型", "年份", *(indicator_header(e) for _, e in reg.iterrows()), "来源"]


def _xlsx(path: Path, header: list, rows: list[list], sheet: str = "数据") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _csv(path: Path, header: list, rows: list[list], encoding: str = "utf-8") -> Path:
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def _problems(result) -> set[tuple[str, str, str]]:
    return {(r.rule, r.severity, r.locator) for r in result.findings.itertuples()}


# --- value states ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "unit", "value", "state", "approx"),
    [
        (7, "件", 7.0, "exact", False),
        (97.5, "%", 97.5, "exact", False),
        ("7", "件", 7.0, "exact", False),
        ("0", "件", 0.0, "exact", False),
        (0, "件", 0.0, "exact", False),
        ("80余", "人次", 80.0, "approx", True),
        ("约80", "人次", 80.0, "approx", True),
        ("近80", "人次", 80.0, "approx", True),
        ("80多", "人次", 80.0, "approx", True),
        ("995余人次", "人次", 995.0, "approx", True),
        ("589余万元", "万元", 589.0, "approx", True),
        ("1.2万", "人次", 12000.0, "exact", False),
        ("1,545", "项", 1545.0, "exact", False),
        ("９７.５％", "%", 97.5, "exact", False),
        ("无", "件", 0.0, "zero_in_words", False),
        ("零", "件", 0.0, "zero_in_words", False),
        # Chinese numerals and full-width digits, as the report extractor reads them
        ("三", "件", 3.0, "exact", False),
        ("约二百", "件", 200.0, "approx", True),
        ("二百余件", "件", 200.0, "approx", True),
        ("十余", "人次", 10.0, "approx", True),
        ("一千零五", "件", 1005.0, "exact", False),
        ("三万", "人次", 30000.0, "exact", False),
        ("三万元", "万元", 3.0, "exact", False),
        ("１２３", "件", 123.0, "exact", False),
        ("　７件", "件", 7.0, "exact", False),
    ],
)
def test_parse_value_states(raw, unit, value, state, approx):
    p = parse_value(raw, unit)
    assert (p.value, p.state, p.approx, p.problem) == (value, state, approx, None)


@pytest.mark.parametrize("raw", [None, "", "   ", float("nan")])
def test_blank_is_not_reported_never_zero(raw):
    p = parse_value(raw, "件")
    assert np.isnan(p.value) and p.state == "not_reported" and p.problem is None


def test_not_applicable_and_text():
    assert parse_value("不适用", "件").state == "not_applicable"
    assert np.isnan(parse_value("不适用", "件").value)
    # 三 was refused here before issue 13; a cell now reads Chinese numerals as a report does (see below)
    for bad in ("待核实", "7个", "—", "约", "一二三", "几十", "三个"):
        assert parse_value(bad, "件").problem, bad


# --- template ---------------------------------------------------------------------------------------------------


def test_template_layout_and_validation(tmp_path, reg):
    path = write_template(tmp_path / "模板.xlsx", reg)
    wb = load_workbook(path)
    assert wb.sheetnames == ["数据", "说明"]
    ws = wb["数据"]
    assert [c.value for c in ws[1]] == _header(reg)
    assert ws["E1"].value == "出台行政规范性文件（件）[nd_issued]"
    assert ws.freeze_panes == "E2"
    rules = {str(dv.sqref).split(":")[0]: dv for dv in ws.data_validations.dataValidation}
    assert (rules["D2"].type, rules["D2"].formula1, rules["D2"].formula2) == ("whole", "2000", "2100")
    assert rules["C2"].type == "list" and "区县,街道,部门" in rules["C2"].formula1
    by_col = {}
    for dv in ws.data_validations.dataValidation:
        for rng in str(dv.sqref).split():
            by_col[rng[0]] = dv
    rate = by_col[COLS["nd_filing_rate"]]
    assert (rate.type, rate.operator, rate.formula1, rate.formula2) == ("decimal", "between", "0", "100")
    count = by_col[COLS["nd_issued"]]
    assert (count.type, count.operator, count.formula1) == ("whole", "greaterThanOrEqual", "0")
    assert by_col[COLS["med_amount"]].type == "decimal"
    notes = "\n".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    for word in ("80余", "不适用", "not_reported", "nd_filing_rate", "万元"):
        assert word in notes


def test_template_round_trip(tmp_path, reg):
    path = write_template(tmp_path / "模板.xlsx", reg)
    wb = load_workbook(path)
    ws = wb["数据"]
    ws.append(["示例一区", None, "区县", 2023, 7, 7, 100, "80余", "无", 589.5, "年报"])
    ws.append(["示例一区第一街道", "示例一区", "街道", 2023, "不适用", "不适用", None, 36, 2, None])
    wb.save(path)
    res = _checked(path, reg, UNITS)
    assert res.findings.empty, res.findings
    got = res.facts.set_index(["unit_name", "indicator_id"])
    expected = {
        ("示例一区", "nd_issued"): (7.0, "exact", "数据!E2", "7"),
        ("示例一区", "nd_filing_rate"): (100.0, "exact", "数据!G2", "100"),
        ("示例一区", "med_cases"): (80.0, "approx", "数据!H2", "80余"),
        ("示例一区", "med_complex_cases"): (0.0, "zero_in_words", "数据!I2", "无"),
        ("示例一区", "med_amount"): (589.5, "exact", "数据!J2", "589.5"),
        ("示例一区第一街道", "nd_issued"): (np.nan, "not_applicable", "数据!E3", "不适用"),
        ("示例一区第一街道", "nd_filing_rate"): (np.nan, "not_reported", "数据!G3", ""),
        ("示例一区第一街道", "med_cases"): (36.0, "exact", "数据!H3", "36"),
    }
    for key, (value, state, locator, evidence) in expected.items():
        row = got.loc[key]
        assert (row.value_state, row.locator, row.evidence) == (state, locator, evidence), key
        assert (np.isnan(value) and np.isnan(row.value)) or row.value == value, key
    assert len(res.facts) == 12
    assert set(res.facts["year"]) == {2023} and set(res.facts["scope"]) == {"year"}
    assert got.loc[("示例一区", "med_cases")].approx
    assert set(res.facts["unit_id"]) == {"d1", "d1-s1"}
    assert got.loc[("示例一区第一街道", "med_cases")].parent_name == "示例一区"
    assert got.loc[("示例一区", "nd_issued")].measure == "件" and got.loc[("示例一区", "med_amount")].measure == "万元"
    assert set(res.facts["source_note"]) == {"年报", ""}
    assert not res.facts["is_synthetic"].any()


def test_template_refuses_data_raw(tmp_path, reg, monkeypatch):
    monkeypatch.setenv("ANALYSIS_RAW", str(tmp_path / "raw"))
    with pytest.raises(RawWriteError):
        write_template(tmp_path / "raw" / "datasets" / "模板.xlsx", reg)
    assert not (tmp_path / "raw" / "datasets" / "模板.xlsx").exists()


# --- validation: every problem, with its place -------------------------------------------------------------------

BAD_ROWS = [
    ["示例一区", None, "区县", 2022, 5, 6, None, 30, 3, 10],  # row 2: filed above issued
    ["示例一区", None, "区县", 2023, -1, 2, 120, 30, 40, 5],  # row 3: negative count, rate > 100, part > total
    ["示例二区", None, "区县", 2023, "待核实", 1, 100, 20, 2, 1],  # row 4: text in a number cell
    ["示例九区", None, "区县", 2023, 1, 1, 100, 1, 1, 1],  # row 5: unknown unit
    ["示例二区", None, "区县", None, 1, 1, 100, 1, 1, 1],  # row 6: missing year
    ["示例二区", None, "区县", 2021, 4, 4, 100, 8, 1, 1],  # row 7 and 8: same unit and year, different values
    ["示例二区", None, "区县", 2021, 5, 4, 80, 8, 1, 1],
]


def test_xlsx_reports_every_problem_with_locator(tmp_path, reg):
    header = [*_header(reg)[:-1], "未知指标（件）[no_such_id]"]
    path = _xlsx(tmp_path / "bad.xlsx", header, BAD_ROWS)
    res = _checked(path, reg, UNITS)
    assert list(res.findings.columns) == FINDING_COLUMNS
    assert _problems(res) == {
        ("unknown_indicator_column", "error", "数据!K1"),
        ("at_most", "warning", "数据!F2"),
        ("negative_value", "error", "数据!E3"),
        ("rate_out_of_range", "error", "数据!G3"),
        ("parts_vs_total", "warning", "数据!H3"),
        ("at_most", "warning", "数据!I3"),
        ("text_in_number_cell", "error", "数据!E4"),
        ("unknown_unit", "error", "数据!A5"),
        ("missing_year", "error", "数据!D6"),
        ("duplicate_row", "error", "数据!A7"),
        ("duplicate_row", "error", "数据!A8"),
    }
    assert set(res.findings["source_file"]) == {str(path)}
    f = res.findings.set_index("locator")
    assert "示例九区" in f.loc["数据!A5", "message"]
    assert f.loc["数据!G3", "indicator_id"] == "nd_filing_rate" and f.loc["数据!G3", "year"] == 2023
    assert f.loc["数据!A7", "detail"] == "rows 7, 8"
    assert "数据!I3" in f.loc["数据!H3", "detail"]
    facts = res.facts.set_index(["unit_name", "year", "indicator_id"])
    # error cells and error rows are out, warnings keep their values
    assert ("示例一区", 2023, "nd_issued") not in facts.index
    assert ("示例一区", 2023, "nd_filing_rate") not in facts.index
    assert ("示例二区", 2023, "nd_issued") not in facts.index
    assert facts.loc[("示例二区", 2023, "nd_filed"), "value"] == 1
    assert facts.loc[("示例一区", 2022, "nd_filed"), "value"] == 6
    assert facts.loc[("示例一区", 2023, "med_complex_cases"), "value"] == 40
    assert "示例九区" not in set(res.facts["unit_name"])
    assert 2021 not in set(res.facts["year"].dropna())
    assert res.facts["year"].notna().all()


def test_arithmetic_is_left_to_the_tidy_layer(tmp_path, reg):
    path = _xlsx(tmp_path / "bad.xlsx", _header(reg), BAD_ROWS[:1])
    assert "at_most" not in set(read_dataset(path, reg, UNITS).findings["rule"])
    assert "at_most" in set(_checked(path, reg, UNITS).findings["rule"])


def test_csv_locators_name_row_and_column(tmp_path, reg):
    path = _csv(tmp_path / "bad.csv", _header(reg)[:-1], BAD_ROWS[:3])
    res = _checked(path, reg, UNITS)
    assert _problems(res) == {
        ("at_most", "warning", "row 2, column F (规范性文件备案（件）[nd_filed])"),
        ("negative_value", "error", "row 3, column E (出台行政规范性文件（件）[nd_issued])"),
        ("rate_out_of_range", "error", "row 3, column G (规范性文件报备率（%）[nd_filing_rate])"),
        ("parts_vs_total", "warning", "row 3, column H (调解案件（件）[med_cases])"),
        ("at_most", "warning", "row 3, column I (疑难复杂案件（件）[med_complex_cases])"),
        ("text_in_number_cell", "error", "row 4, column E (出台行政规范性文件（件）[nd_issued])"),
    }


def test_unknown_units_only_checked_when_table_given(tmp_path, reg):
    path = _xlsx(tmp_path / "u.xlsx", _header(reg), [["示例九区", None, "区县", 2023, 1]])
    assert _checked(path, reg).findings.empty
    assert _checked(path, reg, ["示例一区"]).findings["rule"].tolist() == ["unknown_unit"]
    alias = _xlsx(tmp_path / "a.xlsx", _header(reg), [["示例市示例一区", None, "区县", 2023, 1]])
    assert _checked(alias, reg, UNITS).facts["unit_id"].iloc[0] == "d1"


def test_rate_checked_against_its_counts(tmp_path, reg):
    rows = [["示例一区", None, "区县", 2023, 8, 6, 100], ["示例二区", None, "区县", 2023, 8, 6, 75.0]]
    res = _checked(_xlsx(tmp_path / "r.xlsx", _header(reg), rows), reg, UNITS)
    assert _problems(res) == {("rate_vs_counts", "warning", "数据!G2")}
    assert "100% 不符合计数 6/8 = 75.00%" in res.findings["message"].iloc[0]


def test_identical_duplicate_keeps_first_with_warning(tmp_path, reg):
    row = ["示例一区", None, "区县", 2023, 3, 3]
    res = _checked(_xlsx(tmp_path / "d.xlsx", _header(reg), [row, row]), reg, UNITS)
    assert _problems(res) == {("duplicate_row", "warning", "数据!A3")}
    assert set(res.facts["locator"]) >= {"数据!E2"} and "数据!E3" not in set(res.facts["locator"])


def test_approximate_values_skip_arithmetic_checks(tmp_path, reg):
    rows = [["示例一区", None, "区县", 2023, "约5", 6, None, "30余", 35]]
    assert _checked(_xlsx(tmp_path / "a.xlsx", _header(reg), rows), reg).findings.empty


def test_header_problems(tmp_path, reg):
    header = ["单位", "年份", "出台行政规范性文件（项）[nd_issued]", "出台行政规范性文件", "备案[nd_issued]", None]
    rows = [["示例一区", 2023, 3, 3, 3, 9]]
    res = _checked(_xlsx(tmp_path / "h.xlsx", header, rows), reg)
    assert _problems(res) == {
        ("header_unit_mismatch", "warning", "数据!C1"),
        ("unknown_indicator_column", "error", "数据!D1"),
        ("duplicate_indicator_column", "error", "数据!E1"),
        ("unnamed_column", "error", "数据!F1"),
    }
    assert res.facts["indicator_id"].tolist() == ["nd_issued"] and res.facts["locator"].tolist() == ["数据!C2"]
    assert res.facts["unit_type"].tolist() == ["区县"] and res.facts["parent_name"].tolist() == [""]


def test_unit_type_checks(tmp_path, reg):
    rows = [
        ["示例一区第一街道", None, "街道", 2023, 1],
        ["示例一区", "示例市", "区县", 2023, 1],
        ["示例二区", None, "乡镇", 2023, 1],
        ["示例一区第一街道", "示例二区", "街道", 2024, 1],
    ]
    res = _checked(_xlsx(tmp_path / "t.xlsx", _header(reg), rows), reg, UNITS)
    assert _problems(res) == {
        ("unit_type_mismatch", "warning", "数据!C2"),
        ("unit_type_mismatch", "warning", "数据!C3"),
        ("bad_unit_type", "warning", "数据!C4"),
        ("parent_mismatch", "warning", "数据!B5"),
    }
    assert res.facts["value"].notna().sum() == 4 and len(res.facts) == 4 * len(reg)


def test_title_row_above_header_and_sheet_choice(tmp_path, reg):
    wb = Workbook()
    wb.active.title = "封面"
    ws = wb.create_sheet("数据")
    ws.append(["示例市 2023 年度数据"])
    ws.append(_header(reg))
    ws.append(["示例一区", None, "区县", "2023年", 4])
    wb.save(tmp_path / "t.xlsx")
    res = _checked(tmp_path / "t.xlsx", reg)
    assert res.facts.set_index("indicator_id").loc["nd_issued", "locator"] == "数据!E3"
    assert res.facts["year"].iloc[0] == 2023


def test_percent_formatted_cells_are_read_as_percent(tmp_path, reg):
    path = _xlsx(tmp_path / "p.xlsx", _header(reg), [["示例一区", None, "区县", 2023, 8, 8, 0.975]])
    wb = load_workbook(path)
    wb["数据"]["G2"].number_format = "0.0%"
    wb.save(path)
    res = _checked(path, reg)
    rate = res.facts.set_index("indicator_id").loc["nd_filing_rate"]
    assert (rate["value"], rate["evidence"], rate["value_state"]) == (97.5, "97.5%", "exact")
    assert _problems(res) == {("rate_vs_counts", "warning", "数据!G2")}  # 8 of 8 filed is 100 %, not 97.5 %


def test_merged_data_cells_are_filled_with_warning(tmp_path, reg):
    path = _xlsx(tmp_path / "m.xlsx", _header(reg), [["示例一区", None, "区县", 2022, 1], [None, None, None, 2023, 2]])
    wb = load_workbook(path)
    wb["数据"].merge_cells("A2:A3")
    wb.save(path)
    res = _checked(path, reg)
    assert _problems(res) == {("merged_cells", "warning", "数据!A2:A3")}
    assert res.facts.query("indicator_id == 'nd_issued'")["unit_name"].tolist() == ["示例一区", "示例一区"]


# --- encodings and structure ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(tmp_path, reg, encoding):
    note = "䶮字来源" if encoding == "gb18030" else "区统计年报"  # 䶮 is in GB18030 but not in GBK
    rows = [["示例一区", None, "区县", 2023, "7", "约6", "", "无", "", "", note]]
    res = _checked(_csv(tmp_path / f"{encoding}.csv", _header(reg), rows, encoding), reg, UNITS)
    assert res.findings.empty
    facts = res.facts.set_index("indicator_id")
    assert facts.loc["nd_issued", "value"] == 7 and facts.loc["nd_filed", "value_state"] == "approx"
    assert facts.loc["med_cases", "value_state"] == "zero_in_words"
    assert facts.loc["nd_filing_rate", "value_state"] == "not_reported"
    assert set(facts["source_note"]) == {note} and set(facts["unit_name"]) == {"示例一区"}
    assert facts.loc["nd_issued", "locator"] == "row 2, column E (出台行政规范性文件（件）[nd_issued])"


def test_csv_mixing_utf8_and_gbk_lines_is_read_with_a_warning(tmp_path, reg):
    header = ",".join(["单位", "年份", indicator_header(reg.loc["nd_issued"]), "来源"])
    lines = [header.encode(), "示例一区,2023,7,区统计年报".encode("gbk"), "示例二区,2023,5,区统计年报".encode()]
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    res = read_dataset(path, reg)
    assert _problems(res) == {("csv_encoding", "warning", "file")}
    assert "gb18030：第 2 行" in res.findings["message"].iloc[0]
    assert res.facts["unit_name"].tolist() == ["示例一区", "示例二区"] and set(res.facts["source_note"]) == {
        "区统计年报"
    }


def test_bom_does_not_hide_first_header(tmp_path, reg):
    path = _csv(tmp_path / "bom.csv", ["单位", "年份", indicator_header(reg.loc["nd_issued"])], [["示例一区", 2023, 1]],
                "utf-8-sig")  # fmt: skip
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    res = _checked(path, reg)
    assert res.facts["unit_name"].tolist() == ["示例一区"]


def test_structural_errors_name_file_and_place(tmp_path, reg):
    fake = tmp_path / "fake.xlsx"
    fake.write_text("单位,年份\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"fake\.xlsx.*不是可读取的 \.xlsx"):
        read_dataset(fake, reg)
    no_header = _xlsx(tmp_path / "nh.xlsx", ["名称", "数值"], [["示例一区", 1]])
    with pytest.raises(DatasetError, match=r"nh\.xlsx：工作表 数据：找不到表头行"):
        read_dataset(no_header, reg)
    merged = _xlsx(tmp_path / "mh.xlsx", _header(reg), [["示例一区", None, "区县", 2023, 1]])
    wb = load_workbook(merged)
    wb["数据"].merge_cells("E1:F1")
    wb.save(merged)
    with pytest.raises(DatasetError, match=r"mh\.xlsx：工作表 数据：表头有合并单元格 E1:F1"):
        read_dataset(merged, reg)
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(DatasetError, match=r"old\.xls：不支持的文件类型"):
        read_dataset(tmp_path / "old.xls", reg)
    with pytest.raises(DatasetError, match="文件不存在"):
        read_dataset(tmp_path / "missing.csv", reg)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(DatasetError, match=r"empty\.csv：找不到表头行"):
        read_dataset(empty, reg)


def test_input_file_is_never_modified(tmp_path, reg):
    path = _xlsx(tmp_path / "in.xlsx", _header(reg), BAD_ROWS)
    before = (hashlib.sha256(path.read_bytes()).hexdigest(), os.stat(path).st_mtime_ns)
    read_dataset(path, reg, UNITS)
    assert (hashlib.sha256(path.read_bytes()).hexdigest(), os.stat(path).st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx"]
