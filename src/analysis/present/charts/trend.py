"""Trend sparklines: area scores over the years on one shared 0–100 scale, with change marks."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.present.charts import views
from analysis.present.charts.common import MARK_GLYPH, Canvas, axis_note, score_axis_start, unit_name
from analysis.present.charts.style import (
    AREA_COLORS,
    AREA_LABELS,
    AREA_ORDER,
    CHANGE_COLORS,
    GRID,
    INK,
    MUTED,
    finish,
    new_figure,
    synthetic_flag,
)


def change_mark(prev: object, cur: object, neutral_band: float) -> str:
    """'up' / 'down' / 'flat' (|Δ| < neutral_band) / 'na' for two scores on the 0–100 scale."""
    if views.is_missing(prev) or views.is_missing(cur):
        return "na"
    d = float(cur) - float(prev)
    if abs(d) < neutral_band:
        return "flat"
    return "up" if d > 0 else "down"


def draw_sparklines(
    fig: Canvas,
    scores: pd.DataFrame,
    areas: list[str],
    neutral_band: float = 1.0,
    title: str | None = None,
    alerts: dict[str, str] | None = None,
) -> None:
    """One small line per area, all on ONE shared 0–100 axis; the last change is marked ▲/▼ or ■ (neutral band).

    When the scores carry ``headline_mark``/``worsened`` (metrics area_scores), an area whose outcome indicator got
    worse is marked ▼ in red whatever its score did — never a green ▲ — with ``alerts[area]`` (the narrative's
    sentence naming the indicator and both years' counts) as its text."""
    axes = fig.subplots(1, len(areas), sharey=True, squeeze=False)[0]
    start = score_axis_start(scores.loc[scores["area"].isin(areas), "score"]) if len(scores) else 0
    if title:
        fig.suptitle(title + axis_note(start), x=0.01, ha="left", fontsize=11, color=INK)
    years = sorted(scores["year"].dropna().astype(int).unique()) if len(scores) else []
    for ax, area in zip(axes, areas, strict=True):
        s = scores[scores["area"] == area].set_index("year")["score"].reindex(years)
        color = AREA_COLORS.get(area, INK)
        ax.set_ylim(start, 100)
        ax.set_yticks(sorted({start, round((start + 100) / 2), 100}))
        ax.yaxis.grid(True, color=GRID, lw=0.6)
        ax.set_axisbelow(True)
        ax.set_title(AREA_LABELS.get(area, area), fontsize=9.5, color=color)
        if not years:
            ax.text(0.5, 0.5, "无数据", transform=ax.transAxes, ha="center", color=MUTED)
            continue
        x = np.array(years, dtype=float)
        y = s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        ax.plot(x, y, color=color, lw=1.8, marker="o", ms=3.5)
        ax.set_xticks(
            [years[0], years[-1]] if len(years) > 1 else years,
            [str(v) for v in ([years[0], years[-1]] if len(years) > 1 else years)],
        )
        ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
        valid = s.dropna()
        if valid.empty:
            ax.text(0.5, 0.5, "未能计算", transform=ax.transAxes, ha="center", color=MUTED, fontsize=8.5)
            continue
        _annotate_last_change(ax, scores, s, valid, area, neutral_band, alerts)


def trend_figure(
    area_scores: pd.DataFrame,
    units: pd.DataFrame,
    unit_id: str,
    years: list[int] | None = None,
    neutral_band: float = 1.0,
    areas: list[str] | None = None,
) -> Figure:
    """Area-score sparklines of one unit over the years, on one shared 0–100 scale, with change marks."""
    sc = area_scores[area_scores["unit_id"] == unit_id]
    if years:
        sc = sc[sc["year"].isin([int(y) for y in years])]
    areas = areas or [a for a in (*AREA_ORDER, "overall") if a in set(area_scores["area"])] or list(AREA_ORDER)
    fig = new_figure(2.6 * len(areas) + 0.6, 3.0)
    draw_sparklines(fig, sc, areas, neutral_band, f"{unit_name(units, unit_id)} 各领域得分趋势（各领域同一刻度）")
    note = f"▲上升 ▼下降；变化小于{neutral_band:g}分视为无实质变化（■）；得分按固定目标/锚点标准化；见证据表"
    return finish(fig, note, synthetic_flag([unit_id], units))


def _annotate_last_change(
    ax, scores: pd.DataFrame, s: pd.Series, valid: pd.Series, area: str, neutral_band: float, alerts: dict | None
) -> None:
    """The last score with its change mark; ▼ in red with the alert text when an outcome got worse."""
    last_year, last = int(valid.index[-1]), float(valid.iloc[-1])
    prev = s.get(last_year - 1, pd.NA)
    mark = change_mark(prev, last, neutral_band)
    better = {"up": "better", "down": "worse", "flat": "neutral"}.get(mark, "na")
    worsened = ""
    if "worsened" in scores.columns and last_year in s.index:
        w = scores[(scores["area"] == area) & (scores["year"] == last_year)]["worsened"]
        worsened = "" if w.empty or views.is_missing(w.iloc[0]) else str(w.iloc[0])
    mc = CHANGE_COLORS[better] if better != "na" else MUTED
    if worsened:
        mc = CHANGE_COLORS["worse"]
        alert = (alerts or {}).get(area) or "结果指标下降"
        txt = "\n▼ " + "\n".join(textwrap.wrap(views.short(alert.rstrip("。"), 32), 16))
    elif mark == "na":
        txt = "无上年可比"
    elif mark == "flat":
        txt = f"无实质变化（±{neutral_band:g}内）"
    else:
        txt = f"{MARK_GLYPH[mark]} {last - float(prev):+.1f}"
    ax.text(0.02, 0.04, f"{last_year}年 {last:.1f}  {txt}", transform=ax.transAxes, fontsize=8, color=mc)
