"""The change heat map: per district and indicator the change on last year."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from analysis.present.charts import views
from analysis.present.charts.common import MARK_GLYPH, Canvas, unit_name
from analysis.present.charts.style import (
    CHANGE_COLORS,
    GRID,
    INK,
    MUTED,
    finish,
    new_figure,
    synthetic_flag,
)


def heatmap_matrix(
    changes: pd.DataFrame,
    unit_ids: list[str],
    indicator_ids: list[str],
    year: int,
    rate_ids: set[str] | frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """Rows indicators, columns units; cells hold (better, change, mark) of the change into ``year``.

    ``better`` is 'neutral' when the change is inside the neutral band, 'na' when there is nothing to compare. The
    change is the cell's printed number: for rates (``rate_ids``) the difference in percentage points, for counts the
    relative change in %, or — when last year was 0 and no % exists — the absolute difference (marked with '差').
    """
    ch = changes[
        (changes["year"] == int(year)) & changes["unit_id"].isin(unit_ids) & changes["indicator_id"].isin(indicator_ids)
    ]
    # one dict per (indicator, unit): a MultiIndex .loc per cell cost ~1 s for a city's 30 × 10 cells
    rows = {
        (r["indicator_id"], r["unit_id"]): r for r in ch.drop_duplicates(["unit_id", "indicator_id"]).to_dict("records")
    }
    cells: dict[str, dict[str, tuple]] = {}
    for i in indicator_ids:
        cells[i] = {}
        for u in unit_ids:
            r = rows.get((i, u))
            if r is not None:
                better = "neutral" if bool(r.get("within_neutral_band", False)) else str(r.get("better", "na"))
                cells[i][u] = (
                    better if better in CHANGE_COLORS else "na",
                    _change_text(r, i in rate_ids),
                    r.get("mark", "na"),
                )
            else:
                cells[i][u] = ("na", pd.NA, "na")
    return pd.DataFrame.from_dict(cells, orient="index").reindex(columns=unit_ids)


def _change_text(r: dict, is_rate: bool) -> object:
    """'+9.1' (percentage points, rates), '+12%' (counts), '+3差' (counts from 0); NA when nothing to compare."""
    delta, dpct = r.get("delta", pd.NA), r.get("delta_pct", pd.NA)
    if views.is_missing(delta):
        return pd.NA
    if is_rate:
        return f"{float(delta):+.1f}"
    if not views.is_missing(dpct):
        return f"{round(float(dpct)):+d}%"
    return f"{'+' if float(delta) >= 0 else '−'}{views.fmt_number(abs(float(delta)))}"


def drop_empty_columns(mat: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Leave out the units (columns) without a single comparable change; returns (matrix, left-out unit ids)."""
    keep = [c for c in mat.columns if any(cell[0] != "na" for cell in mat[c])]
    return mat[keep], [c for c in mat.columns if c not in keep]


def pick_heatmap_rows(mat: pd.DataFrame, max_rows: int) -> pd.DataFrame:
    """Keep the indicators with the most real (better/worse) changes, then those with any data; at most max_rows."""
    real = mat.apply(lambda row: sum(c[0] in ("better", "worse") for c in row), axis=1)
    data = mat.apply(lambda row: sum(c[0] != "na" for c in row), axis=1)
    keep = [i for i in mat.index if data[i] > 0]
    keep = sorted(keep, key=lambda i: (-real[i], -data[i], list(mat.index).index(i)))[:max_rows]
    return mat.loc[[i for i in mat.index if i in set(keep)]]


