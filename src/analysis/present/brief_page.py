"""The one-page brief of one district-year: what it shows (:func:`brief_inputs`) and how it is drawn
(:func:`draw_brief`): header with area scores and ranks where allowed, the 要点 block, P1–P3 indicator panels, trend
sparklines on one shared 0–100 scale."""

from __future__ import annotations

import re
import textwrap

import pandas as pd
from matplotlib.figure import Figure

from analysis.present.brief_rows import ranked_rows
from analysis.present.charts import figures, views
from analysis.present.charts.panel import panel_axes, panel_footer, stripe
from analysis.present.charts.style import (
    AREA_COLORS,
    AREA_LABELS,
    AREA_ORDER,
    CHANGE_COLORS,
    INK,
    MUTED,
    apply_style,
    finish,
    synthetic_flag,
)

A4 = (8.27, 11.69)

MARK_TEXT = {"up": " ▲", "down": " ▼", "flat": " ■"}


def header_lines(
    unit: pd.Series, year: int, area_scores: pd.DataFrame, ranks: pd.DataFrame, names: dict[str, str] | None = None
) -> list[tuple[str, str, str, str]]:
    """Per area: (area, score text with the headline mark — ▼ whenever an outcome got worse —, coverage text or
    the missing core outcomes when the score is withheld (数据不足), rank text — only when rank_allowed)."""
    names = names or {}
    sc = area_scores[(area_scores["unit_id"] == unit["unit_id"]) & (area_scores["year"] == int(year))]
    rk = ranks[(ranks["unit_id"] == unit["unit_id"]) & (ranks["year"] == int(year))]
    out = []
    for area in (*AREA_ORDER, "overall"):
        s = sc[sc["area"] == area]
        r = rk[rk["area"] == area]
        if s.empty:
            score, cov = "—", "未能计算"
        elif views.is_missing(s["score"].iloc[0]):
            row = s.iloc[0]
            gated = "数据不足" in str(row.get("reason", ""))
            score = "数据不足" if gated else "—"
            missing = [m for m in str(row.get("missing_core", "") or "").split(";") if m]
            cov = ("未报告：" + "、".join(names.get(m, m) for m in missing[:3])) if missing else "未能计算"
        else:
            row = s.iloc[0]
            mark = MARK_TEXT.get(str(row.get("headline_mark", "")), "")
            score = f"{float(row['score']):.1f}{mark}"
            cov = f"覆盖{float(row['coverage']) * 100:.0f}%（{int(row['n_used'])}/{int(row['n_total'])}项）"
        if len(r) and bool(r["rank_allowed"].iloc[0]) and not views.is_missing(r["rank"].iloc[0]):
            rank = f"同组第{int(r['rank'].iloc[0])}/{int(r['n_peers'].iloc[0])}名"
        elif len(r):
            reason = views.zh_reason(r["reason"].iloc[0])
            rank = f"不排名：{reason}" if reason else "不排名"
        else:
            rank = "不排名"
        out.append((area, score, cov, rank))
    return out


def _draw_header(sub, unit: pd.Series, year: int, lines: list[tuple[str, str, str, str]]) -> None:
    ax = sub.add_subplot()
    ax.axis("off")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.text(0, 0.93, f"{unit['name']} {year}年 法治政府建设简报", fontsize=17, color=INK, va="top")
    ax.text(0, 0.62, f"{unit.get('city') or ''} · {unit.get('province') or ''}", fontsize=9.5, color=MUTED, va="top")
    w = 1 / len(lines)
    for k, (area, score, cov, rank) in enumerate(lines):
        x = k * w
        color = AREA_COLORS.get(area, INK)
        ax.text(x, 0.46, AREA_LABELS.get(area, area), fontsize=8.5, color=color, va="top")
        score_color = CHANGE_COLORS["worse"] if score.endswith("▼") else (MUTED if score == "数据不足" else color)
        ax.text(x, 0.30, score, fontsize=16 if score != "数据不足" else 13, color=score_color, va="top")
        ax.text(x, 0.09, cov, fontsize=7.5, color=MUTED, va="top")
        rank_txt = "\n".join(textwrap.wrap(views.short(rank, 34), 17))
        ax.text(x, -0.06, rank_txt, fontsize=7.5, color=INK if "第" in rank else MUTED, va="top", linespacing=1.2)


