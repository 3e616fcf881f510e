"""Balance across streets and departments: values per sub-unit with the P10–P90 band and the target."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.present.charts import views
from analysis.present.charts.common import Canvas, unit_name
from analysis.present.charts.style import (
    CHANGE_COLORS,
    GRID,
    INK,
    MUTED,
    finish,
    new_figure,
    synthetic_flag,
)


def draw_balance(
    fig: Canvas, values: pd.DataFrame, bal: pd.Series | None, title: str, measure_label: str, below: set[str]
) -> None:
    """Bars per sub-unit sorted by value; P10–P90 band shaded; target line; units below target in red."""
    ax = fig.add_subplot()
    df = values.sort_values("value", ascending=False, na_position="last").reset_index(drop=True)
    ys = np.arange(len(df))
    ax.set_title(title)
    ax.set_ylim(len(df) - 0.5, -0.6)
    vmax = float(np.nanmax(df["value"].astype(float))) if df["value"].notna().any() else 1.0
    if bal is not None and not views.is_missing(bal.get("p10")) and not views.is_missing(bal.get("p90")):
        ax.axvspan(float(bal["p10"]), float(bal["p90"]), color="#edf2f7", zorder=0)
        ax.text(float(bal["p10"]), -0.55, "P10–P90 ", color=MUTED, fontsize=8, va="bottom", ha="right")
    target = bal.get("target") if bal is not None else None
    if not views.is_missing(target):
        ax.axvline(float(target), color=INK, ls="--", lw=1)
        ax.text(float(target), -0.55, f" 目标{views.fmt_number(target)}", fontsize=8, color=INK, va="bottom")
        vmax = max(vmax, float(target))
    for y, r in zip(ys, df.itertuples(index=False), strict=True):
        if views.is_missing(r.value):
            ax.text(0, y, " 未报告", va="center", color=MUTED, fontsize=8.5)
            continue
        c = CHANGE_COLORS["worse"] if r.unit_id in below else "#4a5568"
        ax.barh(y, float(r.value), color=c, height=0.6)
        ax.text(
            float(r.value),
            y,
            f" {views.value_text(r.value, measure_label, r.value_state, r.approx)}",
            va="center",
            fontsize=8.5,
        )
    ax.set_xlim(0, (105 if measure_label == "%" and vmax <= 100 else vmax * 1.25) if vmax > 0 else 1)
    ax.set_yticks(ys, df["name"].tolist())
    ax.xaxis.grid(True, color=GRID, lw=0.6)
    ax.set_axisbelow(True)


def _direction(indicators: pd.DataFrame, indicator_id: str) -> str:
    if "direction" not in indicators.columns:
        return "higher_better"
    ids = indicators["id"] if "id" in indicators.columns else indicators.index.to_series()
    hit = indicators.loc[ids.astype(str).to_numpy() == indicator_id, "direction"]
    return str(hit.iloc[0]) if len(hit) else "higher_better"


def below_target(values: pd.DataFrame, target: float, direction: str) -> set[str]:
    """Units whose reported value misses the target (below it, or above it for lower_better); not reported excluded."""
    v = values[values["value"].notna()]
    if direction == "lower_better":
        return set(v.loc[v["value"].astype(float) > target, "unit_id"])
    if direction == "neutral":
        return set()
    return set(v.loc[v["value"].astype(float) < target, "unit_id"])


def balance_figure(
    balance: pd.DataFrame,
    obs: pd.DataFrame,
    units: pd.DataFrame,
    indicators: pd.DataFrame,
    parent_unit_id: str,
    year: int,
    indicator_id: str,
) -> Figure:
    """Streets/departments of one district on one indicator: P10–P90 band, target, units below target."""
    sub = obs[
        (obs["parent_unit_id"] == parent_unit_id)
        & (obs["year"] == int(year))
        & (obs["indicator_id"] == indicator_id)
        & (obs["unit_level"].isin(["street", "department"]))
    ]
    vals = sub[["unit_id", "unit_name", "value", "value_state", "approx"]].rename(columns={"unit_name": "name"})
    vals = vals.assign(value=vals["value"].astype("Float64"))
    b = balance[
        (balance["parent_unit_id"] == parent_unit_id)
        & (balance["year"] == int(year))
        & (balance["indicator_id"] == indicator_id)
    ]
    bal = b.iloc[0] if len(b) else None
    if bal is not None and "unit_level" in bal.index and not views.is_missing(bal["unit_level"]):
        sub = sub[sub["unit_level"] == bal["unit_level"]]
        vals = vals[vals["unit_id"].isin(sub["unit_id"])]
    below = set()
    if bal is not None and not views.is_missing(bal.get("units_below_target")):
        listed = {u.strip() for u in str(bal["units_below_target"]).split(",") if u.strip()}
        # metrics lists the units by name (or id); the bars are keyed by unit id
        below = set(vals.loc[vals["name"].isin(listed) | vals["unit_id"].isin(listed), "unit_id"])
    names = views.indicator_names(indicators)
    measure_label = str(sub["measure"].dropna().iloc[0]) if "measure" in sub and sub["measure"].notna().any() else ""
    if not below and bal is not None and not views.is_missing(bal.get("target")):
        below = below_target(vals, float(bal["target"]), _direction(indicators, indicator_id))
    fig = new_figure(9.0, 0.36 * max(len(vals), 1) + 1.8)
    title = f"{unit_name(units, parent_unit_id)} {year}年 {names.get(indicator_id, indicator_id)}：街道/部门分布"
    draw_balance(fig, vals, bal, title, measure_label, below)
    note = "灰色带为P10–P90区间；红色为低于目标的单位"
    if bal is None or views.is_missing(bal.get("spread_p90_p10")):
        note = "单位数过少，未计算P10–P90区间"
    else:
        note += f"；P90–P10差距{views.fmt_number(bal['spread_p90_p10'])}"
        if not views.is_missing(bal.get("n_below_target")):
            note += f"，低于目标{int(bal['n_below_target'])}个"
    note += "；" + views.source_text(sub.get("source_file", []))
    return finish(fig, note, synthetic_flag(list(vals["unit_id"]) + [parent_unit_id], units))
