"""The city brief: a summary page with the districts' area results side by side, then each district's page, as one PDF."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from analysis.core.io import atomic_path
from analysis.present.brief_page import A4, MARK_TEXT, draw_key_points, narrative_lines, wrap_zh
from analysis.present.charts import views
from analysis.present.charts.style import (
    AREA_COLORS,
    AREA_ORDER,
    CHANGE_COLORS,
    GRID,
    INK,
    MUTED,
    apply_style,
    finish,
    synthetic_flag,
)
from analysis.registry.vocabulary import load_vocabulary


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
    lines = narrative_lines(narrative, city_id, year)
    n_lines = sum(len(wrap_zh(x, 52)) or 1 for x in lines) or 1
    # heights in inches; the rest of the A4 page stays empty below instead of stretching one district's row
    heights = [0.9, 0.34 * n_rows + 1.0, 0.30 * n_lines + 0.8]
    heights.append(max(A4[1] - 0.6 - sum(heights), 0.01))
    subs = fig.subfigures(len(heights), 1, height_ratios=heights)
    _draw_city_title(subs[0], city, year, districts, units)
    _draw_district_table(subs[1], districts, area_scores, year)
    draw_key_points(subs[2], lines, f"要点：{city}")
    note = "得分0–100，以结果指标为主、按固定目标/锚点标准化；数据不足=核心结果指标报告不足，不计分；要点中的数字均来自指标表并附原文位置。"
    return finish(fig, note, synthetic_flag(ids, units))


def _draw_city_title(sub, city: str, year: int, districts: pd.DataFrame, units: pd.DataFrame) -> None:
    """Title and the line saying how many of the city's districts have data."""
    n_rows = len(districts)
    ax = sub.add_subplot()
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


def _draw_district_table(sub, districts: pd.DataFrame, area_scores: pd.DataFrame, year: int) -> None:
    """The districts' area results side by side (score with its headline mark, 数据不足, or 无数据)."""
    n_rows = len(districts)
    ids = districts["unit_id"].tolist()
    ax = sub.add_subplot()
    ax.axis("off")
    ax.set_xlim(0, 1)
    ax.set_ylim(n_rows + 0.2, -1.0)
    short = load_vocabulary().area_labels("short")
    cols = [
        (0.0, "区县", None),
        *((x, short[a], a) for x, a in zip((0.22, 0.44, 0.66, 0.86), (*AREA_ORDER, "overall"), strict=True)),
    ]
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


def write_city_pdf(target: Path, summary: Figure, pages: list) -> None:
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
