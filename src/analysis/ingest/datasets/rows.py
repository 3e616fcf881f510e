"""Data rows → unit, year and parsed cells, with a finding for every row or cell problem."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.ingest.datasets.columns import Column
from analysis.ingest.datasets.model import (
    COL_NATURE,
    COL_PARENT,
    COL_SOURCE,
    COL_TYPE,
    COL_UNIT,
    COL_YEAR,
    MAX_ABS_VALUE,
    SYNTHETIC_MARK,
    UNIT_TYPES,
    YEAR_MAX,
    YEAR_MIN,
    Parsed,
    Table,
    table_finding,
)
from analysis.ingest.datasets.values import cell_text, norm, parse_value, parse_year
from analysis.registry.units import alias_list


def unit_lookup(units: pd.DataFrame | Iterable[str] | None) -> dict[str, dict] | None:
    """name/alias → {unit_id, parent_name} from a units table (columns name, optional aliases, unit_id/id, parent)."""
    if units is None:
        return None
    if not isinstance(units, pd.DataFrame):
        return {norm(str(n)): {"unit_id": None, "parent_name": None} for n in units}
    id_col = "unit_id" if "unit_id" in units.columns else ("id" if "id" in units.columns else None)
    id_to_name = dict(zip(units[id_col], units["name"], strict=True)) if id_col else {}
    out: dict[str, dict] = {}
    for rec in units.to_dict("records"):
        parent = rec.get("parent")
        info = {
            "unit_id": rec.get(id_col) if id_col else None,
            "parent_name": id_to_name.get(parent, parent) if isinstance(parent, str) and parent else None,
        }
        names = [rec["name"], *alias_list(rec.get("aliases"))]
        for n in names:
            out[norm(str(n))] = info
    return out


def _cell(cells: list[object], idx: int | None) -> object:
    return cells[idx] if idx is not None and idx < len(cells) else None


def _check_value(p: Parsed, col: Column) -> tuple[str, str] | None:
    """(rule, message) when a readable value is impossible for its indicator, else None."""
    if p.problem:
        return "text_in_number_cell", p.problem
    if np.isnan(p.value):
        return None
    if not np.isfinite(p.value):
        return "non_finite_value", f"数值 {p.value} 不是有限数（溢出或无穷大），未读取"
    if abs(p.value) > MAX_ABS_VALUE:
        return (
            "absurd_value",
            f"数值 {p.value:g} {col.measure} 大得不合理（超过 {MAX_ABS_VALUE:g}），未读取",
        )
    if col.kind == "rate" and not 0 <= p.value <= 100:
        return "rate_out_of_range", f"比率 {p.value:g}% 超出 0–100%"
    if p.value < 0:
        return "negative_value", f"数值 {p.value:g}{col.measure} 为负数"
    return None


@dataclass
class Row:
    rownum: int
    unit_name: str
    parent_name: str
    unit_type: str
    year: int | None
    unit_id: object
    source_note: str
    synthetic: bool
    cells: dict[str, tuple[Parsed, str, str]]  # indicator_id → (parsed, locator, evidence)
    excluded: bool = False


def read_rows(
    table: Table,
    fixed: dict,
    columns: list[Column],
    lookup: dict | None,
    findings: list[dict],
    synthetic: bool,
) -> list[Row]:
    """Every non-blank data row with its checks; a row problem marks the row excluded, a cell problem drops the cell."""
    out: list[Row] = []
    for rownum, cells in table.rows:
        if not any(cell_text(c) for c in cells):
            continue
        row, info = _row_fields(rownum, cells, fixed, lookup, synthetic)
        _row_checks(
            row,
            info,
            lookup,
            cell_text(_cell(cells, fixed.get(COL_YEAR))),
            table,
            fixed,
            findings,
        )
        _check_unit_type(row, info, table, fixed, findings)
        _read_row_values(row, cells, columns, table, findings)
        out.append(row)
    return out


def _row_fields(
    rownum: int, cells: list[object], fixed: dict, lookup: dict | None, synthetic: bool
) -> tuple[Row, dict | None]:
    """The fixed columns of one row, and the unit's entry in the units table (None when unknown or not given)."""
    name = cell_text(_cell(cells, fixed.get(COL_UNIT)))
    nature = cell_text(_cell(cells, fixed.get(COL_NATURE)))
    info = lookup.get(norm(name)) if lookup is not None and name else None
    row = Row(
        rownum,
        name,
        cell_text(_cell(cells, fixed.get(COL_PARENT))),
        cell_text(_cell(cells, fixed.get(COL_TYPE))),
        parse_year(_cell(cells, fixed.get(COL_YEAR))),
        info["unit_id"] if info else None,
        cell_text(_cell(cells, fixed.get(COL_SOURCE))),
        synthetic or nature == SYNTHETIC_MARK,
        {},
    )
    return row, info


