"""A table → long facts and findings: rows, duplicates, fraction-written rates (the registry arithmetic is added by the tidy layer: analysis.tidy.quality.check_dataset)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from analysis.ingest.datasets.columns import classify_columns
from analysis.ingest.datasets.model import COL_UNIT, DATASET_FACT_COLUMNS, DatasetResult, Table, table_finding
from analysis.ingest.datasets.read import read_table
from analysis.ingest.datasets.rows import Row, read_rows, unit_lookup
from analysis.ingest.datasets.values import norm
from analysis.registry.schema import FINDING_COLUMNS


def _mark_duplicates(rows: list[Row], table: Table, fixed: dict, findings: list[dict]) -> None:
    """Same unit + parent + year twice: identical rows keep the first (warning); differing rows are all dropped."""
    groups: dict[tuple, list[Row]] = {}
    for r in rows:
        if not r.excluded:
            groups.setdefault((norm(r.unit_name), norm(r.parent_name), r.year), []).append(r)
    for dup in groups.values():
        if len(dup) < 2:
            continue
        nums = ", ".join(str(r.rownum) for r in dup)
        signature = {tuple(sorted((k, v[0].value, v[0].state) for k, v in r.cells.items())) for r in dup}
        same = len({repr(s) for s in signature}) == 1
        for k, r in enumerate(dup):
            if same and k == 0:
                continue
            kw = {"unit_id": r.unit_id, "year": r.year}
            if same:
                msg = f"{r.unit_name} {r.year} 与第 {dup[0].rownum} 行重复（数值相同）；重复行被略过"
            else:
                msg = f"{r.unit_name} {r.year} 出现在第 {nums} 行且数值不同；这些行全部被略过"
            findings.append(
                table_finding(
                    "duplicate_row",
                    "warning" if same else "error",
                    msg,
                    table,
                    table.locator(r.rownum, fixed[COL_UNIT]),
                    detail=f"rows {nums}",
                    **kw,
                )
            )
            r.excluded = True


def _facts_frame(rows: list[Row], table: Table) -> pd.DataFrame:
    recs = []
    for row in rows:
        if row.excluded:
            continue
        for iid, (p, loc, evidence) in row.cells.items():
            recs.append(
                {
                    "unit_name": row.unit_name,
                    "parent_name": row.parent_name,
                    "unit_type": row.unit_type,
                    "year": row.year,
                    "indicator_id": iid,
                    "value": p.value,
                    "measure": None,
                    "value_state": p.state,
                    "approx": p.approx,
                    "scope": "year",
                    "source_file": table.source_file,
                    "locator": loc,
                    "evidence": evidence,
                    "is_synthetic": row.synthetic,
                    "unit_id": row.unit_id,
                    "source_note": row.source_note,
                }
            )
    df = pd.DataFrame(recs, columns=DATASET_FACT_COLUMNS)
    df["year"] = df["year"].astype("Int64")
    df["value"] = df["value"].astype("float64")
    df["approx"] = df["approx"].astype(bool)
    df["is_synthetic"] = df["is_synthetic"].astype(bool)
    return df


def _refuse_fraction_rates(facts: pd.DataFrame, columns, table: Table, findings: list[dict]) -> pd.DataFrame:
    """A % column whose non-zero values are all at most 1 (0.95 meant as 95 %) is refused cell by cell with an error
    finding: never rescaled silently, never stored as 0.95 %. A single small rate beside larger ones is kept."""
    rate_ids = {c.indicator_id for c in columns if c.kind == "rate"}
    if facts.empty or not rate_ids:
        return facts
    drop: list = []
    for iid in rate_ids:
        col = facts[(facts["indicator_id"] == iid) & facts["value"].notna() & (facts["value"] != 0)]
        explicit_pct = col["evidence"].astype(str).str.contains("%|％", regex=True)
        cand = col[~explicit_pct]
        if len(cand) >= 2 and (col["value"] <= 1).all():
            for r in cand.itertuples():
                findings.append(
                    table_finding(
                        "rate_as_fraction",
                        "error",
                        f"百分比指标 {iid} 的值 {r.value:g} 像是小数写法（{r.value:g} 应写作 {r.value * 100:g}）；"
                        "该列所有值都不超过 1，未读取也未换算，请按百分数填写",
                        table,
                        r.locator,
                        indicator_id=iid,
                        year=r.year,
                    )
                )
                drop.append(r.Index)
    return facts.drop(index=drop) if drop else facts


def findings_frame(findings: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(findings, columns=FINDING_COLUMNS)
    df["year"] = df["year"].astype("Int64")
    return df


def validate_table(
    table: Table,
    indicators: pd.DataFrame | None = None,
    units: pd.DataFrame | Iterable[str] | None = None,
    synthetic: bool = False,
) -> DatasetResult:
    """Validate a table (from a file or `table_from_frame`) and return its facts and findings."""
    if indicators is None:
        from analysis.registry import load_indicators

        indicators = load_indicators()
    findings: list[dict] = []
    fixed, columns = classify_columns(table, indicators, findings)
    for coord in table.merged_in_data:
        findings.append(
            table_finding(
                "merged_cells",
                "warning",
                f"合并单元格 {coord}：范围内每个单元格都按左上角的值读取",
                table,
                f"{table.sheet}!{coord}",
            )
        )
    for rule, severity, message, locator in table.notes:
        findings.append(table_finding(rule, severity, message, table, locator))
    lookup = unit_lookup(units)
    rows = read_rows(table, fixed, columns, lookup, findings, synthetic)
    _mark_duplicates(rows, table, fixed, findings)
    facts = _facts_frame(rows, table)
    facts["measure"] = facts["indicator_id"].map(indicators["measure"]).astype(object)
    facts = _refuse_fraction_rates(facts, columns, table, findings)
    return DatasetResult(facts=facts, findings=findings_frame(findings), sheet=table.sheet)


def read_dataset(
    path: str | Path,
    indicators: pd.DataFrame | None = None,
    units: pd.DataFrame | Iterable[str] | None = None,
) -> DatasetResult:
    """Import one .xlsx/.csv dataset: long facts plus a finding for every problem (file, sheet, row, column).

    ``indicators`` defaults to the registry; ``units`` (a DataFrame with ``name`` and optional ``aliases``,
    ``unit_id``/``id``, ``parent``; or a list of names) turns unknown unit names into errors. Raises `DatasetError`
    when the file is not a readable table (wrong type, no header row, merged header cells).
    """
    return validate_table(read_table(path), indicators, units)
