"""The area indicator panel: one district-year, one problem area, indicators with value, state and evidence."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from analysis.present.charts import views
from analysis.present.charts.common import STATE_COLORS, Canvas, obs_synthetic, unit_name
from analysis.present.charts.style import (
    AREA_COLORS,
    AREA_LABELS,
    GRID,
    INK,
    MUTED,
    finish,
    new_figure,
)


def panel_axes(fig: Canvas, rows: pd.DataFrame, title: str, area: str, heads: list, footer: str = ""):
    """The frame of a table-like indicator panel (title in the area colour, column heads, rule); None — after
    writing 本领域暂无指标 — when there are no rows."""
    ax = fig.add_subplot()
    n = max(len(rows), 1) + (1 if footer else 0)
    ax.set_xlim(0, 1)
    ax.set_ylim(n + 0.2, -1.0)
    ax.axis("off")
    ax.set_title(title, color=AREA_COLORS.get(area, INK), loc="left")
    for x, h in heads:
        ax.text(x, -0.45, h, fontsize=8.5, color=MUTED, va="center")
    ax.axhline(-0.05, color=GRID, lw=0.8)
    if rows.empty:
        ax.text(0, 0.5, "本领域暂无指标", color=MUTED, va="center")
        return None
    return ax


def stripe(ax, i: int) -> None:
    """Every other row of a panel on a light band."""
    if i % 2 == 1:
        ax.axhspan(i, i + 1, color="#f7fafc", zorder=0)


def panel_footer(ax, n_rows: int, footer: str) -> None:
    """The grey line under a panel's rows (e.g. the indicators left out)."""
    if footer:
        ax.text(0.0, n_rows + 0.5, views.short(footer, 90), fontsize=8, va="center", color=MUTED)


def draw_area_panel(
    fig: Canvas, rows: pd.DataFrame, title: str, area: str, evidence_chars: int = 34, footer: str = ""
) -> None:
    """Table-like panel: indicator, value with its state, state, short evidence. 未报告 rows are grey, never 0.

    ``footer`` is an extra grey line under the rows (e.g. the indicators left out of a compact panel).
    """
    heads = [(0.0, "指标"), (0.34, "数值"), (0.52, "状态"), (0.62, "原文依据（摘要）")]
    ax = panel_axes(fig, rows, title, area, heads, footer)
    if ax is None:
        return
    for i, r in enumerate(rows.itertuples(index=False)):
        y = i + 0.5
        color = STATE_COLORS.get(r.value_state, INK)
        stripe(ax, i)
        ax.text(0.0, y, views.short(r.name_zh, 16), fontsize=9, va="center", color=INK)
        ax.text(0.34, y, r.value_text, fontsize=9, va="center", color=color)
        state = "" if r.value_state == "not_reported" else views.STATE_LABELS.get(r.value_state, r.value_state)
        ax.text(0.52, y, state, fontsize=8, va="center", color=MUTED)
        note = (
            ""
            if r.value_state == "not_reported"
            else views.evidence_note(r.evidence, r.value, r.source_file, r.locator, evidence_chars)
        )
        ax.text(0.62, y, note, fontsize=7.5, va="center", color=MUTED)
    panel_footer(ax, len(rows), footer)


def area_panel_figure(
    obs: pd.DataFrame,
    indicators: pd.DataFrame,
    unit_id: str,
    year: int,
    area: str,
    units: pd.DataFrame | None = None,
    max_rows: int = 24,
    rates: pd.DataFrame | None = None,
) -> Figure:
    """One district-year, one problem area: indicators with value, unit, value state and evidence note.

    Reported indicators come first; beyond ``max_rows`` the rest are named in a footer line ("另有N项未报告…").
    """
    all_rows = views.profile_rows(obs, indicators, unit_id, year, area, rates)
    rows, footer = views.compact_rows(all_rows, max_rows)
    name = (
        unit_name(units, unit_id)
        if units is not None
        else str(
            obs.loc[obs["unit_id"] == unit_id, "unit_name"].iloc[0] if (obs["unit_id"] == unit_id).any() else unit_id
        )
    )
    fig = new_figure(10, 0.32 * (max(len(rows), 1) + (1 if footer else 0)) + 1.5)
    n_rep = int((all_rows["value_state"] != "not_reported").sum())
    title = f"{name} {year}年 {AREA_LABELS.get(area, area)}（已报告 {n_rep}/{len(all_rows)} 项）"
    draw_area_panel(fig, rows, title, area, footer=footer)
    src = views.source_text(rows["source_file"], "原文句子与位置见证据表；“未报告”表示报告未提及，不等于0")
    return finish(fig, src, obs_synthetic(obs, unit_id, units))
