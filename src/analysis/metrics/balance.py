"""P1 balance: how evenly a district's streets (街道) or departments (部门) perform on each indicator.

For each parent district, year, sub-unit level and indicator: the number of sub-units reporting, P10 and P90 (linear
interpolation), the P90–P10 spread, and the sub-units worse than the indicator's explicit target (registry target,
config per-indicator goal, or 100 % for higher-better rates; below it for higher-better, above it for lower-better).
P10/P90 need at least ``balance.min_units`` sub-units; counts without an explicit target get no below-target list.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BALANCE_COLUMNS = [
    "parent_unit_id",
    "year",
    "unit_level",
    "indicator_id",
    "n_units",
    "p10",
    "p90",
    "spread_p90_p10",
    "target",
    "n_below_target",
    "units_below_target",
]


def compute_balance(
    unit_names: np.ndarray,
    parents: np.ndarray,
    levels: np.ndarray,
    years: np.ndarray,
    indicator_ids: np.ndarray,
    value: np.ndarray,
    meta: pd.DataFrame,
    config: dict,
) -> pd.DataFrame:
    """The balance table for every sub-unit level listed in config ``balance.levels``."""
    bal = config["balance"]
    subs = np.flatnonzero(np.isin(levels, bal["levels"]) & (parents != ""))
    if len(subs) == 0:
        return pd.DataFrame(columns=BALANCE_COLUMNS)
    v = value[subs]
    u, y, i = np.nonzero(~np.isnan(v))
    target = meta["balance_target"].to_numpy(dtype=float)[i]
    direction = meta["direction"].to_numpy(dtype=object)[i]
    vals = v[u, y, i]
    below = np.where(direction == "lower_better", vals > target, vals < target) & ~np.isnan(target)
    below &= direction != "neutral"
    long = pd.DataFrame(
        {
            "parent_unit_id": parents[subs][u],
            "year": years[y],
            "unit_level": levels[subs][u],
            "indicator_id": indicator_ids[i],
            "value": vals,
            "target": target,
            "below": below,
            "name": unit_names[subs][u],
        }
    )
    keys = ["parent_unit_id", "year", "unit_level", "indicator_id"]
    g = long.groupby(keys, sort=True)
    lo, hi = bal["quantiles"]
    out = g.agg(n_units=("value", "size"), target=("target", "first"), n_below_target=("below", "sum"))
    out["p10"] = g["value"].quantile(lo)
    out["p90"] = g["value"].quantile(hi)
    few = out["n_units"] < bal["min_units"]
    out.loc[few, ["p10", "p90"]] = np.nan
    out["spread_p90_p10"] = out["p90"] - out["p10"]
    names = long[long["below"]].sort_values("name").groupby(keys)["name"].agg(", ".join)
    out["units_below_target"] = names.reindex(out.index).fillna("")
    out["n_below_target"] = out["n_below_target"].astype("Float64").where(out["target"].notna(), pd.NA)
    out = out.reset_index()
    return out[BALANCE_COLUMNS]
