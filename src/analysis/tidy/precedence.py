"""Source precedence: one value per unit, year and indicator from the candidates (``choose``; disagreeing candidates
are kept as conflicts), and an explicit not-reported row for every indicator a unit-year did not report
(``complete_grid``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SCOPE_ORDER = {
    "year": 0,
    "to_date": 1,
    "half_year": 2,
    "partial_period": 3,
    "cumulative": 4,
    "per_unit": 5,
    "prior_year": 6,
    "change": 7,
}


DEFAULT_PRECEDENCE = ["correction", "dataset", "report", "sample"]


SOURCE_KIND_ZH = {"correction": "更正账本", "dataset": "数据集", "report": "报告", "sample": "示例数据"}


def choose(candidates: pd.DataFrame, precedence: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rank candidates per (unit, year, indicator): source precedence, then scope (全年 before 截至/累计), then
    exact before approximate, then order of appearance. Return (ranked candidates, conflicts)."""
    if candidates.empty:
        return candidates.assign(precedence_rank=pd.Series(dtype=int)), pd.DataFrame()
    c = candidates.reset_index(drop=True).copy()
    c["_src"] = c["source_kind"].map({k: i for i, k in enumerate(precedence)}).fillna(len(precedence))
    c["_scope"] = c["scope"].map(SCOPE_ORDER).fillna(len(SCOPE_ORDER))
    c["_order"] = np.arange(len(c))
    key = ["unit_id", "year", "indicator_id"]
    c = c.sort_values([*key, "_src", "_scope", "approx", "_order"], kind="stable")
    c["precedence_rank"] = c.groupby(key).cumcount()
    # conflicts: a key whose candidates disagree in value (beyond float noise) across sources or facts
    vals = c[c["value"].notna()]
    spread = vals.groupby(key)["value"].agg(["min", "max", "count"])
    bad = spread[(spread["count"] > 1) & ~np.isclose(spread["min"], spread["max"])].index
    conflicts = pd.DataFrame()
    if len(bad):
        cc = vals.set_index(key).loc[bad].reset_index()
        conflicts = cc[
            [
                *key,
                "value",
                "approx",
                "value_state",
                "scope",
                "source_kind",
                "source_file",
                "locator",
                "evidence",
                "precedence_rank",
            ]
        ].assign(chosen=lambda d: d["precedence_rank"] == 0)
    return c.drop(columns=["_src", "_scope", "_order"]), conflicts


def complete_grid(chosen: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Add a not_reported row (value NA) for every registry indicator a unit-year did not report."""
    uy = chosen[["unit_id", "year"]].drop_duplicates()
    grid = uy.merge(pd.DataFrame({"indicator_id": indicators.index}), how="cross")
    merged = grid.merge(chosen, on=["unit_id", "year", "indicator_id"], how="left", indicator=True)
    missing = merged["_merge"] == "left_only"
    merged.loc[missing, "value_state"] = "not_reported"
    merged.loc[missing, "approx"] = False
    merged.loc[missing, "measure"] = merged.loc[missing, "indicator_id"].map(indicators["measure"])
    merged.loc[missing, "source_kind"] = ""
    merged = merged.drop(columns="_merge")
    extra = chosen[~chosen["indicator_id"].isin(indicators.index)]
    return pd.concat([merged, extra], ignore_index=True)
