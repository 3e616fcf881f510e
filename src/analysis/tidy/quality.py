"""Data-quality rules over candidate observations: a stage that writes findings, never a crash on the first problem.

Rules (each finding names the rule, the unit, year, indicator, file and place):
- ``negative_count``      a count below zero (error: the value is unusable)
- ``rate_out_of_range``   a rate outside 0–100 % (error)
- ``parts_vs_total``      parts (其中…) add up to more than their total (warning), to less (info), or exactly (ok)
- ``rate_vs_counts``      a stated rate disagrees with numerator ÷ denominator beyond the rounding of the written
                          rate (warning), or agrees (ok)
- ``at_most``             e.g. filed ≤ issued, concluded ≤ cases, successes ≤ cases (warning when violated, ok when met)
- ``yoy_jump``            a value ×5 or ÷5 against the previous year of the same unit (warning)

Checks are made within one source (file) and unit-year, so a finding points at the place the numbers came from.
Arithmetic rules skip approximate values (80余 cannot contradict a total). Passing arithmetic checks are kept as ``ok``
rows: the analyst sees 24+19+31+2 = 76 verified, not just silence. An imported dataset gets the arithmetic rules
(``ARITHMETIC_RULES``) through this module too (`check_dataset`), so there is one implementation of each rule.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from analysis.ingest.datasets import DatasetResult, findings_frame
from analysis.registry.findings import finding
from analysis.registry.schema import FINDING_COLUMNS

RANGE_RULES = ("negative_count", "rate_out_of_range")
ARITHMETIC_RULES = ("parts_vs_total", "rate_vs_counts", "at_most")


def rounding_tolerance(stated: float) -> float:
    """Half a unit of the last written decimal of a stated rate (97.5 → 0.05; 98 → 0.5), plus float slack."""
    text = f"{stated:.6f}".rstrip("0").rstrip(".")
    decimals = len(text.split(".")[1]) if "." in text else 0
    return 0.5 * 10.0**-decimals + 1e-6


def _fmt(v: float) -> str:
    return f"{v:g}"


def _finding(rule, severity, key, indicator_id, message, source_file="", locator="", detail="") -> dict:
    unit_id, year = key[1], key[2]
    return finding(
        rule,
        message,
        severity=severity,
        unit_id=unit_id,
        year=int(year) if pd.notna(year) else pd.NA,
        indicator_id=indicator_id,
        source_file=source_file or key[0],
        locator=locator,
        detail=detail,
    )


def _wide(candidates: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Pivot numeric candidates to one row per (source_file, unit_id, year): values, exact values, locators."""
    c = candidates[candidates["value"].notna()]
    c = c.drop_duplicates(["source_file", "unit_id", "year", "indicator_id"])
    idx = ["source_file", "unit_id", "year"]
    values = c.pivot(index=idx, columns="indicator_id", values="value")
    locs = c.pivot(index=idx, columns="indicator_id", values="locator")
    if "approx" in c.columns:
        approx = c.pivot(index=idx, columns="indicator_id", values="approx").fillna(False).astype(bool)
        exact = values.where(~approx)
    else:
        exact = values
    return values, exact, locs


def _locator(locs: pd.DataFrame, key, iid) -> str:
    try:
        v = locs.at[key, iid]
    except KeyError:
        return ""
    return "" if pd.isna(v) else str(v)


def check_candidates(
    candidates: pd.DataFrame, indicators: pd.DataFrame, rules: tuple[str, ...] = RANGE_RULES + ARITHMETIC_RULES
) -> pd.DataFrame:
    """Run the per-source rules on candidate observations and return findings (FINDING_COLUMNS).

    ``candidates`` needs source_file, unit_id, year, indicator_id, value and locator (approx optional)."""
    if candidates.empty:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    values, exact, locs = _wide(candidates)
    out: list[dict] = []
    if set(rules) & set(RANGE_RULES):
        out += _range_findings(values, indicators, locs)
    # the arithmetic rules compare exact values only
    if "parts" in indicators.columns and "parts_vs_total" in rules:
        out += _parts_findings(exact, indicators, locs)
    if "numerator" in indicators.columns and "rate_vs_counts" in rules:
        out += _rate_findings(exact, indicators, locs)
    if "at_most" in indicators.columns and "at_most" in rules:
        out += _at_most_findings(exact, indicators, locs)
    return pd.DataFrame(out, columns=FINDING_COLUMNS)