def _draw_panel(sub, rows: pd.DataFrame, title: str, area: str, footer: str = "") -> None:
    """Indicator, this year's value (state; ▼ in red on an outcome that got worse for real), last year, peer median,
    short evidence; 未报告 rows grey."""
    heads = [(0.0, "指标"), (0.30, "本年"), (0.46, "上年"), (0.58, "同组中位数"), (0.70, "原文依据（摘要）")]
    ax = panel_axes(sub, rows, title, area, heads, footer)
    if ax is None:
        return
    for i, r in enumerate(rows.itertuples(index=False)):
        y = i + 0.5
        grey = r.value_state == "not_reported"
        stripe(ax, i)
        name = views.short(r.name_zh, 14) + ("（结果）" if r.role == "outcome" else "")
        ax.text(0.0, y, name, fontsize=8.5, va="center", color=MUTED if grey else INK)
        worse = getattr(r, "mark", "") == "worse"
        value = views.short(r.value_text, 12) + (" ▼" if worse else "")
        ax.text(0.30, y, value, fontsize=8.5, va="center",
                color=MUTED if grey else CHANGE_COLORS["worse"] if worse else INK)  # fmt: skip
        ax.text(0.46, y, r.prev_text, fontsize=8, va="center", color=MUTED)
        ax.text(0.58, y, r.peer_text, fontsize=8, va="center", color=MUTED)
        note = "" if grey else views.evidence_note(r.evidence, r.value, r.source_file, r.locator, 22)
        ax.text(0.70, y, note, fontsize=7, va="center", color=MUTED)
    panel_footer(ax, len(rows), footer)


_BREAK_AFTER = "，；、。：）"

_NO_SPLIT = re.compile(r"[0-9.%/（]")


def wrap_zh(text: str, width: int = 52) -> list[str]:
    """Wrap a Chinese sentence at about ``width`` characters, preferring to break after punctuation and never
    inside a number such as 88.9%（8/9）."""
    out, s = [], str(text)
    while len(s) > width:
        cut = width
        for k in range(width, max(width - 12, 1), -1):
            if s[k - 1] in _BREAK_AFTER:
                cut = k
                break
        else:
            while cut > 1 and _NO_SPLIT.match(s[cut - 1]) and _NO_SPLIT.match(s[cut]):
                cut -= 1
        out.append(s[:cut])
        s = s[cut:]
    return [*out, s] if s else out


def draw_key_points(sub, lines: list[str], title: str = "要点") -> None:
    ax = sub.add_subplot()
    ax.axis("off")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.text(0, 0.98, title, fontsize=11, color=INK, va="top")
    if not lines:
        ax.text(0, 0.70, "本年度暂无可写的要点（数据不足或尚未运行 build）。", fontsize=9, color=MUTED, va="top")
        return
    wrapped = []
    for s in lines:
        parts = wrap_zh(s, 52) or [s]
        wrapped.append("• " + parts[0])
        wrapped += ["  " + p for p in parts[1:]]
    step = min(0.8 / max(len(wrapped), 1), 0.13)
    for k, line in enumerate(wrapped):
        worse = "下降" in line or "需关注" in line or "变差" in line
        ax.text(0, 0.80 - k * step, line, fontsize=9, color=CHANGE_COLORS["worse"] if worse else INK, va="top")


def narrative_lines(narrative: pd.DataFrame | None, unit_id: str, year: int, area: str = "") -> list[str]:
    if narrative is None or narrative.empty:
        return []
    n = narrative
    sel = (n["unit_id"].astype(str) == str(unit_id)) & (n["year"] == int(year)) & (n["area"].astype(str) == area)
    return n.loc[sel].sort_values("seq")["sentence"].astype(str).tolist()


def _alerts(narrative: pd.DataFrame | None, unit_id: str, year: int) -> dict[str, str]:
    """Per area, the narrative's change sentence of a worsened outcome (names it with both years' counts)."""
    out = {}
    if narrative is None or narrative.empty:
        return out
    n = narrative[(narrative["unit_id"].astype(str) == str(unit_id)) & (narrative["year"] == int(year))]
    for r in n[(n["kind"] == "change") & n["sentence"].str.contains("较上年.*(?:下降|变差)")].itertuples(index=False):
        out.setdefault(str(r.area), str(r.sentence))
    return out


