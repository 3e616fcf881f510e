"""The header row → fixed columns and indicator columns (by the registry id in brackets), with findings."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from analysis.ingest.datasets.model import (
    COL_UNIT,
    COL_YEAR,
    FIXED_COLUMNS,
    OPTIONAL_COLUMNS,
    DatasetError,
    Table,
    table_finding,
)
from analysis.ingest.datasets.values import cell_text, indicator_kind, norm

_HEADER_ID_RE = re.compile(r"\[\s*([A-Za-z][A-Za-z0-9_]*)\s*\]\s*$")
_HEADER_UNIT_RE = re.compile(r"\(([^()]*)\)\s*\[")


@dataclass(frozen=True)
class Column:
    index: int
    indicator_id: str
    measure: str
    kind: str


def classify_columns(table: Table, indicators: pd.DataFrame, findings: list[dict]) -> tuple[dict, list[Column]]:
    """Header cells → fixed columns (name → index) and indicator columns; a column that cannot be used is a finding."""
    fixed: dict[str, int] = {}
    columns: list[Column] = []
    seen_ids: dict[str, int] = {}
    hr = table.header_row
    for i, raw in enumerate(table.header):
        name = norm(raw)
        if not name:
            if any(i < len(cells) and cell_text(cells[i]) for _, cells in table.rows):
                findings.append(
                    table_finding(
                        "unnamed_column",
                        "error",
                        "该列有数值但没有表头；其数值被略过",
                        table,
                        table.locator(hr, i),
                    )
                )
            continue
        if name in FIXED_COLUMNS or name in OPTIONAL_COLUMNS:
            if name in fixed:
                raise DatasetError(f"{table.source_file}：{table.locator(hr, i)}：列 {name} 出现了两次")
            fixed[name] = i
            continue
        column = _indicator_column(table, indicators, i, raw, seen_ids, findings)
        if column is not None:
            columns.append(column)
    missing = [c for c in (COL_UNIT, COL_YEAR) if c not in fixed]
    if missing:
        raise DatasetError(f"{table.source_file}：表头第 {hr} 行：缺少列 {'、'.join(missing)}")
    return fixed, columns


def _indicator_column(
    table: Table,
    indicators: pd.DataFrame,
    i: int,
    raw: str,
    seen_ids: dict[str, int],
    findings: list[dict],
) -> Column | None:
    """Header ``raw`` of column ``i`` as an indicator column (by the id in brackets), or None with a finding."""
    name = norm(raw)
    m = _HEADER_ID_RE.search(name)
    iid = m.group(1) if m else None
    loc = table.locator(table.header_row, i)
    if iid is None or iid not in indicators.index:
        why = "没有 [指标id]" if iid is None else f"写的指标 id {iid!r} 不在指标库中"
        findings.append(
            table_finding(
                "unknown_indicator_column",
                "error",
                f"列 {raw!r} {why}；其数值被略过",
                table,
                loc,
                indicator_id=iid,
            )
        )
        return None
    if iid in seen_ids:
        findings.append(
            table_finding(
                "duplicate_indicator_column",
                "error",
                f"指标 {iid} 在列 {raw!r} 中重复出现；只读取第一列",
                table,
                loc,
                indicator_id=iid,
                detail=f"first: {table.locator(table.header_row, seen_ids[iid])}",
            )
        )
        return None
    seen_ids[iid] = i
    entry = indicators.loc[iid]
    measure = str(entry["measure"])
    um = _HEADER_UNIT_RE.search(name)
    if um and norm(um.group(1)) != norm(measure):
        findings.append(
            table_finding(
                "header_unit_mismatch",
                "warning",
                f"表头写的单位是 {um.group(1)!r}，但指标 {iid} 的单位是 {measure!r}；数值按 {measure} 读取",
                table,
                loc,
                indicator_id=iid,
            )
        )
    return Column(i, iid, measure, indicator_kind(entry))