def _range_findings(values: pd.DataFrame, indicators: pd.DataFrame, locs: pd.DataFrame) -> list[dict]:
    """``rate_out_of_range`` and ``negative_count``: values an indicator cannot take."""
    out: list[dict] = []
    kind = indicators.get("kind", pd.Series(dtype=object))
    names = indicators["name_zh"]
    for iid in values.columns:
        if iid not in indicators.index:
            continue
        col = values[iid].dropna()
        k = kind.get(iid)
        measure = indicators.at[iid, "measure"]
        if k == "rate" or measure == "%":
            bad = col[(col < 0) | (col > 100)]
            for key, v in bad.items():
                out.append(
                    _finding(
                        "rate_out_of_range",
                        "error",
                        key,
                        iid,
                        f"{names[iid]} = {_fmt(v)}% 超出 0–100%",
                        locator=_locator(locs, key, iid),
                    )
                )
        elif k in (None, "count") or (isinstance(k, float) and np.isnan(k)):
            bad = col[col < 0]
            for key, v in bad.items():
                out.append(
                    _finding(
                        "negative_count",
                        "error",
                        key,
                        iid,
                        f"{names[iid]} = {_fmt(v)} 为负数",
                        locator=_locator(locs, key, iid),
                    )
                )
    return out


def _parts_findings(values: pd.DataFrame, indicators: pd.DataFrame, locs: pd.DataFrame) -> list[dict]:
    """``parts_vs_total``: the parts (其中…) against their total."""
    out: list[dict] = []
    names = indicators["name_zh"]
    for total_id, parts in indicators["parts"].dropna().items():
        parts = [p for p in parts if p in values.columns]
        if total_id not in values.columns or not parts:
            continue
        sub = values[[total_id, *parts]].dropna(subset=[total_id])
        sub = sub[sub[parts].notna().any(axis=1)]
        for key, row in sub.iterrows():
            present = [p for p in parts if pd.notna(row[p])]
            s = float(row[present].sum())
            expr = " + ".join(_fmt(row[p]) for p in present)
            total = float(row[total_id])
            complete = len(present) == len(parts)
            if s > total + 1e-9:
                sev, verb = "warning", "大于"
            elif complete and abs(s - total) <= 1e-9:
                sev, verb = "ok", "等于"
            else:
                sev, verb = "info", "小于"
            msg = f"分项 {expr} = {_fmt(s)}，{verb}{names[total_id]} {_fmt(total)}"
            if not complete:
                msg += f"（{len(parts)} 个分项中报告了 {len(present)} 个）"
            detail = "; ".join(f"{p}={_fmt(row[p])} at {_locator(locs, key, p)}" for p in present)
            out.append(
                _finding(
                    "parts_vs_total", sev, key, total_id, msg, locator=_locator(locs, key, total_id), detail=detail
                )
            )
    return out


