"""One-page leadership briefs: per district-year a fixed A4 page (header with area scores and ranks where allowed,
P1–P3 indicator panels, trend sparklines on one shared 0–100 scale with change marks, source note), saved as PNG,
SVG and PDF, plus one PDF per city holding all its districts' pages.

Layout of the output: ``<out_dir>/<city>/<district>_<year>.{png,svg,pdf}`` and ``<out_dir>/<city>/<city>_简报.pdf``.
Real and fictional cities are separate PDFs, so real and sample units never share a page.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from analysis.core.io import atomic_path
from analysis.present.charts import figures, views
from analysis.present.charts.naming import inside, safe_name
from analysis.present.charts.style import (
    AREA_COLORS,
    AREA_LABELS,
    AREA_ORDER,
    CHANGE_COLORS,
    GRID,
    INK,
    MUTED,
    apply_style,
    finish,
    save_figure,
    synthetic_flag,
)
from analysis.tidy import load

A4 = (8.27, 11.69)
MAX_PANEL_ROWS = 7


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


@functools.cache
def _core_order() -> tuple[str, ...]:
    from analysis.metrics.config import load_config

    core = load_config()["roles"]["core_outcomes"]
    return tuple(i for a in AREA_ORDER for i in core.get(a, []))


def _approx_text(text: str, value: object, evidence: object) -> str:
    """An approximate value with the marker the source wrote (80余人次 stays 80余人次, not 约80人次)."""
    from analysis.metrics.narrative import fmt_num

    if views.is_missing(value) or views.is_missing(evidence):
        return text
    num = fmt_num(float(value))
    m = re.search(rf"(近|约|超过|超)?{re.escape(num)}(余|多)?", str(evidence))
    if not m or not (m.group(1) or m.group(2)):
        return text
    return text.replace(f"约{num}", f"{m.group(1) or ''}{num}{m.group(2) or ''}", 1)


def _fmt(v: float) -> str:
    from analysis.metrics.narrative import fmt_num

    return fmt_num(v)


def ranked_rows(
    rows: pd.DataFrame,
    indicators: pd.DataFrame,
    unit_id: str,
    year: int,
    changes: pd.DataFrame | None,
    rates: pd.DataFrame | None,
    peers: list[str],
    min_peers: int = 3,
    max_rows: int = MAX_PANEL_ROWS,
    worsened: set[str] | None = None,
    core_outcomes: tuple[str, ...] | None = None,
) -> tuple[pd.DataFrame, str]:
    """One area's indicators by importance, never in registry order: reported core outcomes and outcomes that changed
    for real first (a real worsening first, then the largest real change, then the core outcome set's order), the
    core outcomes not reported (their gap is news), the other reported outcomes, then the largest real changes of the rest (outside the neutral band; rates by their change in percentage
    points before counts by their relative change, activities before volume counts), then the other reported ones
    (activities, then volumes; the counts behind a rate already shown — 出台7件 under 报备率100%（7/7）— last).
    Each row carries last year's value (prev_text, rates with their counts), the peer median (peer_text, only with at
    least ``min_peers`` peers reporting) and mark 'worse' on an outcome that got worse for real — ``worsened``, the
    area scores' ids (beyond the band and outside sampling noise), so a row's ▼ always agrees with the headline; by
    default the changes table's 'worse' judgement. ``core_outcomes`` (in order) defaults to config/scoring.yaml
    roles.core_outcomes. A footer names what was left out."""
    df = rows.copy()
    role = indicators["role"] if "role" in indicators.columns else pd.Series(dtype=object)
    df["role"] = df["indicator_id"].map(role).astype(object).fillna("")
    unit_of = indicators["unit"].astype(str) if "unit" in indicators.columns else pd.Series(dtype=str)
    ch = pd.DataFrame(
        columns=["unit_id", "year", "indicator_id", "value", "prev_value", "delta", "delta_pct", "within_neutral_band",
                 "better"]
    )  # fmt: skip
    if changes is not None and len(changes):
        ch = changes[changes["indicator_id"].isin(df["indicator_id"])]
        ch = ch.astype({"unit_id": str, "indicator_id": str})
    mine = ch[(ch["unit_id"] == str(unit_id)) & (ch["year"] == int(year))].drop_duplicates("indicator_id")
    mine = mine.set_index("indicator_id")
    rt = None
    if rates is not None and len(rates):
        rt = rates[(rates["unit_id"].astype(str) == str(unit_id)) & (rates["year"] == int(year) - 1)]
        rt = rt[rt["rate"].notna()].astype({"indicator_id": str}).set_index("indicator_id")
    reported = (df["value_state"] != "not_reported").to_numpy()
    real = mine["prev_value"].notna() & mine["value"].notna() & ~mine["within_neutral_band"].astype(bool)
    is_rate = mine.index.map(lambda i: unit_of.get(i, "") == "%").to_numpy(dtype=bool)
    delta = pd.to_numeric(mine["delta"], errors="coerce").abs()
    rel = pd.to_numeric(mine["delta_pct"], errors="coerce").abs()
    size_s = pd.Series(np.where(is_rate, delta, rel), index=mine.index).where(real)
    size = size_s.reindex(df["indicator_id"]).fillna(-1).to_numpy()
    better = mine["better"].astype(str).where(real, "").reindex(df["indicator_id"]).fillna("").to_numpy()
    df["mark"] = [
        "worse" if r == "outcome" and b == "worse" and (worsened is None or i in worsened) else ""
        for i, r, b in zip(df["indicator_id"], df["role"], better, strict=True)
    ]
    core_order = tuple(core_outcomes) if core_outcomes is not None else _core_order()
    core = set(core_order)
    rate_ids = set(unit_of.index[unit_of == "%"])
    counts_of_rates: set[str] = set()
    for col in ("numerator", "denominator"):
        if col in indicators.columns:
            shown_rates = df.loc[reported & df["indicator_id"].isin(rate_ids), "indicator_id"]
            counts_of_rates |= set(indicators[col].reindex(shown_rates).dropna().astype(str))

    def prio(iid: str, r: str, rep: bool, sz: float, mk: str) -> tuple[int, int]:
        if r == "outcome" and rep and (iid in core or mk == "worse" or sz >= 0):
            return 0, (0 if mk == "worse" else 1 if sz >= 0 else 2)
        if iid in core:  # a core outcome not reported: its gap is news, before the other outcomes
            return 1, 0
        if r == "outcome" and rep:
            return 1, 1
        if rep and iid in counts_of_rates:  # already printed inside the rate's own row: 100%（7/7）
            return 3, 2
        if rep and sz >= 0:
            return 2, (0 if iid in rate_ids else 1 if r == "activity" else 2)
        if rep:
            return 3, (0 if r == "activity" else 1)
        return 4, 0

    keys = [prio(i, r, rep, sz, mk) for i, r, rep, sz, mk in
            zip(df["indicator_id"], df["role"], reported, size, df["mark"], strict=True)]  # fmt: skip
    df["_prio"] = [k[0] for k in keys]
    df["_sub"] = [k[1] for k in keys]
    df["value_text"] = [
        _approx_text(t, v, e) if st == "approx" else t
        for t, v, e, st in zip(df["value_text"], df["value"], df["evidence"], df["value_state"], strict=True)
    ]
    df["_size"] = size
    prev = []
    for iid in df["indicator_id"]:
        unit = indicators.loc[iid, "unit"] if iid in indicators.index else ""
        if rt is not None and iid in rt.index:
            r = rt.loc[iid]
            counts = r["source"] == "computed" and not views.is_missing(r["numerator"])
            prev.append(
                f"{_fmt(r['rate'])}%" + (f"（{_fmt(r['numerator'])}/{_fmt(r['denominator'])}）" if counts else "")
            )
        elif iid in mine.index and not views.is_missing(mine.loc[iid, "prev_value"]):
            prev.append(
                _fmt(mine.loc[iid, "prev_value"]) + ("" if unit == "%" else str(unit)) + ("%" if unit == "%" else "")
            )
        else:
            prev.append("—")
    df["prev_text"] = prev
    peer_vals = ch[ch["unit_id"].isin([str(p) for p in peers]) & (ch["year"] == int(year))]
    med = peer_vals.dropna(subset=["value"]).groupby("indicator_id")["value"].agg(["median", "count"])
    df["peer_text"] = [
        (_fmt(med.loc[i, "median"]) + ("%" if indicators.loc[i, "unit"] == "%" else str(indicators.loc[i, "unit"])))
        if i in med.index and med.loc[i, "count"] >= min_peers
        else "—"
        for i in df["indicator_id"]
    ]
    core_rank = {i: k for k, i in enumerate(core_order)}
    df = df.assign(_core=df["indicator_id"].map(core_rank).fillna(9))
    # inside a tier: worsened/changed first, then the larger change, then the core outcome order, then the registry's
    df = df.sort_values(["_prio", "_sub", "_size", "_core"], ascending=[True, True, False, True], kind="stable")
    shown = df.head(max_rows)
    left = df.iloc[max_rows:]
    parts = []
    n_rep = int((left["value_state"] != "not_reported").sum())
    n_miss = int((left["value_state"] == "not_reported").sum())
    if n_rep:
        parts.append(f"另有{n_rep}项已报告指标见证据表")
    if n_miss:
        names = "、".join(left.loc[left["value_state"] == "not_reported", "name_zh"].head(4))
        parts.append(f"另有{n_miss}项未报告（{names}{'等' if n_miss > 4 else ''}）")
    return shown.reset_index(drop=True), "；".join(parts)


def _draw_panel(sub, rows: pd.DataFrame, title: str, area: str, footer: str = "") -> None:
    """Indicator, this year's value (state; ▼ in red on an outcome that got worse for real), last year, peer median,
    short evidence; 未报告 rows grey."""
    ax = sub.add_subplot()
    n = max(len(rows), 1) + (1 if footer else 0)
    ax.set_xlim(0, 1)
    ax.set_ylim(n + 0.2, -1.0)
    ax.axis("off")
    ax.set_title(title, color=AREA_COLORS.get(area, INK), loc="left")
    for x, h in [(0.0, "指标"), (0.30, "本年"), (0.46, "上年"), (0.58, "同组中位数"), (0.70, "原文依据（摘要）")]:
        ax.text(x, -0.45, h, fontsize=8.5, color=MUTED, va="center")
    ax.axhline(-0.05, color=GRID, lw=0.8)
    if rows.empty:
        ax.text(0, 0.5, "本领域暂无指标", color=MUTED, va="center")
        return
    for i, r in enumerate(rows.itertuples(index=False)):
        y = i + 0.5
        grey = r.value_state == "not_reported"
        if i % 2 == 1:
            ax.axhspan(i, i + 1, color="#f7fafc", zorder=0)
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
    if footer:
        ax.text(0.0, len(rows) + 0.5, views.short(footer, 90), fontsize=8, va="center", color=MUTED)


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


def _draw_key_points(sub, lines: list[str], title: str = "要点") -> None:
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


def _sentences(narrative: pd.DataFrame | None, unit_id: str, year: int, area: str = "") -> list[str]:
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
        "lines": _sentences(narrative, unit_id, year),
        "reported": [(int((rows["value_state"] != "not_reported").sum()), len(rows)) for rows in full],
        "panels": panels,
        "scores": area_scores[(area_scores["unit_id"] == unit_id) & (area_scores["year"] <= int(year))],
        "neutral_band": float(neutral_band),
        "alerts": _alerts(narrative, unit_id, year),
        "note": note,
        "synthetic": synthetic_flag([unit_id], units),
    }


def content_key(content: object) -> str:
    """A stable sha256 of nested plain values, Series and DataFrames (row order kept; frames hashed by value)."""
    import hashlib
    import json

    def plain(v: object) -> object:
        if isinstance(v, pd.DataFrame):
            frame = v.reset_index(drop=True)
            cols = [str(c) for c in frame.columns]
            hashed = pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy()
            return {"columns": cols, "rows": hashlib.sha256(hashed.tobytes()).hexdigest()}
        if isinstance(v, pd.Series):
            return plain(v.to_frame().T.astype(str))
        if isinstance(v, dict):
            return {str(k): plain(x) for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))}
        if isinstance(v, list | tuple):
            return [plain(x) for x in v]
        if isinstance(v, float) and v != v:
            return "NaN"
        return v if isinstance(v, str | int | float | bool) or v is None else str(v)

    text = json.dumps(plain(content), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def draw_brief(content: dict) -> Figure:
    """The one-page brief as an A4 portrait Figure from :func:`brief_inputs` (watermarked when fictional)."""
    apply_style()
    unit, year, panels, lines = content["unit"], content["year"], content["panels"], content["lines"]
    n_lines = sum(len(wrap_zh(x, 52)) or 1 for x in lines) or 1
    heights = [1.9, 0.30 * n_lines + 0.55] + [0.26 * (len(r) + (1 if f else 0)) + 0.7 for r, f in panels] + [1.8]
    fig = Figure(figsize=A4, layout="constrained")
    subs = fig.subfigures(len(heights), 1, height_ratios=heights)
    _draw_header(subs[0], unit, year, content["header"])
    _draw_key_points(subs[1], lines)
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


def city_summary_figure(
    city: str,
    year: int,
    districts: pd.DataFrame,
    units: pd.DataFrame,
    area_scores: pd.DataFrame,
    narrative: pd.DataFrame | None,
) -> Figure:
    """The city brief's first page: the districts' area results side by side (score with its headline mark, or
    数据不足) and the city's 要点."""
    apply_style()
    ids = districts["unit_id"].tolist()
    fig = Figure(figsize=A4, layout="constrained")
    n_rows = len(ids)
    city_row = units[(units["level"] == "city") & (units["name"] == city)]
    city_id = city_row["unit_id"].iloc[0] if len(city_row) else city
    lines = _sentences(narrative, city_id, year)
    n_lines = sum(len(wrap_zh(x, 52)) or 1 for x in lines) or 1
    # heights in inches; the rest of the A4 page stays empty below instead of stretching one district's row
    heights = [0.9, 0.34 * n_rows + 1.0, 0.30 * n_lines + 0.8]
    heights.append(max(A4[1] - 0.6 - sum(heights), 0.01))
    subs = fig.subfigures(len(heights), 1, height_ratios=heights)
    ax = subs[0].add_subplot()
    ax.axis("off")
    ax.text(0, 0.9, f"{city} {year}年 法治政府建设简报 · 总览", fontsize=17, color=INK, va="top")
    all_d = units[(units["level"] == "district") & (units["city"] == city)]
    others = [str(x) for x in all_d["name"] if x not in set(districts["name"])]
    who = f"{city}共{len(all_d)}个区县，{n_rows}个有{year}年数据" if others else f"{n_rows}个区县"
    if others:
        who += f"（{'、'.join(others[:4])}{'等' if len(others) > 4 else ''}{len(others)}个尚无数据）"
    ax.text(
        0,
        0.45,
        f"{who}；各区县分页见后。\n▼=较上年下降或有结果指标实质下降",
        fontsize=9,
        color=MUTED,
        va="top",
        linespacing=1.5,
    )
    ax = subs[1].add_subplot()
    ax.axis("off")
    ax.set_xlim(0, 1)
    ax.set_ylim(n_rows + 0.2, -1.0)
    cols = [(0.0, "区县", None), (0.22, "P1 成效与均衡", "p1_effectiveness"), (0.44, "P2 备案审查", "p2_normative_docs"),
            (0.66, "P3 执法能力", "p3_enforcement"), (0.86, "综合", "overall")]  # fmt: skip
    for x, h, a in cols:
        ax.text(x, -0.45, h, fontsize=8.5, color=AREA_COLORS.get(a, MUTED), va="center")
    ax.axhline(-0.05, color=GRID, lw=0.8)
    sc = area_scores[(area_scores["year"] == int(year)) & area_scores["unit_id"].isin(ids)]
    for i, d in enumerate(districts.itertuples(index=False)):
        y = i + 0.5
        if i % 2 == 1:
            ax.axhspan(i, i + 1, color="#f7fafc", zorder=0)
        ax.text(0.0, y, d.name, fontsize=9.5, va="center", color=INK)
        for x, _, a in cols[1:]:
            hit = sc[(sc["unit_id"] == d.unit_id) & (sc["area"] == a)]
            if hit.empty:
                txt, color = "无数据", MUTED
            elif views.is_missing(hit["score"].iloc[0]):
                txt, color = ("数据不足" if "数据不足" in str(hit["reason"].iloc[0]) else "—"), MUTED
            else:
                mark = str(hit["headline_mark"].iloc[0]) if "headline_mark" in hit else ""
                txt = f"{float(hit['score'].iloc[0]):.1f}{MARK_TEXT.get(mark, '')}"
                color = CHANGE_COLORS["worse"] if mark == "down" else INK
            ax.text(x, y, txt, fontsize=9.5, va="center", color=color)
    _draw_key_points(subs[2], lines, f"要点：{city}")
    note = "得分0–100，以结果指标为主、按固定目标/锚点标准化；数据不足=核心结果指标报告不足，不计分；要点中的数字均来自指标表并附原文位置。"
    return finish(fig, note, synthetic_flag(ids, units))


