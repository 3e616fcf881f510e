"""One-page leadership briefs: per district-year a fixed A4 page (header with area scores and ranks where allowed,
P1–P3 indicator panels, trend sparklines on one shared 0–100 scale with change marks, source note), saved as PNG,
SVG and PDF, plus one PDF per city holding all its districts' pages.

Layout of the output: ``<out_dir>/<city>/<district>_<year>.{png,svg,pdf}`` and ``<out_dir>/<city>/<city>_简报.pdf``.
Real and fictional cities are separate PDFs, so real and sample units never share a page.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from analysis import load
from analysis.charts import figures, views
from analysis.charts.naming import inside, safe_name
from analysis.charts.style import (
    AREA_COLORS,
    AREA_LABELS,
    AREA_ORDER,
    INK,
    MUTED,
    apply_style,
    finish,
    save_figure,
    synthetic_flag,
)
from analysis.io import atomic_path

A4 = (8.27, 11.69)
MAX_PANEL_ROWS = 7


def header_lines(
    unit: pd.Series, year: int, area_scores: pd.DataFrame, ranks: pd.DataFrame
) -> list[tuple[str, str, str, str]]:
    """Per area: (area, score text, coverage text, rank text — only when rank_allowed, else the reason)."""
    sc = area_scores[(area_scores["unit_id"] == unit["unit_id"]) & (area_scores["year"] == int(year))]
    rk = ranks[(ranks["unit_id"] == unit["unit_id"]) & (ranks["year"] == int(year))]
    out = []
    for area in (*AREA_ORDER, "overall"):
        s = sc[sc["area"] == area]
        r = rk[rk["area"] == area]
        if s.empty or views.is_missing(s["score"].iloc[0]):
            score, cov = "—", "未能计算"
        else:
            score = f"{float(s['score'].iloc[0]):.1f}"
            row = s.iloc[0]
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
        ax.text(x, 0.30, score, fontsize=16, color=color, va="top")
        ax.text(x, 0.09, cov, fontsize=7.5, color=MUTED, va="top")
        rank_txt = "\n".join(textwrap.wrap(views.short(rank, 34), 17))
        ax.text(x, -0.06, rank_txt, fontsize=7.5, color=INK if "第" in rank else MUTED, va="top", linespacing=1.2)


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
) -> Figure:
    """The one-page brief of one district-year as an A4 portrait Figure (watermarked when fictional)."""
    apply_style()
    unit = views.resolve_unit(units, unit_id)
    full = [views.profile_rows(obs, indicators, unit_id, year, a, rates) for a in AREA_ORDER]
    panels = [views.compact_rows(rows, MAX_PANEL_ROWS) for rows in full]
    heights = [2.0] + [0.28 * (len(r) + (1 if f else 0)) + 0.75 for r, f in panels] + [2.0]
    fig = Figure(figsize=A4, layout="constrained")
    subs = fig.subfigures(len(heights), 1, height_ratios=heights)
    _draw_header(subs[0], unit, year, header_lines(unit, year, area_scores, ranks))
    for sub, area, all_rows, (rows, footer) in zip(subs[1:4], AREA_ORDER, full, panels, strict=True):
        n_rep = int((all_rows["value_state"] != "not_reported").sum())
        title = f"{AREA_LABELS[area]}（已报告{n_rep}/{len(all_rows)}项，列出{len(rows)}项）"
        figures.draw_area_panel(sub, rows, title, area, 30, footer)
    sc = area_scores[(area_scores["unit_id"] == unit_id) & (area_scores["year"] <= int(year))]
    figures.draw_sparklines(subs[4], sc, [*AREA_ORDER, "overall"], neutral_band, "各领域得分趋势（同一0–100刻度）")
    files = obs.loc[(obs["unit_id"] == unit_id) & (obs["year"] == int(year)), "source_file"]
    note = (
        f"{views.source_text(files, '原文句子与位置见区县画像证据表')}。“未报告”表示报告未提及，不等于0；"
        f"约=原文为约数（余/多/近/约）；▲▼为较上年变化，小于{neutral_band:g}分记为无实质变化（■）；"
        "得分按固定目标/锚点标准化，同组区县不足或样本过小时不排名。"
    )
    return finish(fig, note, synthetic_flag([unit_id], units))


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
) -> list[Path]:
    """Write a brief per district (latest year by default, or ``year``) and one PDF per city. Returns all paths.

    ``districts`` (ids or names) limits the run to those districts; by default every district with observations.
    """
    obs = load.load_observations(processed_dir)
    units = load.load_units(processed_dir)
    indicators = load.load_indicators() if indicators is None else indicators
    area_scores = load.load_metric("area_scores", processed_dir)
    ranks = load.load_metric("ranks", processed_dir)
    rates = load.load_metric("rates", processed_dir)
    band = _neutral_band() if neutral_band is None else float(neutral_band)
    out = Path(out_dir)
    chosen = units[(units["level"] == "district") & units["unit_id"].isin(obs["unit_id"])]
    if districts:
        chosen = chosen[chosen["unit_id"].isin([views.resolve_unit(units, d)["unit_id"] for d in districts])]
    years = latest_years(obs, chosen["unit_id"].tolist())
    written: list[Path] = []
    for city, group in chosen.groupby("city", sort=False):
        city_dir = inside(out, out / safe_name(city))
        pages = []
        for unit in group.itertuples(index=False):
            y = int(year) if year is not None else years.get(unit.unit_id)
            if y is None or not ((obs["unit_id"] == unit.unit_id) & (obs["year"] == y)).any():
                continue
            fig = brief_figure(unit.unit_id, y, obs, indicators, units, area_scores, ranks, band, rates)
            written += save_figure(fig, f"{unit.name}_{y}", city_dir, formats)
            pages.append(fig)
        if pages:
            target = inside(out, city_dir / f"{safe_name(city)}_简报.pdf")
            with atomic_path(target) as tmp, PdfPages(tmp, metadata={"CreationDate": None}) as pdf:
                for fig in pages:
                    pdf.savefig(fig)
            written.append(target)
    return written