def brief_inputs(
    unit_id: str,
    year: int,
    obs: pd.DataFrame,
    indicators: pd.DataFrame,
    units: pd.DataFrame,
    area_scores: pd.DataFrame,
    ranks: pd.DataFrame,
    neutral_band: float,
    rates: pd.DataFrame | None = None,
    narrative: pd.DataFrame | None = None,
    changes: pd.DataFrame | None = None,
) -> dict:
    """Everything the brief of one district-year draws, computed from the tables (see :func:`draw_brief`). Its
    :func:`content_key` is the brief's fingerprint: the brief is redrawn only when what it shows changed."""
    unit = views.resolve_unit(units, unit_id)
    names = views.indicator_names(indicators)
    peers = units.loc[(units["level"] == "district") & (units["parent"] == unit.get("parent")), "unit_id"].tolist()
    full = [views.profile_rows(obs, indicators, unit_id, year, a, rates) for a in AREA_ORDER]
    mine = area_scores[(area_scores["unit_id"] == unit_id) & (area_scores["year"] == int(year))]
    worsened = {w for x in mine.get("worsened", pd.Series(dtype=object)).fillna("") for w in str(x).split(";") if w}
    panels = [ranked_rows(rows, indicators, unit_id, year, changes, rates, peers, worsened=worsened) for rows in full]
    files = obs.loc[(obs["unit_id"] == unit_id) & (obs["year"] == int(year)), "source_file"]
    note = (
        f"{views.source_text(files, '原文句子与位置见区县画像证据表')}。“未报告”表示报告未提及，不等于0；"
        f"约=原文为约数（余/多/近/约）；▲▼为较上年变化，小于{neutral_band:g}分记为无实质变化（■），"
        "任一结果指标实质下降时一律记▼；得分以结果指标为主、按固定目标/锚点标准化，核心结果指标不足时写数据不足；"
        "同组区县不足或样本过小时不排名。"
    )
    return {
        "unit": unit,
        "year": int(year),
        "header": header_lines(unit, year, area_scores, ranks, names),
        "lines": narrative_lines(narrative, unit_id, year),
        "reported": [(int((rows["value_state"] != "not_reported").sum()), len(rows)) for rows in full],
        "panels": panels,
        "scores": area_scores[(area_scores["unit_id"] == unit_id) & (area_scores["year"] <= int(year))],
        "neutral_band": float(neutral_band),
        "alerts": _alerts(narrative, unit_id, year),
        "note": note,
        "synthetic": synthetic_flag([unit_id], units),
    }


def draw_brief(content: dict) -> Figure:
    """The one-page brief as an A4 portrait Figure from :func:`brief_inputs` (watermarked when fictional)."""
    apply_style()
    unit, year, panels, lines = content["unit"], content["year"], content["panels"], content["lines"]
    n_lines = sum(len(wrap_zh(x, 52)) or 1 for x in lines) or 1
    heights = [1.9, 0.30 * n_lines + 0.55] + [0.26 * (len(r) + (1 if f else 0)) + 0.7 for r, f in panels] + [1.8]
    fig = Figure(figsize=A4, layout="constrained")
    subs = fig.subfigures(len(heights), 1, height_ratios=heights)
    _draw_header(subs[0], unit, year, content["header"])
    draw_key_points(subs[1], lines)
    for sub, area, (n_rep, n_all), (rows, footer) in zip(
        subs[2:5], AREA_ORDER, content["reported"], panels, strict=True
    ):
        title = f"{AREA_LABELS[area]}（已报告{n_rep}/{n_all}项，结果指标在前，列出{len(rows)}项）"
        _draw_panel(sub, rows, title, area, footer)
    figures.draw_sparklines(
        subs[5],
        content["scores"],
        [*AREA_ORDER, "overall"],
        content["neutral_band"],
        "各领域得分趋势（各领域同一刻度）",
        alerts=content["alerts"],
    )
    return finish(fig, content["note"], content["synthetic"])


def brief_figure(
    unit_id: str,
    year: int,
    obs: pd.DataFrame,
    indicators: pd.DataFrame,
    units: pd.DataFrame,
    area_scores: pd.DataFrame,
    ranks: pd.DataFrame,
    neutral_band: float,
    rates: pd.DataFrame | None = None,
    narrative: pd.DataFrame | None = None,
    changes: pd.DataFrame | None = None,
) -> Figure:
    """The one-page brief of one district-year as an A4 portrait Figure (watermarked when fictional): header with
    area scores (▼ when an outcome got worse, 数据不足 when too few core outcomes), the 要点 block, per area the
    indicators by importance with last year's value and the peer median, score trends."""
    return draw_brief(
        brief_inputs(unit_id, year, obs, indicators, units, area_scores, ranks, neutral_band, rates, narrative, changes)
    )
