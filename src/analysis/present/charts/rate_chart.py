"""Rates with their Wilson 95 % intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.present.charts import views
from analysis.present.charts.common import Canvas, unit_name
from analysis.present.charts.style import (
    GRID,
    INK,
    MUTED,
    finish,
    new_figure,
    synthetic_flag,
)


def draw_rates(fig: Canvas, rates: pd.DataFrame, labels: list[str], title: str, color: str = INK) -> None:
    """Dot + Wilson 95 % interval per row on 0–100 %, with '97.5%（230/236）' printed at the right."""
    ax = fig.add_subplot()
    n = len(rates)
    ys = np.arange(n)
    ax.set_xlim(-2, 102)
    ax.set_ylim(n - 0.5, -0.7)
    ax.set_yticks(ys, labels)
    ax.set_xlabel("比率（%），横线为95%置信区间（Wilson），空心点为报告所述比率（无计数）")
    ax.xaxis.grid(True, color=GRID, lw=0.6)
    ax.set_axisbelow(True)
    ax.set_title(title)
    for y, r in zip(ys, rates.itertuples(index=False), strict=True):
        label = views.rate_label(r.rate, r.numerator, r.denominator, r.approx, getattr(r, "source", ""))
        if views.is_missing(r.rate):
            ax.text(1, y, label, va="center", color=MUTED, fontsize=8.5)
            continue
        has_ci = not views.is_missing(r.ci_low) and not views.is_missing(r.ci_high)
        if has_ci:
            ax.plot([r.ci_low, r.ci_high], [y, y], color=color, lw=2.2, alpha=0.45, solid_capstyle="butt")
        ax.plot([r.rate], [y], "o", color=color, ms=6, mfc=color if has_ci else "white", clip_on=False)
        ax.annotate(
            label,
            (102, y),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=8.5,
            annotation_clip=False,
            color=INK,
        )


def rates_figure(
    rates: pd.DataFrame,
    units: pd.DataFrame,
    indicators: pd.DataFrame,
    by: str = "indicator",
    title: str = "",
    source: str = "",
    drop_missing: bool | None = None,
) -> Figure:
    """Rates of one unit (rows = indicators, ``by='indicator'``) or one indicator across units (``by='unit'``).

    Rows without a rate are left out for ``by='indicator'`` (counted in the note) and kept as "未报告" for
    ``by='unit'`` (a district that did not report is information); ``drop_missing`` overrides.
    """
    names = views.indicator_names(indicators)
    df = rates.reset_index(drop=True)
    drop = (by != "unit") if drop_missing is None else drop_missing
    n_missing = int(df["rate"].isna().sum())
    if drop:
        df = df[df["rate"].notna()].reset_index(drop=True)
    if by == "unit":
        labels = [unit_name(units, u) for u in df["unit_id"]]
    else:
        labels = [views.short(names.get(i, i), 14) for i in df["indicator_id"]]
    fig = new_figure(9.5, 0.42 * max(len(df), 1) + 1.6)
    draw_rates(fig, df, labels, title)
    note = source or "比率=分子/分母，由报告计数计算；区间为Wilson 95%置信区间，样本小则区间宽；见证据表"
    if drop and n_missing:
        note += f"；另有{n_missing}项比率未报告或无法计算，未列出"
    return finish(fig, note, synthetic_flag(df["unit_id"], units))
