"""Data-quality rules over candidate observations: a stage that writes findings, never a crash on the first problem.

Rules (each finding names the rule, the unit, year, indicator, file and place):
- ``negative_count``      a count below zero (error)
- ``rate_out_of_range``   a rate outside 0–100 % (error)
- ``parts_vs_total``      parts (其中…) add up to more than their total (error), to less (info), or exactly (ok)
- ``rate_vs_counts``      a stated rate disagrees with numerator ÷ denominator beyond rounding (warning), or agrees (ok)
- ``at_most``             e.g. filed ≤ issued, concluded ≤ cases, successes ≤ cases (error when violated, ok when checked)
- ``yoy_jump``            a value ×5 or ÷5 against the previous year of the same unit (warning)

Checks are made within one source (file) and unit-year, so a finding points at the place the numbers came from.
Passing arithmetic checks are kept as ``ok`` rows: the analyst sees 24+19+31+2 = 76 verified, not just silence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.schema import FINDING_COLUMNS

# A stated rate is usually rounded to one decimal; allow half a unit of the last place plus float slack.
RATE_TOLERANCE_PP = 0.051


def _fmt(v: float) -> str:
    return f"{v:g}"


def _finding(rule, severity, key, indicator_id, message, source_file="", locator="", detail="") -> dict:
    unit_id, year = key[1], key[2]
    return {
        "rule": rule,
        "severity": severity,
        "unit_id": unit_id,
        "year": int(year) if pd.notna(year) else pd.NA,
        "indicator_id": indicator_id,
        "message": message,
        "source_file": source_file or key[0],
        "locator": locator,
        "detail": detail,
    }


def _wide(candidates: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pivot numeric candidates to one row per (source_file, unit_id, year): values and locators."""
    c = candidates[candidates["value"].notna()]
    c = c.drop_duplicates(["source_file", "unit_id", "year", "indicator_id"])
    idx = ["source_file", "unit_id", "year"]
    values = c.pivot(index=idx, columns="indicator_id", values="value")
    locs = c.pivot(index=idx, columns="indicator_id", values="locator")
    return values, locs


def check_candidates(candidates: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Run the per-source rules on candidate observations and return findings (FINDING_COLUMNS)."""
    if candidates.empty:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    values, locs = _wide(candidates)
    out: list[dict] = []
    kind = indicators.get("kind", pd.Series(dtype=object))
    names = indicators["name_zh"]

    def loc(key, iid) -> str:
        try:
            v = locs.at[key, iid]
        except KeyError:
            return ""
        return "" if pd.isna(v) else str(v)

    for iid in values.columns:
        if iid not in indicators.index:
            continue
        col = values[iid].dropna()
        k = kind.get(iid)
        unit = indicators.at[iid, "unit"]
        if k == "rate" or unit == "%":
            bad = col[(col < 0) | (col > 100)]
            for key, v in bad.items():
                out.append(
                    _finding(
                        "rate_out_of_range",
                        "error",
                        key,
                        iid,
                        f"{names[iid]} = {_fmt(v)}% is outside 0–100 %",
                        locator=loc(key, iid),
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
                        f"{names[iid]} = {_fmt(v)} is negative",
                        locator=loc(key, iid),
                    )
                )

    if "parts" in indicators.columns:
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
                    sev, verb = "error", "exceed"
                elif complete and abs(s - total) <= 1e-9:
                    sev, verb = "ok", "equal"
                else:
                    sev, verb = "info", "fall short of"
                msg = f"parts {expr} = {_fmt(s)} {verb} {names[total_id]} {_fmt(total)}"
                if not complete:
                    msg += f" ({len(present)} of {len(parts)} parts reported)"
                out.append(
                    _finding(
                        "parts_vs_total", sev, key, total_id, msg, locator=loc(key, total_id), detail=",".join(present)
                    )
                )

    if "numerator" in indicators.columns:
        rates = indicators.dropna(subset=["numerator"])
        for rate_id, r in rates.iterrows():
            num, den = r["numerator"], r.get("denominator")
            if rate_id not in values.columns or num not in values.columns or den not in values.columns:
                continue
            sub = values[[rate_id, num, den]].dropna()
            for key, row in sub.iterrows():
                if row[den] == 0:
                    continue
                computed = 100.0 * row[num] / row[den]
                diff = abs(computed - row[rate_id])
                sev = "warning" if diff > RATE_TOLERANCE_PP else "ok"
                verb = "disagrees with" if sev == "warning" else "agrees with"
                out.append(
                    _finding(
                        "rate_vs_counts",
                        sev,
                        key,
                        rate_id,
                        f"stated {names[rate_id]} {_fmt(row[rate_id])}% {verb} {_fmt(row[num])}/{_fmt(row[den])} = "
                        f"{computed:.2f}%",
                        locator=loc(key, rate_id),
                    )
                )

    if "at_most" in indicators.columns:
        for iid, cap in indicators["at_most"].dropna().items():
            if iid not in values.columns or cap not in values.columns:
                continue
            sub = values[[iid, cap]].dropna()
            for key, row in sub.iterrows():
                ok = row[iid] <= row[cap]
                out.append(
                    _finding(
                        "at_most",
                        "ok" if ok else "error",
                        key,
                        iid,
                        f"{names[iid]} {_fmt(row[iid])} {'≤' if ok else '>'} {names[cap]} {_fmt(row[cap])}",
                        locator=loc(key, iid),
                    )
                )
    return pd.DataFrame(out, columns=FINDING_COLUMNS)


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
        {
            "rule": "yoy_jump",
            "severity": "warning",
            "unit_id": r.unit_id,
            "year": int(r.year),
            "indicator_id": r.indicator_id,
            "message": f"{_fmt(p)} → {_fmt(r.value)} (×{r.value / p:.2f}) against the previous year",
            "source_file": r.source_file,
            "locator": r.locator,
            "detail": "",
        }
        for r, p in zip(rows.itertuples(index=False), prev[mask], strict=True)
    ]
    return pd.DataFrame(out, columns=FINDING_COLUMNS)
