"""Peer comparison: area scores of the districts of one city, ranked where allowed."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.present.charts import views
from analysis.present.charts.common import Canvas, score_axis_start, unit_name
from analysis.present.charts.style import (
    AREA_COLORS,
    AREA_LABELS,
    GRID,
    HIGHLIGHT,
    INK,
    MUTED,
    finish,
    new_figure,
    synthetic_flag,
)


def peer_frame(
    area_scores: pd.DataFrame, ranks: pd.DataFrame, units: pd.DataFrame, unit_ids: list[str], year: int, area: str
) -> pd.DataFrame:
    """One row per district: name, score, coverage, n_used/n_total, rank (NA when not allowed) and reason."""
    sc = area_scores[(area_scores["year"] == int(year)) & (area_scores["area"] == area)]
    rk = ranks[(ranks["year"] == int(year)) & (ranks["area"] == area)] if ranks is not None else ranks
    base = pd.DataFrame({"unit_id": list(unit_ids)})
    base["name"] = [unit_name(units, u) for u in base["unit_id"]]
    sc = sc.assign(score_reason=sc["reason"] if "reason" in sc.columns else "")
    df = base.merge(sc[["unit_id", "score", "n_used", "n_total", "coverage", "score_reason"]], on="unit_id", how="left")
    if rk is not None and len(rk):
        df = df.merge(rk[["unit_id", "rank", "n_peers", "rank_allowed", "reason"]], on="unit_id", how="left")
    for c in ("rank", "n_peers", "rank_allowed", "reason"):
        if c not in df.columns:
            df[c] = pd.NA
    df["rank_allowed"] = df["rank_allowed"].fillna(False).astype(bool)
    df["rank"] = df["rank"].where(df["rank_allowed"])
    return df.sort_values("score", ascending=False, na_position="last").reset_index(drop=True)


MIN_SCORES_FOR_CUT_AXIS = 3  # with fewer scores there is no spread a cut axis could make readable


def peers_axis_start(scores: object) -> tuple[int, str]:
    """The score axis start of the peer chart and the words that say so on the chart: 0 with fewer than three
    scores (nothing to compare; a cut axis would only make one bar look long), else :func:`score_axis_start`."""
    vals = pd.to_numeric(pd.Series(list(scores)), errors="coerce").dropna()
    if len(vals) < MIN_SCORES_FOR_CUT_AXIS:
        return 0, "（轴自0分起）"
    start = score_axis_start(vals)
    if start == 0:
        return 0, "（轴自0分起）"
    return start, f"（轴自{start}分起，未从0开始：各区县得分均在{start + 10}分以上，为显出差别）"


def draw_peers(
    fig: Canvas, df: pd.DataFrame, title: str, area: str, focus: str | None = None, caption: str = ""
) -> None:
    """Horizontal score bars (0–100) with coverage, for the districts with a score (``df`` as peer_frame, others
    already left out); ranks only where allowed. The axis starts at 0 unless at least three scores sit high.
    ``caption`` (who was left out and why) is drawn as its own line under the axis."""
    ax = fig.add_subplot()
    n = len(df)
    ys = np.arange(n)
    color = AREA_COLORS.get(area, INK)
    start, words = peers_axis_start(df["score"])
    ax.set_xlim(start, 100)
    ax.set_ylim(max(n, 1) - 0.5, -0.6)
    ax.set_title(title)
    ax.set_xlabel(f"领域得分（0–100，固定目标/锚点标准化）{words}")
    ax.xaxis.grid(True, color=GRID, lw=0.6)
    ax.set_axisbelow(True)
    if caption:
        ax.annotate(caption, xy=(0, 0), xycoords="axes fraction", xytext=(0, -40), textcoords="offset points",
                    fontsize=9, color=INK, va="top", ha="left", annotation_clip=False)  # fmt: skip
    if n == 0:
        ax.set_yticks([])
        ax.text(start + 1, 0, "本年没有区县可计分（见下方说明）", va="center", fontsize=9, color=MUTED)
        return
    ylabels = []
    for y, r in zip(ys, df.itertuples(index=False), strict=True):
        rank = f"（第{int(r.rank)}/{int(r.n_peers)}名）" if r.rank_allowed and not views.is_missing(r.rank) else ""
        ylabels.append(f"{r.name}{rank}")
        cov = (
            "" if views.is_missing(r.coverage) else f"覆盖{r.coverage * 100:.0f}%（{int(r.n_used)}/{int(r.n_total)}项）"
        )
        c = HIGHLIGHT if focus is not None and r.unit_id == focus else color
        ax.barh(y, r.score - start, left=start, color=c, height=0.62)
        ax.text(
            r.score + 1 if r.score < 90 else r.score - 1,
            y,
            f"{r.score:.1f}  {cov}",
            va="center",
            ha="left" if r.score < 90 else "right",
            fontsize=8.5,
            color=INK,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
            zorder=3,
        )
    ax.set_yticks(ys, ylabels)
    valid = df["score"].dropna()
    if len(valid) > 1:
        ax.axvline(valid.mean(), color=MUTED, ls="--", lw=1, zorder=1)
        ax.text(valid.mean(), -0.55, f" 均值{valid.mean():.1f}", color=MUTED, fontsize=8, va="bottom")


def unscored_caption(df: pd.DataFrame, limit: int = 4) -> str:
    """'另有9个区县未列出：本年无数据8个（解放区、中站区、山阳区、修武县等）；数据不足1个（温县）' for the rows of
    ``df`` (peer_frame) without a score, '' when every district has one."""
    miss = df[df["score"].isna()]
    if miss.empty:
        return ""
    why = [
        "本年无数据" if views.is_missing(n_total) else (views.zh_reason(reason) or "数据不足")
        for n_total, reason in zip(miss["n_total"], miss["score_reason"], strict=True)
    ]
    groups: dict[str, list[str]] = {}
    for w, name in zip(why, miss["name"], strict=True):
        groups.setdefault(views.short(w, 20), []).append(str(name))
    parts = [
        f"{w}{len(names)}个（{'、'.join(names[:limit])}{'等' if len(names) > limit else ''}）"
        for w, names in groups.items()
    ]
    return f"另有{len(miss)}个区县未列出：" + "；".join(parts)


def peers_figure(
    area_scores: pd.DataFrame,
    ranks: pd.DataFrame,
    units: pd.DataFrame,
    city: str,
    year: int,
    area: str,
    unit_ids: list[str] | None = None,
    focus: str | None = None,
) -> Figure:
    """Districts of one city on one area score, with coverage; rank shown only where rank_allowed is true. Districts
    without a score are left out of the bars and counted, with the reason, in a caption line."""
    if unit_ids is None:
        unit_ids = views.districts_of(units, city)["unit_id"].tolist()
    full = peer_frame(area_scores, ranks, units, unit_ids, year, area)
    df = full[full["score"].notna()].reset_index(drop=True)
    fig = new_figure(9.5, 0.45 * max(len(df), 1) + 2.0)
    city_name = views.resolve_city(units, city)
    caption = unscored_caption(full)
    title = f"{city_name} {year}年 各区县 {AREA_LABELS.get(area, area)} 得分"
    draw_peers(fig, df, title, area, focus, caption)
    reasons = sorted({views.zh_reason(r) for r in df.loc[~df["rank_allowed"], "reason"]} - {""})
    note = "得分按固定目标/锚点标准化，覆盖率=有数据指标/全部指标；"
    note += ("未排名原因：" + "；".join(reasons) + "；") if reasons else ""
    return finish(fig, note + "见证据表", synthetic_flag(full["unit_id"], units))
