"""Figure builders: contract-shaped DataFrames in, matplotlib Figures out.

Each chart has a ``draw_*`` function that draws into a given Figure or SubFigure (so the one-page brief can compose
them) and a ``*_figure`` function that makes a stand-alone Figure, adds the source note and — whenever the units on
it are fictional — the "示例数据（模拟）" watermark. Real and fictional units are never put on one chart.

Conventions: a value that is not reported is written "未报告" and never drawn as zero; rates are shown with their
Wilson interval and "97.5%（230/236）"; area scores share one 0–100 scale; a change inside the neutral band is grey
("无实质变化").
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure, SubFigure
from matplotlib.patches import Patch, Rectangle

from analysis.present.charts import views
from analysis.present.charts.style import (
    AREA_COLORS,
    AREA_LABELS,
    CHANGE_COLORS,
    GRID,
    HIGHLIGHT,
    INK,
    MUTED,
    finish,
    new_figure,
    synthetic_flag,
)

STATE_COLORS = {"exact": INK, "approx": INK, "zero_in_words": INK, "not_reported": "#a0aec0", "not_applicable": MUTED}
MARK_GLYPH = {"up": "▲", "down": "▼", "flat": "■", "na": "·"}

Canvas = Figure | SubFigure


def _unit_name(units: pd.DataFrame, unit_id: str) -> str:
    hit = units.loc[units["unit_id"] == unit_id, "name"]
    return str(hit.iloc[0]) if len(hit) else str(unit_id)


def _obs_synthetic(obs: pd.DataFrame, unit_id: str, units: pd.DataFrame | None = None) -> bool:
    if units is not None:
        return synthetic_flag([unit_id], units)
    flags = obs.loc[obs["unit_id"] == unit_id, "is_synthetic"]
    return bool(flags.astype(bool).any()) if len(flags) else False


# ---------------------------------------------------------------- area indicator panel


def draw_area_panel(
    fig: Canvas, rows: pd.DataFrame, title: str, area: str, evidence_chars: int = 34, footer: str = ""
) -> None:
    """Table-like panel: indicator, value with its state, state, short evidence. 未报告 rows are grey, never 0.

    ``footer`` is an extra grey line under the rows (e.g. the indicators left out of a compact panel).
    """
    ax = fig.add_subplot()
    n = max(len(rows), 1) + (1 if footer else 0)
    ax.set_xlim(0, 1)
    ax.set_ylim(n + 0.2, -1.0)
    ax.axis("off")
    ax.set_title(title, color=AREA_COLORS.get(area, INK), loc="left")
    heads = [(0.0, "指标"), (0.34, "数值"), (0.52, "状态"), (0.62, "原文依据（摘要）")]
    for x, h in heads:
        ax.text(x, -0.45, h, fontsize=8.5, color=MUTED, va="center")
    ax.axhline(-0.05, color=GRID, lw=0.8)
    if rows.empty:
        ax.text(0, 0.5, "本领域暂无指标", color=MUTED, va="center")
        return
    for i, r in enumerate(rows.itertuples(index=False)):
        y = i + 0.5
        color = STATE_COLORS.get(r.value_state, INK)
        if i % 2 == 1:
            ax.axhspan(i, i + 1, color="#f7fafc", zorder=0)
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
    if footer:
        ax.text(0.0, len(rows) + 0.5, views.short(footer, 90), fontsize=8, va="center", color=MUTED)


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
        _unit_name(units, unit_id)
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
    return finish(fig, src, _obs_synthetic(obs, unit_id, units))


# ---------------------------------------------------------------- rates with Wilson intervals


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
        labels = [_unit_name(units, u) for u in df["unit_id"]]
    else:
        labels = [views.short(names.get(i, i), 14) for i in df["indicator_id"]]
    fig = new_figure(9.5, 0.42 * max(len(df), 1) + 1.6)
    draw_rates(fig, df, labels, title)
    note = source or "比率=分子/分母，由报告计数计算；区间为Wilson 95%置信区间，样本小则区间宽；见证据表"
    if drop and n_missing:
        note += f"；另有{n_missing}项比率未报告或无法计算，未列出"
    return finish(fig, note, synthetic_flag(df["unit_id"], units))


# ---------------------------------------------------------------- peer comparison


def peer_frame(
    area_scores: pd.DataFrame, ranks: pd.DataFrame, units: pd.DataFrame, unit_ids: list[str], year: int, area: str
) -> pd.DataFrame:
    """One row per district: name, score, coverage, n_used/n_total, rank (NA when not allowed) and reason."""
    sc = area_scores[(area_scores["year"] == int(year)) & (area_scores["area"] == area)]
    rk = ranks[(ranks["year"] == int(year)) & (ranks["area"] == area)] if ranks is not None else ranks
    base = pd.DataFrame({"unit_id": list(unit_ids)})
    base["name"] = [_unit_name(units, u) for u in base["unit_id"]]
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


def score_axis_start(scores: object, step: int = 10, min_span: float = 30.0) -> int:
    """Where a 0–100 score axis starts so that differences are not flattened: 0 unless every score sits high, then
    the multiple of ``step`` at least ``step`` below the lowest score, keeping at least ``min_span`` points visible."""
    vals = pd.to_numeric(pd.Series(list(scores)), errors="coerce").dropna()
    if vals.empty:
        return 0
    lo = int(np.floor((float(vals.min()) - step) / step) * step)
    lo = min(lo, int(100 - min_span))
    return lo if lo >= 40 else 0  # a cut below 40 points gains little and reads as a trick


def axis_note(start: int) -> str:
    """'（轴自60分起，未从0开始）' when the axis was cut, '' otherwise."""
    return f"（轴自{start}分起，未从0开始）" if start > 0 else ""


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


# ---------------------------------------------------------------- trend sparklines


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
    areas = (
        areas
        or [
            a
            for a in ("p1_effectiveness", "p2_normative_docs", "p3_enforcement", "overall")
            if a in set(area_scores["area"])
        ]
        or ["p1_effectiveness", "p2_normative_docs", "p3_enforcement"]
    )
    fig = new_figure(2.6 * len(areas) + 0.6, 3.0)
    draw_sparklines(fig, sc, areas, neutral_band, f"{_unit_name(units, unit_id)} 各领域得分趋势（各领域同一刻度）")
    note = f"▲上升 ▼下降；变化小于{neutral_band:g}分视为无实质变化（■）；得分按固定目标/锚点标准化；见证据表"
    return finish(fig, note, synthetic_flag([unit_id], units))


# ---------------------------------------------------------------- balance across streets / departments


def draw_balance(
    fig: Canvas, values: pd.DataFrame, bal: pd.Series | None, title: str, unit_label: str, below: set[str]
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
            f" {views.value_text(r.value, unit_label, r.value_state, r.approx)}",
            va="center",
            fontsize=8.5,
        )
    ax.set_xlim(0, (105 if unit_label == "%" and vmax <= 100 else vmax * 1.25) if vmax > 0 else 1)
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
    unit_label = str(sub["unit"].dropna().iloc[0]) if "unit" in sub and sub["unit"].notna().any() else ""
    if not below and bal is not None and not views.is_missing(bal.get("target")):
        below = below_target(vals, float(bal["target"]), _direction(indicators, indicator_id))
    fig = new_figure(9.0, 0.36 * max(len(vals), 1) + 1.8)
    title = f"{_unit_name(units, parent_unit_id)} {year}年 {names.get(indicator_id, indicator_id)}：街道/部门分布"
    draw_balance(fig, vals, bal, title, unit_label, below)
    note = "灰色带为P10–P90区间；红色为低于目标的单位"
    if bal is None or views.is_missing(bal.get("spread_p90_p10")):
        note = "单位数过少，未计算P10–P90区间"
    else:
        note += f"；P90–P10差距{views.fmt_number(bal['spread_p90_p10'])}"
        if not views.is_missing(bal.get("n_below_target")):
            note += f"，低于目标{int(bal['n_below_target'])}个"
    note += "；" + views.source_text(sub.get("source_file", []))
    return finish(fig, note, synthetic_flag(list(vals["unit_id"]) + [parent_unit_id], units))


# ---------------------------------------------------------------- change heat map


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
    ch = ch.drop_duplicates(["unit_id", "indicator_id"]).set_index(["indicator_id", "unit_id"])
    cells: dict[str, dict[str, tuple]] = {}
    for i in indicator_ids:
        cells[i] = {}
        for u in unit_ids:
            if (i, u) in ch.index:
                r = ch.loc[(i, u)]
                better = "neutral" if bool(r.get("within_neutral_band", False)) else str(r.get("better", "na"))
                cells[i][u] = (
                    better if better in CHANGE_COLORS else "na",
                    _change_text(r, i in rate_ids),
                    r.get("mark", "na"),
                )
            else:
                cells[i][u] = ("na", pd.NA, "na")
    return pd.DataFrame.from_dict(cells, orient="index").reindex(columns=unit_ids)


def _change_text(r: pd.Series, is_rate: bool) -> object:
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
    for i in range(nr):
        for j in range(nc):
            better, dpct, mark = mat.iat[i, j]
            edge = GRID if better == "na" else "white"
            ax.add_patch(Rectangle((j, i), 1, 1, facecolor=CHANGE_COLORS[better], edgecolor=edge, lw=1.5))
            if better == "na":
                txt, col = "—", MUTED
            else:
                txt = MARK_GLYPH.get(mark, "") + ("" if views.is_missing(dpct) else str(dpct))
                col = "white" if better != "neutral" else INK
            ax.text(j + 0.5, i + 0.5, txt, ha="center", va="center", fontsize=8, color=col)
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
    rate_ids = {str(i) for i, u in reg["unit"].items() if str(u) == "%"} if "unit" in reg.columns else set()
    full = heatmap_matrix(changes, unit_ids, indicator_ids, year, rate_ids)
    mat = pick_heatmap_rows(full, max_rows)
    mat, empty_units = drop_empty_columns(mat)
    shown_units = list(mat.columns)
    fig = new_figure(max(6.5, 0.95 * max(len(shown_units), 1) + 3.2), 0.3 * max(len(mat), 1) + 2.2)
    draw_heatmap(
        fig,
        mat,
        [views.short(names.get(i, i), 12) + ("（百分点）" if i in rate_ids else "") for i in mat.index],
        [_unit_name(units, u) for u in shown_units],
        f"{year}年 较上年变化",
    )
    note = "比率为变化的百分点，其他指标为变化率（%），上年为0时为差值；变化在中性带内（见config/scoring.yaml）记为无实质变化"
    if len(full) > len(mat):
        note += f"；另有{len(full) - len(mat)}项指标变化较少或无可比数据，未列出"
    if empty_units:
        left = "、".join(_unit_name(units, u) for u in empty_units[:6]) + ("等" if len(empty_units) > 6 else "")
        note += f"；{len(empty_units)}个区县无上年可比数据，未列出（{left}）"
    return finish(fig, note + "；见证据表", synthetic_flag(unit_ids, units))


# ---------------------------------------------------------------- data-quality findings

SEVERITY_COLORS = {"error": "#c53030", "warning": "#dd6b20", "info": "#a0aec0"}
SEVERITY_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}


def findings_figure(findings: pd.DataFrame, units: pd.DataFrame, title: str = "质量规则发现") -> Figure:
    """Counts of findings per rule, stacked by severity (error / warning / info; passed checks 'ok' are not drawn)."""
    counts = findings.groupby(["rule", "severity"]).size().unstack(fill_value=0) if len(findings) else pd.DataFrame()
    counts = counts.reindex(columns=[s for s in SEVERITY_COLORS if s in counts.columns])
    counts = counts[counts.sum(axis=1) > 0] if len(counts.columns) else pd.DataFrame()
    if len(counts):
        counts = counts.loc[counts.sum(axis=1).sort_values(ascending=False).index]
    fig = new_figure(8.5, 0.34 * max(len(counts), 1) + 1.6)
    ax = fig.add_subplot()
    ax.set_title(title)
    if counts.empty:
        ax.axis("off")
        ax.text(0.5, 0.5, "没有发现问题", ha="center", va="center", color=MUTED, transform=ax.transAxes)
    else:
        left = np.zeros(len(counts))
        ys = np.arange(len(counts))
        for sev in counts.columns:
            vals = counts[sev].to_numpy(dtype=float)
            ax.barh(ys, vals, left=left, color=SEVERITY_COLORS[sev], label=SEVERITY_LABELS[sev], height=0.6)
            left += vals
        for y, total in zip(ys, left, strict=True):
            ax.text(total, y, f" {int(total)}", va="center", fontsize=8.5)
        ax.set_yticks(ys, [views.short(r, 28) for r in counts.index])
        ax.set_ylim(len(counts) - 0.5, -0.5)
        ax.set_xlabel("条数")
        ax.set_xlim(0, left.max() * 1.15)
        ax.legend(loc="lower right")
    ids = findings["unit_id"].dropna().astype(str) if "unit_id" in findings.columns else []
    ids = [u for u in ids if u]
    return finish(
        fig, "质量规则见 analysis.tidy.quality；每条发现含文件与位置，见数据质量笔记本明细", synthetic_flag(ids, units)
    )


def review_counts_figure(items: pd.DataFrame, title: str = "等待审核的数字") -> Figure:
    """Facts waiting for the analyst's review per report: below the confidence threshold vs unmapped with candidates."""
    if len(items):
        kind = np.where(items["indicator_id"] == "unmapped", "未对应，有候选指标", "把握度低于阈值")
        counts = items.assign(kind=kind).groupby(["source_file", "kind"]).size().unstack(fill_value=0)
    else:
        counts = pd.DataFrame()
    fig = new_figure(8.5, 0.34 * max(len(counts), 1) + 1.6)
    ax = fig.add_subplot()
    ax.set_title(title)
    if counts.empty:
        ax.axis("off")
        ax.text(0.5, 0.5, "没有等待审核的数字", ha="center", va="center", color=MUTED, transform=ax.transAxes)
    else:
        left = np.zeros(len(counts))
        ys = np.arange(len(counts))
        colors = {"把握度低于阈值": SEVERITY_COLORS["warning"], "未对应，有候选指标": SEVERITY_COLORS["info"]}
        for k in counts.columns:
            vals = counts[k].to_numpy(dtype=float)
            ax.barh(ys, vals, left=left, color=colors.get(k), label=k, height=0.6)
            left += vals
        for y, total in zip(ys, left, strict=True):
            ax.text(total, y, f" {int(total)}", va="center", fontsize=8.5)
        ax.set_yticks(ys, [views.short(str(s), 28) for s in counts.index])
        ax.set_ylim(len(counts) - 0.5, -0.5)
        ax.set_xlabel("个数")
        ax.set_xlim(0, left.max() * 1.15)
        ax.legend(loc="lower right")
    return finish(fig, "决定用 python -m analysis review … 记入 data/corrections.csv", False)