def _rate_findings(values: pd.DataFrame, indicators: pd.DataFrame, locs: pd.DataFrame) -> list[dict]:
    """``rate_vs_counts``: a stated rate against numerator ÷ denominator, within the rounding of the written rate."""
    out: list[dict] = []
    names = indicators["name_zh"]
    for rate_id, r in indicators.dropna(subset=["numerator"]).iterrows():
        num, den = r["numerator"], r.get("denominator")
        if rate_id not in values.columns or num not in values.columns or den not in values.columns:
            continue
        sub = values[[rate_id, num, den]].dropna()
        for key, row in sub.iterrows():
            if row[den] == 0:
                continue
            computed = 100.0 * row[num] / row[den]
            diff = abs(computed - row[rate_id])
            sev = "warning" if diff > rounding_tolerance(row[rate_id]) else "ok"
            verb = "不符合" if sev == "warning" else "符合"
            out.append(
                _finding(
                    "rate_vs_counts",
                    sev,
                    key,
                    rate_id,
                    f"所写{names[rate_id]} {_fmt(row[rate_id])}% {verb}计数 {_fmt(row[num])}/{_fmt(row[den])} = "
                    f"{computed:.2f}%",
                    locator=_locator(locs, key, rate_id),
                    detail=f"{num} at {_locator(locs, key, num)}; {den} at {_locator(locs, key, den)}",
                )
            )
    return out


def _at_most_findings(values: pd.DataFrame, indicators: pd.DataFrame, locs: pd.DataFrame) -> list[dict]:
    """``at_most``: e.g. filed ≤ issued."""
    out: list[dict] = []
    names = indicators["name_zh"]
    for iid, cap in indicators["at_most"].dropna().items():
        if iid not in values.columns or cap not in values.columns:
            continue
        sub = values[[iid, cap]].dropna()
        for key, row in sub.iterrows():
            ok = row[iid] <= row[cap]
            out.append(
                _finding(
                    "at_most",
                    "ok" if ok else "warning",
                    key,
                    iid,
                    f"{names[iid]} {_fmt(row[iid])} {'≤' if ok else '>'} {names[cap]} {_fmt(row[cap])}",
                    locator=_locator(locs, key, iid),
                    detail=f"{cap} at {_locator(locs, key, cap)}",
                )
            )
    return out


def check_year_jumps(observations: pd.DataFrame, factor: float = 5.0) -> pd.DataFrame:
    """Flag values that jump ×factor or ÷factor against the unit's previous year (both years positive)."""
    o = observations[observations["value"].notna()][
        ["unit_id", "year", "indicator_id", "value", "source_file", "locator"]
    ].sort_values(["unit_id", "indicator_id", "year"])
    prev = o.groupby(["unit_id", "indicator_id"])["value"].shift(1)
    prev_year = o.groupby(["unit_id", "indicator_id"])["year"].shift(1)
    consecutive = (o["year"] - prev_year) == 1
    ratio = o["value"] / prev
    mask = consecutive & (prev > 0) & (o["value"] > 0) & ((ratio >= factor) | (ratio <= 1 / factor))
    rows = o[mask]
    out = [
        finding(
            "yoy_jump",
            f"{_fmt(p)} → {_fmt(r.value)}（上年的 ×{r.value / p:.2f}）",
            severity="warning",
            unit_id=r.unit_id,
            year=int(r.year),
            indicator_id=r.indicator_id,
            source_file=r.source_file,
            locator=r.locator,
        )
        for r, p in zip(rows.itertuples(index=False), prev[mask], strict=True)
    ]
    return pd.DataFrame(out, columns=FINDING_COLUMNS)


def check_dataset(result: DatasetResult, indicators: pd.DataFrame | None = None) -> DatasetResult:
    """An imported dataset with its registry arithmetic per unit-year row (parts ≤ total, at_most, rate ≈ numerator ÷
    denominator) added to its findings; only problems are reported (passing checks are left to the build)."""
    facts = result.facts
    if facts.empty:
        return result
    if indicators is None:
        from analysis.registry import load_indicators

        indicators = load_indicators()
    c = facts.assign(unit_id=facts["unit_id"].fillna(facts["unit_name"]))
    found = check_candidates(c, indicators, rules=ARITHMETIC_RULES)
    found = found[found["severity"] == "warning"]
    if found.empty:
        return result
    findings = findings_frame(result.findings.to_dict("records") + found.to_dict("records"))
    return dataclasses.replace(result, findings=findings)