def _neutral_band() -> float:
    from analysis.metrics.config import load_config

    return float(load_config()["neutral_band"]["rate_pp"])


def latest_years(obs: pd.DataFrame, district_ids: list[str]) -> dict[str, int]:
    """Latest year with any reported value per district."""
    rep = obs[obs["unit_id"].isin(district_ids) & obs["value"].notna()]
    return {str(u): int(y) for u, y in rep.groupby("unit_id")["year"].max().items()}


def build_briefs(
    processed_dir: str | os.PathLike | None,
    out_dir: str | os.PathLike,
    year: int | None = None,
    neutral_band: float | None = None,
    formats: tuple[str, ...] = ("png", "svg", "pdf"),
    indicators: pd.DataFrame | None = None,
    districts: list[str] | None = None,
    previous_keys: dict[str, str] | None = None,
    keys_out: dict[str, str] | None = None,
    salt: str = "",
    drawn: list[str] | None = None,
    reuse_from: str | os.PathLike | None = None,
) -> list[Path]:
    """Write a brief per district (latest year by default, or ``year``) and one PDF per city. Returns all paths.

    ``districts`` (ids or names) limits the run to those districts; by default every district with observations.

    Incremental: every brief and every city PDF has a key, the :func:`content_key` of what it shows (plus ``salt``,
    e.g. the code and config hashes). A brief whose key is in ``previous_keys`` (by output path) and whose files exist
    is not drawn again; a city PDF is rebuilt only when its summary page or one of its districts' briefs changed, by
    joining the districts' own one-page PDFs after a freshly drawn summary page (no brief is drawn twice). The keys of
    this call go to ``keys_out``; the outputs that were drawn (relative to ``out_dir``) to ``drawn``. With
    ``reuse_from`` (the previous briefs folder, when ``out_dir`` is a fresh staging folder) an unchanged file is
    taken from there (hard link, else copy) instead of being drawn again.
    """
    obs = load.load_observations(processed_dir)
    units = load.load_units(processed_dir)
    indicators = load.load_indicators() if indicators is None else indicators
    area_scores = load.load_metric("area_scores", processed_dir)
    ranks = load.load_metric("ranks", processed_dir)
    rates = load.load_metric("rates", processed_dir)
    changes = load.load_metric("changes", processed_dir)
    try:
        narrative = load.load_metric("narrative", processed_dir)
    except load.MissingOutputError:
        narrative = None
    band = _neutral_band() if neutral_band is None else float(neutral_band)
    out = Path(out_dir)
    previous_keys = previous_keys or {}
    keys = {} if keys_out is None else keys_out
    drawn = [] if drawn is None else drawn
    fmts = tuple(f.lower().lstrip(".") for f in formats)
    chosen = units[(units["level"] == "district") & units["unit_id"].isin(obs["unit_id"])]
    if districts:
        chosen = chosen[chosen["unit_id"].isin([views.resolve_unit(units, d)["unit_id"] for d in districts])]
    years = latest_years(obs, chosen["unit_id"].tolist())
    written: list[Path] = []

    def rel(path: Path) -> str:
        return path.relative_to(out).as_posix()

    def reuse(targets: list[Path], key: str) -> bool:
        """True when every target is unchanged and now present in ``out`` (taken from ``reuse_from`` if given)."""
        if not all(previous_keys.get(rel(t)) == key for t in targets):
            return False
        if reuse_from is None:
            return all(t.is_file() for t in targets)
        sources = [Path(reuse_from) / rel(t) for t in targets]
        if not all(src.is_file() for src in sources):
            return False
        for src, t in zip(sources, targets, strict=True):
            t.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(src, t)
            except OSError:
                shutil.copy2(src, t)
        return True

    for city, group in chosen.groupby("city", sort=False):
        city_dir = inside(out, out / safe_name(city))
        pages: list[Path | Figure] = []
        page_years, page_keys = [], []
        for unit in group.itertuples(index=False):
            y = int(year) if year is not None else years.get(unit.unit_id)
            if y is None or not ((obs["unit_id"] == unit.unit_id) & (obs["year"] == y)).any():
                continue
            content = brief_inputs(
                unit.unit_id, y, obs, indicators, units, area_scores, ranks, band, rates, narrative, changes
            )
            key = content_key([salt, fmts, content])
            stem = safe_name(f"{unit.name}_{y}")
            targets = [inside(out, city_dir / f"{stem}.{f}") for f in fmts]
            fig = None
            if not reuse(targets, key):
                fig = draw_brief(content)
                save_figure(fig, f"{unit.name}_{y}", city_dir, fmts)
                drawn.extend(rel(t) for t in targets)
            keys.update({rel(t): key for t in targets})
            written += targets
            pdf = city_dir / f"{stem}.pdf"
            pages.append(pdf if "pdf" in fmts else (fig if fig is not None else draw_brief(content)))
            page_years.append(y)
            page_keys.append(key)
        if pages:
            summary_year = max(page_years)
            in_year = group[group["unit_id"].isin(obs.loc[obs["year"] == summary_year, "unit_id"])]
            city_row = units[(units["level"] == "city") & (units["name"] == str(city))]
            city_id = city_row["unit_id"].iloc[0] if len(city_row) else str(city)
            ids = in_year["unit_id"].tolist()
            summary_content = {
                "city": str(city),
                "year": summary_year,
                "districts": in_year[["unit_id", "name"]],
                "scores": area_scores[(area_scores["year"] == summary_year) & area_scores["unit_id"].isin(ids)],
                "lines": _sentences(narrative, city_id, summary_year),
            }
            target = inside(out, city_dir / f"{safe_name(city)}_简报.pdf")
            key = content_key([salt, summary_content, page_keys])
            if not reuse([target], key):
                summary = city_summary_figure(str(city), summary_year, in_year, units, area_scores, narrative)
                _write_city_pdf(target, summary, pages)
                drawn.append(rel(target))
            keys[rel(target)] = key
            written.append(target)
    return written


def _write_city_pdf(target: Path, summary: Figure, pages: list) -> None:
    """The city PDF: the summary page, then each district's page — its own one-page PDF joined as it is (pypdf),
    or a figure drawn here when the briefs are written without PDFs."""
    import io

    from pypdf import PdfWriter

    def one_page(fig: Figure) -> io.BytesIO:
        buf = io.BytesIO()
        with PdfPages(buf, metadata={"CreationDate": None}) as pdf:
            pdf.savefig(fig)
        buf.seek(0)
        return buf

    writer = PdfWriter()
    writer.append(one_page(summary))
    for page in pages:
        writer.append(str(page) if isinstance(page, Path) else one_page(page))
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as f:
            writer.write(f)
    writer.close()
