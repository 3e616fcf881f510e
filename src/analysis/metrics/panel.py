"""The dense panel every metric works on: values as a (unit × year × indicator) numpy cube.

The tidy observations table is long (one row per unit, year, indicator). Metrics need aligned lookups (numerator and
denominator of the same unit-year, the same cell one year earlier, all indicators of an area), so the long table is
laid out once into dense arrays indexed by integer codes; every metric is then a vectorised numpy expression.
Missing stays NaN (never 0). Only figures whose scope is comparable (config ``comparable_scopes``, default 全年)
enter the panel; cumulative, to-date and half-year figures are kept out of comparisons.

Also derives per-indicator metadata from the registry and the config: kind (rate/count/money), fixed anchors
(floor, goal), weight and whether the indicator is scored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.metrics.config import SCORED_AREAS


@dataclass
class Panel:
    """Observations laid out densely. Unit attributes are aligned with axis 0, years with axis 1, indicators with 2."""

    unit_ids: np.ndarray  # object, sorted
    unit_names: np.ndarray
    unit_levels: np.ndarray
    parents: np.ndarray  # object; '' when the unit has no parent
    years: np.ndarray  # int64, contiguous min..max
    indicator_ids: np.ndarray  # registry order
    value: np.ndarray  # float64 (U, Y, I), NaN = not reported / not comparable
    approx: np.ndarray  # bool (U, Y, I)
    row: np.ndarray  # bool (U, Y, I): the tidy table has a row (value or explicit not_reported)
    has_unit_year: np.ndarray  # bool (U, Y): the unit has any row that year

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.value.shape  # type: ignore[return-value]


def _col(df: pd.DataFrame, name: str, default: object) -> pd.Series:
    return df[name] if name in df.columns else pd.Series(default, index=df.index)


def _as_bool(s: pd.Series) -> np.ndarray:
    if s.dtype == bool:
        return s.to_numpy()
    return s.fillna(False).astype(bool).to_numpy()


def as_category(codes: np.ndarray, categories: np.ndarray | list) -> pd.Categorical:
    """A categorical column from integer codes (cheap for millions of rows; stored as a dictionary in parquet)."""
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=list(categories))


def labels_to_category(labels: np.ndarray) -> pd.Categorical:
    """A categorical column from an object array of (mostly repeated) strings."""
    codes, uniques = pd.factorize(np.asarray(labels, dtype=object))
    return as_category(codes, uniques)


def frame(columns: dict[str, object]) -> pd.DataFrame:
    """A DataFrame from equal-length column arrays without consolidating them into 2-D blocks (no copy of
    millions of values); scalars are broadcast."""
    n = next((len(v) for v in columns.values() if np.ndim(v) > 0), 0)
    series = []
    for name, v in columns.items():
        if np.ndim(v) == 0:
            v = np.full(n, v, dtype=object if isinstance(v, str) else None)
        series.append(pd.Series(v, name=name))
    if not series:
        return pd.DataFrame()
    return pd.concat(series, axis=1)


def build_panel(observations: pd.DataFrame, indicator_ids: pd.Index, comparable_scopes: list[str]) -> Panel:
    """Lay the tidy observations out as a dense cube over the registry's indicators (unknown ids are ignored)."""
    obs = observations
    keep, ind_code, prec = _usable_rows(obs, indicator_ids, comparable_scopes)
    idx = np.flatnonzero(keep)
    ind_code = ind_code[idx]
    u_codes_all, u_uniques = pd.factorize(obs["unit_id"], sort=True)
    used = np.bincount(u_codes_all[idx], minlength=len(u_uniques)) > 0
    unit_codes = (np.cumsum(used) - 1)[u_codes_all[idx]]
    unit_uniques = np.asarray(u_uniques, dtype=object)[used]
    year_all = obs["year"].to_numpy()[idx].astype(np.int64)
    if len(idx):
        y0, y1 = int(year_all.min()), int(year_all.max())
    else:
        y0, y1 = 0, -1
    years = np.arange(y0, y1 + 1, dtype=np.int64)
    n_u, n_y, n_i = len(unit_uniques), len(years), len(indicator_ids)
    flat = (unit_codes.astype(np.int64) * n_y + (year_all - y0)) * n_i + ind_code
    pick, cells = _one_row_per_cell(flat, idx, prec, n_u * n_y * n_i)

    values = pd.to_numeric(obs["value"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)[pick]
    if "value_state" in obs.columns:
        state = obs["value_state"]
        not_rep = state.eq("not_reported").fillna(False).to_numpy(dtype=bool)[pick]
        st_apx = state.eq("approx").fillna(False).to_numpy(dtype=bool)[pick]
    else:
        not_rep = st_apx = np.zeros(len(pick), dtype=bool)
    values = np.where(not_rep, np.nan, values)
    approx = _as_bool(_col(obs, "approx", False))[pick] | st_apx

    value = np.full(n_u * n_y * n_i, np.nan)
    value[cells] = values
    apx = np.zeros(n_u * n_y * n_i, dtype=bool)
    apx[cells] = approx & ~np.isnan(values)
    row = np.zeros(n_u * n_y * n_i, dtype=bool)
    row[cells] = True
    row = row.reshape(n_u, n_y, n_i)

    unit_ids, names, levels, parents = _unit_columns(obs, unit_codes, idx, unit_uniques, n_u)
    return Panel(
        unit_ids=unit_ids,
        unit_names=names.astype(object),
        unit_levels=levels,
        parents=parents.astype(object),
        years=years,
        indicator_ids=np.asarray(indicator_ids, dtype=object),
        value=value.reshape(n_u, n_y, n_i),
        approx=apx.reshape(n_u, n_y, n_i),
        row=row,
        has_unit_year=row.any(axis=2),
    )


def _usable_rows(
    obs: pd.DataFrame, indicator_ids: pd.Index, comparable_scopes: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of a registry indicator, a comparable scope and a year; each row's indicator position; precedence."""
    i_codes, i_uniques = pd.factorize(obs["indicator_id"])
    i_map = np.append(indicator_ids.get_indexer(pd.Index(i_uniques, dtype=object)), -1)
    ind_code = i_map[i_codes]  # code -1 (NA id) maps to the appended -1
    scope_ok = np.ones(len(obs), dtype=bool)
    if "scope" in obs.columns:
        scope = obs["scope"]
        scope_ok = (scope.isna() | scope.isin([*comparable_scopes, ""])).to_numpy(dtype=bool)
    year_s = obs["year"]
    keep = (ind_code >= 0) & scope_ok & year_s.notna().to_numpy(dtype=bool)
    if "precedence_rank" in obs.columns:
        prec = pd.to_numeric(obs["precedence_rank"], errors="coerce").to_numpy(dtype=float, na_value=np.inf)
    else:
        prec = np.zeros(len(obs))
    return keep, ind_code, prec


def _one_row_per_cell(flat: np.ndarray, idx: np.ndarray, prec: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows to use and their cells; the lowest precedence_rank wins (the tidy table should already be unique)."""
    if len(flat) and np.bincount(flat, minlength=size).max() > 1:
        order = np.lexsort((prec[idx], flat))
        flat_sorted = flat[order]
        first = np.r_[True, flat_sorted[1:] != flat_sorted[:-1]]
        pick = idx[order[first]]
        cells = flat_sorted[first]
    else:
        pick, cells = idx, flat

    return pick, cells


def _unit_columns(
    obs: pd.DataFrame, unit_codes: np.ndarray, idx: np.ndarray, unit_uniques: np.ndarray, n_u: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per unit: id, name, level and parent, from its first row."""
    first_seen = pd.Series(unit_codes).drop_duplicates()  # unit code -> position of its first row
    first_row = np.zeros(n_u, dtype=np.int64)
    first_row[first_seen.to_numpy()] = idx[first_seen.index.to_numpy()]
    unit_ids = np.asarray(unit_uniques, dtype=object)
    names = _col(obs, "unit_name", None).iloc[first_row].to_numpy(dtype=object)
    names = np.where(pd.isna(names), unit_ids, names)
    levels = _col(obs, "unit_level", "district").iloc[first_row].fillna("district").to_numpy(dtype=object)
    parents = _col(obs, "parent_unit_id", "").iloc[first_row].fillna("").to_numpy(dtype=object)
    return unit_ids, names, levels, parents


def _opt(ind: pd.DataFrame, col: str) -> pd.Series:
    if col in ind.columns:
        return ind[col].astype(object).where(ind[col].notna(), None)
    return pd.Series([None] * len(ind), index=ind.index, dtype=object)


def indicator_meta(indicators: pd.DataFrame, config: dict) -> pd.DataFrame:
    """Per-indicator facts the metrics need, in registry order.

    Columns: area, direction, measure, kind (rate/count/money), is_rate, numerator, denominator, target, floor, goal,
    anchor_source, weight, scored (enters an area score), balance_target, min_denominator (registry, else config),
    role (outcome/activity/volume), role_led (the registry has roles: outcome-led scoring), core (in the area's core
    outcome set of config roles.core_outcomes).
    """
    ind = indicators
    kind = _opt(ind, "kind")
    measure = ind["measure"].astype(str)
    is_rate = (kind == "rate") | ((kind.isna()) & (measure == "%"))
    kind_out = np.where(is_rate, "rate", np.where((kind == "money") | (measure == "万元"), "money", "count"))
    target = pd.to_numeric(_opt(ind, "target"), errors="coerce")
    norm_cfg = config["normalization"]
    per = norm_cfg["per_indicator"]
    anchors = [
        _anchor(iid, direction, u, rate, tgt, norm_cfg)
        for iid, direction, u, rate, tgt in zip(ind.index, ind["direction"], measure, is_rate, target, strict=True)
    ]
    floors, gls, srcs = [a[0] for a in anchors], [a[1] for a in anchors], [a[2] for a in anchors]
    weights = pd.Series([config["indicator_weights"].get(i, 1.0) for i in ind.index], index=ind.index)
    floor_s = pd.Series(floors, index=ind.index, dtype=float)
    goal_s = pd.Series(gls, index=ind.index, dtype=float)
    min_den = pd.to_numeric(_opt(ind, "min_denominator"), errors="coerce").fillna(config["ranking"]["min_denominator"])
    role, role_led = _roles(ind, is_rate)
    core_cfg = config.get("roles", {}).get("core_outcomes", {})
    core = pd.Series(
        [iid in core_cfg.get(a, []) for iid, a in zip(ind.index, ind["area"], strict=True)], index=ind.index
    )
    scored = ind["area"].isin(SCORED_AREAS) & goal_s.notna() & (weights > 0)
    if role_led:
        scored &= role != "volume"
    bal_target = _balance_target(ind, target, per, is_rate, goal_s)
    return pd.DataFrame(
        {
            "area": ind["area"],
            "direction": ind["direction"],
            "measure": measure,
            "kind": kind_out,
            "is_rate": is_rate.astype(bool),
            "numerator": _opt(ind, "numerator"),
            "denominator": _opt(ind, "denominator"),
            "target": target,
            "floor": floor_s,
            "goal": goal_s,
            "anchor_source": srcs,
            "weight": weights,
            "scored": scored.astype(bool),
            "balance_target": bal_target.astype(float),
            "min_denominator": min_den.astype(float),
            "role": role.astype(object),
            "role_led": role_led,
            "core": core.astype(bool),
        },
        index=ind.index,
    )


def _anchor(iid: str, direction: str, u: str, rate: bool, tgt: float, norm_cfg: dict) -> tuple[float, float, str]:
    """(floor, goal, anchor_source) of one indicator: config per_indicator, else the rate default, else the count
    anchor of its measure word; a registry target overrides the goal (and sets a floor when there is none)."""
    per, goals = norm_cfg["per_indicator"], norm_cfg["count_goal_by_measure"]
    floor = goal = np.nan
    src = ""
    if direction == "neutral":
        src = "neutral: not normalised"
    elif iid in per:
        floor, goal, src = per[iid]["floor"], per[iid]["goal"], "config per_indicator"
    elif rate:
        a = norm_cfg["rate"][direction]
        floor, goal, src = a["floor"], a["goal"], f"rate default ({direction})"
    elif u in goals:
        g = goals[u]
        floor, goal = (0.0, g) if direction == "higher_better" else (g, 0.0)
        src = f"count anchor by unit {u}"
    else:
        src = f"no anchor for unit {u}: not normalised"
    if not np.isnan(tgt) and direction != "neutral" and iid not in per:
        if np.isnan(floor):
            floor = 0.0 if direction == "higher_better" else 2 * tgt
        goal = float(tgt)
        src = "registry target"
        if floor == goal:
            floor, goal, src = np.nan, np.nan, "registry target equals floor: not normalised"
    return floor, goal, src


def _roles(ind: pd.DataFrame, is_rate: pd.Series) -> tuple[pd.Series, bool]:
    # roles (issue 9): a registry with a `role` column scores outcome-led (volume never scored, activities a minority
    # share); an inline registry without roles keeps plain equal weights. A role left empty is derived: rate →
    # outcome, neutral → volume, otherwise activity.
    role_raw = _opt(ind, "role")
    role_led = bool(role_raw.notna().any())
    derived = np.where(is_rate, "outcome", np.where(ind["direction"] == "neutral", "volume", "activity"))
    role = role_raw.where(role_raw.notna(), pd.Series(derived, index=ind.index, dtype=object))
    return role, role_led


def _balance_target(
    ind: pd.DataFrame, target: pd.Series, per: dict, is_rate: pd.Series, goal_s: pd.Series
) -> pd.Series:
    # target for "below target" in balance: explicit targets only (registry, per-indicator config, rate default goal)
    bal_target = target.where(target.notna() & (ind["direction"] != "neutral"))
    per_goal = pd.Series({i: per[i]["goal"] for i in ind.index if i in per}, dtype=float)
    bal_target = bal_target.fillna(per_goal.reindex(ind.index))
    bal_target = bal_target.where(bal_target.notna() | ~is_rate, goal_s)
    return bal_target