def _row_checks(
    row: Row,
    info: dict | None,
    lookup: dict | None,
    year_text: str,
    table: Table,
    fixed: dict,
    findings: list[dict],
) -> None:
    """Unit name (present, in the units table) and year (present, readable, in range); a problem excludes the row."""
    year = row.year
    kw = {"unit_id": row.unit_id, "year": year}
    unit_loc = table.locator(row.rownum, fixed[COL_UNIT])
    year_loc = table.locator(row.rownum, fixed[COL_YEAR])
    if not row.unit_name:
        findings.append(
            table_finding(
                "missing_unit_name",
                "error",
                "该行有数值但没有填 单位；整行被略过",
                table,
                unit_loc,
                **kw,
            )
        )
        row.excluded = True
    elif lookup is not None and info is None:
        from analysis.registry.units import suggest

        close = suggest(row.unit_name, list(lookup))
        hint = f"；您是否要找：{'、'.join(close)}" if close else ""
        findings.append(
            table_finding(
                "unknown_unit",
                "error",
                f"单位 {row.unit_name!r} 不在单位名录中{hint}（拼写有误请改正；新单位请加入 config/units.yaml）；整行被略过",
                table,
                unit_loc,
                **kw,
            )
        )
        row.excluded = True
    if year is None:
        rule, msg = ("missing_year", "年份 为空") if not year_text else ("bad_year", f"年份 {year_text!r} 不是年份")
        findings.append(table_finding(rule, "error", f"{msg}；整行被略过", table, year_loc, **kw))
        row.excluded = True
    elif not YEAR_MIN <= year <= YEAR_MAX:
        findings.append(
            table_finding(
                "bad_year",
                "error",
                f"年份 {year} 超出 {YEAR_MIN}–{YEAR_MAX}；整行被略过",
                table,
                year_loc,
                **kw,
            )
        )
        row.excluded = True


def _read_row_values(
    row: Row,
    cells: list[object],
    columns: list[Column],
    table: Table,
    findings: list[dict],
) -> None:
    """The indicator cells of one row into ``row.cells``; an impossible value is a finding and is left out."""
    kw = {"unit_id": row.unit_id, "year": row.year}
    for col in columns:
        raw = _cell(cells, col.index)
        loc = table.locator(row.rownum, col.index)
        parsed = parse_value(raw, col.measure)
        bad = _check_value(parsed, col)
        if bad:
            findings.append(
                table_finding(
                    bad[0],
                    "error",
                    f"{col.indicator_id}：{bad[1]}；该数值被略过",
                    table,
                    loc,
                    indicator_id=col.indicator_id,
                    detail=f"单元格内容：{cell_text(raw)}",
                    **kw,
                )
            )
            continue
        if col.kind == "count" and not np.isnan(parsed.value) and not float(parsed.value).is_integer():
            findings.append(
                table_finding(
                    "fractional_count",
                    "warning",
                    f"{col.indicator_id}：计数 {parsed.value:g} 不是整数",
                    table,
                    loc,
                    indicator_id=col.indicator_id,
                    **kw,
                )
            )
        row.cells[col.indicator_id] = (parsed, loc, cell_text(raw))


def _check_unit_type(row: Row, info: dict | None, table: Table, fixed: dict, findings: list[dict]) -> None:
    kw = {"unit_id": row.unit_id, "year": row.year}
    type_loc = table.locator(row.rownum, fixed.get(COL_TYPE, fixed[COL_UNIT]))
    if not row.unit_type and not row.parent_name:
        row.unit_type = "区县"
    elif row.unit_type not in UNIT_TYPES:
        findings.append(
            table_finding(
                "bad_unit_type",
                "warning",
                f"单位类型 {row.unit_type!r} 不是 {'/'.join(UNIT_TYPES)} 之一",
                table,
                type_loc,
                **kw,
            )
        )
    else:
        msg = None
        if row.unit_type == "区县" and row.parent_name:
            msg = f"{row.unit_name} 是区县，但填了上级单位 {row.parent_name!r}（区县的上级单位留空）"
        elif row.unit_type != "区县" and not row.parent_name:
            msg = f"{row.unit_name} 是{row.unit_type}，但没有填上级单位（所属区县）"
        if msg:
            findings.append(table_finding("unit_type_mismatch", "warning", msg, table, type_loc, **kw))
    if info and info.get("parent_name") and row.parent_name and norm(row.parent_name) != norm(info["parent_name"]):
        loc = table.locator(row.rownum, fixed.get(COL_PARENT, fixed[COL_UNIT]))
        findings.append(
            table_finding(
                "parent_mismatch",
                "warning",
                f"{row.unit_name}：上级单位 {row.parent_name!r} 与单位名录（{info['parent_name']!r}）不一致",
                table,
                loc,
                **kw,
            )
        )
