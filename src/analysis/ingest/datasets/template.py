"""The fill-in Excel template: one column per indicator, input validation, and the 说明 sheet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from analysis.core.io import atomic_path, neutralise_workbook
from analysis.ingest.datasets.model import (
    COL_PARENT,
    COL_SOURCE,
    COL_TYPE,
    COL_UNIT,
    COL_YEAR,
    DATA_SHEET,
    FIXED_COLUMNS,
    NOTES_SHEET,
    TEMPLATE_ROWS,
    UNIT_TYPES,
    YEAR_MAX,
    YEAR_MIN,
)
from analysis.ingest.datasets.values import indicator_header, indicator_kind

_KIND_HELP = {
    "rate": "百分比，0–100 之间的数（不写 % 号也可）",
    "count": "非负整数",
    "money": "非负数（万元）",
    "amount": "非负数",
}

VALUE_STATE_NOTES = [
    ("7", "exact", "准确数 / exact number"),
    (
        "80余、约80、近80、80多",
        "approx",
        "约数，按 80 记录并标记为约数 / approximation, recorded as 80",
    ),
    ("无、零", "zero_in_words", "文字表述的零，记为 0 / zero in words, recorded as 0"),
    ("0", "exact", "准确的零 / exact zero"),
    ("（空白）", "not_reported", "未报告，不是 0 / not reported (never read as 0)"),
    ("不适用", "not_applicable", "该单位不适用此指标 / does not apply to this unit"),
]


def _validation(kind: str) -> DataValidation:
    common = {
        "allow_blank": True,
        "showErrorMessage": True,
        "showInputMessage": True,
        "errorStyle": "warning",
        "errorTitle": "请核对 / please check",
    }
    if kind == "rate":
        return DataValidation(
            type="decimal",
            operator="between",
            formula1="0",
            formula2="100",
            error="比率应在 0–100 之间；约数、无、不适用可保留。Rates are 0–100.",
            **common,
        )
    if kind == "count":
        return DataValidation(
            type="whole",
            operator="greaterThanOrEqual",
            formula1="0",
            error="应为非负整数；约数（80余）、无、不适用可保留。Counts are whole numbers ≥ 0.",
            **common,
        )
    return DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        error="应为非负数；约数、无、不适用可保留。Amounts are ≥ 0.",
        **common,
    )


def _notes_sheet(wb: Workbook, indicators: pd.DataFrame) -> None:
    ws = wb.create_sheet(NOTES_SHEET)
    bold = Font(bold=True)
    ws.append(["法治政府建设年度指标数据填报说明 / How to fill in the yearly indicator sheet"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([])
    ws.append(["固定列 / fixed column", "含义 / meaning"])
    for row in (
        (
            COL_UNIT,
            "单位名称（区县、街道或部门），须与单位名录一致 / unit name as in the units list",
        ),
        (
            COL_PARENT,
            "上级单位（街道、部门所属区县）；区县留空 / parent district; empty for districts",
        ),
        (COL_TYPE, "区县 / 街道 / 部门"),
        (COL_YEAR, f"年份，{YEAR_MIN}–{YEAR_MAX} 的整数 / year"),
        (COL_SOURCE, "来源说明（可选）/ optional source note"),
    ):
        ws.append(list(row))
    ws.append([])
    ws.append(["填写方式 / cell value", "记录为 / value_state", "说明 / meaning"])
    for row in VALUE_STATE_NOTES:
        ws.append(list(row))
    ws.append([])
    ws.append(
        [
            "指标列 / indicator column",
            "指标代码 / id",
            "计量单位 / unit",
            "类型 / kind",
            "填写要求 / input",
        ]
    )
    for _, entry in indicators.iterrows():
        kind = indicator_kind(entry)
        ws.append(
            [
                indicator_header(entry),
                entry["id"],
                entry["measure"],
                kind,
                _KIND_HELP.get(kind, ""),
            ]
        )
    for row in ws.iter_rows():
        if row[0].value in (
            "固定列 / fixed column",
            "填写方式 / cell value",
            "指标列 / indicator column",
        ):
            for c in row:
                c.font = bold
    for letter, width in zip("ABCDE", (44, 30, 40, 10, 40), strict=True):
        ws.column_dimensions[letter].width = width


def _header_row(ws, headers: list[str]) -> None:
    """Row 1 of the data sheet: bold wrapped headers on a light fill, sized columns, frozen below and right of 年份."""
    ws.append(headers)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    for c in ws[1]:
        c.font = Font(bold=True)
        c.fill = head_fill
        c.alignment = Alignment(wrap_text=True, vertical="center")
    ws.row_dimensions[1].height = 48
    for i, h in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(i)].width = 14 if i <= len(FIXED_COLUMNS) else max(12, len(h) * 0.9)
    ws.freeze_panes = "E2"


def _fixed_column_validations(ws, last: int) -> None:
    """Input validation of the fixed columns: 年份 a whole year in range, 单位类型 one of the unit types."""
    year_dv = DataValidation(
        type="whole",
        operator="between",
        formula1=str(YEAR_MIN),
        formula2=str(YEAR_MAX),
        allow_blank=False,
        showErrorMessage=True,
        errorTitle="年份 / year",
        error=f"年份应为 {YEAR_MIN}–{YEAR_MAX} 之间的整数 / year must be {YEAR_MIN}–{YEAR_MAX}",
    )
    year_dv.add(f"D2:D{last}")
    type_dv = DataValidation(
        type="list",
        formula1='"' + ",".join(UNIT_TYPES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="单位类型",
        error="请选择 区县 / 街道 / 部门",
    )
    type_dv.add(f"C2:C{last}")
    ws.add_data_validation(year_dv)
    ws.add_data_validation(type_dv)


def write_template(path: str | Path, indicators: pd.DataFrame | None = None) -> Path:
    """Write an empty fill-in .xlsx (sheet 数据 with Chinese headers, validation and frozen header; sheet 说明)."""
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise ValueError(f"{target}：模板只能写成 .xlsx 工作簿")
    if indicators is None:
        from analysis.registry import load_indicators

        indicators = load_indicators()
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    headers = [
        *FIXED_COLUMNS,
        *(indicator_header(e) for _, e in indicators.iterrows()),
        COL_SOURCE,
    ]
    _header_row(ws, headers)
    last = TEMPLATE_ROWS
    _fixed_column_validations(ws, last)
    by_kind: dict[str, DataValidation] = {}
    for i, (_, entry) in enumerate(indicators.iterrows(), start=len(FIXED_COLUMNS) + 1):
        kind = indicator_kind(entry)
        if kind not in by_kind:
            by_kind[kind] = _validation(kind)
            ws.add_data_validation(by_kind[kind])
        letter = get_column_letter(i)
        by_kind[kind].add(f"{letter}2:{letter}{last}")
    _notes_sheet(wb, indicators)
    neutralise_workbook(wb)  # headers and notes come from the registry: never a formula in the analyst's Excel
    with atomic_path(target) as tmp:
        wb.save(tmp)
    return target