def draw_heatmap(fig: Canvas, mat: pd.DataFrame, row_labels: list[str], col_labels: list[str], title: str) -> None:
    """Coloured cells: better green, worse red, inside the neutral band grey, no data white with '—'."""
    ax = fig.add_subplot()
    nr, nc = mat.shape
    cells, faces, edges = [], [], []
    for i in range(nr):
        for j in range(nc):
            better, dpct, mark = mat.iat[i, j]
            cells.append(Rectangle((j, i), 1, 1))
            faces.append(CHANGE_COLORS[better])
            edges.append(GRID if better == "na" else "white")
            if better == "na":
                txt, col = "—", MUTED
            else:
                txt = MARK_GLYPH.get(mark, "") + ("" if views.is_missing(dpct) else str(dpct))
                col = "white" if better != "neutral" else INK
            # inside its cell, so it never moves the layout: measuring every cell text for the layout cost as much
            # as drawing it
            ax.text(j + 0.5, i + 0.5, txt, ha="center", va="center", fontsize=8, color=col).set_in_layout(False)
    # one collection draws every cell (one patch artist per cell cost ~1 ms each, drawn and laid out)
    ax.add_collection(PatchCollection(cells, facecolors=faces, edgecolors=edges, linewidths=1.5), autolim=False)
    ax.set_xlim(0, max(nc, 1))
    ax.set_ylim(max(nr, 1), 0)
    ax.xaxis.tick_top()
    ax.set_xticks(np.arange(nc) + 0.5, col_labels, fontsize=9)
    ax.set_yticks(np.arange(nr) + 0.5, row_labels, fontsize=8.5)
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    ax.set_title(title, pad=8)
    handles = [
        Patch(color=CHANGE_COLORS[k], label=v)
        for k, v in (("better", "改善"), ("worse", "变差"), ("neutral", "无实质变化/中性指标"))
    ]
    handles.append(Patch(facecolor="white", edgecolor=MUTED, label="无可比数据"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, 0), ncol=4, fontsize=8, borderaxespad=0.4)


def heatmap_figure(
    changes: pd.DataFrame,
    units: pd.DataFrame,
    indicators: pd.DataFrame,
    unit_ids: list[str],
    year: int,
    indicator_ids: list[str] | None = None,
    max_rows: int = 30,
) -> Figure:
    """Indicators × districts: the change into ``year``, coloured by better/worse, neutral band cells grey.

    At most ``max_rows`` indicators are drawn: those where most districts changed for real; the note says how many
    were left out.
    """
    names = views.indicator_names(indicators)
    if indicator_ids is None:
        present = set(changes.loc[(changes["year"] == int(year)) & changes["unit_id"].isin(unit_ids), "indicator_id"])
        indicator_ids = [i for i in names if i in present] + sorted(present - set(names))
    reg = indicators.set_index("id") if "id" in indicators.columns else indicators
    rate_ids = {str(i) for i, u in reg["measure"].items() if str(u) == "%"} if "measure" in reg.columns else set()
    full = heatmap_matrix(changes, unit_ids, indicator_ids, year, rate_ids)
    mat = pick_heatmap_rows(full, max_rows)
    mat, empty_units = drop_empty_columns(mat)
    shown_units = list(mat.columns)
    fig = new_figure(max(6.5, 0.95 * max(len(shown_units), 1) + 3.2), 0.3 * max(len(mat), 1) + 2.2)
    draw_heatmap(
        fig,
        mat,
        [views.short(names.get(i, i), 12) + ("（百分点）" if i in rate_ids else "") for i in mat.index],
        [unit_name(units, u) for u in shown_units],
        f"{year}年 较上年变化",
    )
    note = "比率为变化的百分点，其他指标为变化率（%），上年为0时为差值；变化在中性带内（见config/scoring.yaml）记为无实质变化"
    if len(full) > len(mat):
        note += f"；另有{len(full) - len(mat)}项指标变化较少或无可比数据，未列出"
    if empty_units:
        left = "、".join(unit_name(units, u) for u in empty_units[:6]) + ("等" if len(empty_units) > 6 else "")
        note += f"；{len(empty_units)}个区县无上年可比数据，未列出（{left}）"
    return finish(fig, note + "；见证据表", synthetic_flag(unit_ids, units))
