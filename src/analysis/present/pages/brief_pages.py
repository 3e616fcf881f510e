"""The HTML page beside every district brief: its 要点 as text, the one-page brief embedded, links to the PDFs and
the district's other pages."""

from __future__ import annotations

import html
import os
from pathlib import Path

import pandas as pd

from analysis.core.io import UnsafePathError, inside, write_text
from analysis.present.charts.embed import data_uri
from analysis.present.pages.files import INDEX_NAME, href
from analysis.present.pages.html import html_page
from analysis.present.pages.site import (
    AREA_SHORT,
    INDEX_CSS,
    default_processed,
    find_runs,
    key_points,
    page_for,
    read_narrative,
)

BRIEF_CSS = """
.brief-img{max-width:100%;height:auto;border:1px solid #e2e8f0}
.points li{margin:.2rem 0} .links a{margin-right:1rem;white-space:nowrap}
section.area h3{margin:.8rem 0 .2rem}
"""
BRIEF_IMAGE_WIDTH = 1100


def brief_page_html(
    base: Path, png: Path, unit: pd.Series, year: int, narrative: pd.DataFrame, runs: dict, synthetic: bool
) -> str:
    """The HTML page of one district brief: its 要点 as text (whole unit, then each area), the one-page brief
    embedded, links to the PDF, the city PDF, the profile and trend pages, and back to the index."""
    up = "../" * (len(png.relative_to(base).parts) - 1)

    def from_root(rel: Path) -> str:
        return href(up + Path(rel).as_posix())

    name, city = str(unit["name"]), str(unit.get("city") or "")
    body = [f'<nav><a href="{up}{INDEX_NAME}">← 返回报告索引</a></nav>']
    badge = "<span class='badge'>示例数据（模拟）</span> " if synthetic else ""
    body.append(f"<h1>{badge}{html.escape(name)} {year}年 法治政府建设简报</h1>")
    if synthetic:
        body.append("<p class='synthetic'>虚构的示例区县，仅用于演示，不代表任何真实区县。</p>")
    links = []
    pdf = png.with_suffix(".pdf")
    if pdf.is_file():
        links.append(f'<a href="{href(pdf.name)}">下载本页PDF</a>')
    city_pdf = png.parent / f"{png.parent.name}_简报.pdf"
    if city_pdf.is_file():
        links.append(f'<a href="{href(city_pdf.name)}">{html.escape(city)}全市简报PDF</a>')
    profile = page_for(runs, "district_profile", district=name, year=year)
    if profile is not None:
        links.append(f'<a href="{from_root(profile)}">区县画像（证据表）</a>')
    trend = page_for(runs, "trends", district=name)
    if trend is not None:
        links.append(f'<a href="{from_root(trend)}">趋势</a>')
    if links:
        body.append("<p class='links'>" + "".join(links) + "</p>")
    points = key_points(narrative, str(unit["unit_id"]), year, level="district")
    body.append("<h2>要点</h2>")
    if points:
        body.append("<ul class='points'>" + "".join(f"<li>{html.escape(p)}</li>" for p in points) + "</ul>")
    else:
        body.append("<p class='muted'>本年度暂无可写的要点（数据不足或尚未运行 build）。</p>")
    for area, label in AREA_SHORT.items():
        if area == "overall":
            continue
        lines = _area_points(narrative, str(unit["unit_id"]), year, area)
        if lines:
            body.append(f"<section class='area'><h3>{html.escape(label)}</h3><ul class='points'>"
                        + "".join(f"<li>{html.escape(x)}</li>" for x in lines) + "</ul></section>")  # fmt: skip
    body.append("<h2>一页简报</h2>")
    body.append(
        f'<img class="brief-img" src="{data_uri(png, BRIEF_IMAGE_WIDTH)}" '
        f'alt="{html.escape(name, quote=True)} {year}年 一页简报">'
    )
    body.append(
        "<p class='muted'>要点由规则根据指标表生成（不使用语言模型），每个数字都来自指标表，原文句子与位置见区县画像的证据表；"
        "“未报告”表示报告未提及，不等于0。</p>"
    )
    return html_page(f"{name} {year}年 领导简报", "\n".join(body), extra_css=INDEX_CSS + BRIEF_CSS)


def _area_points(narrative: pd.DataFrame, unit_id: str, year: int, area: str) -> list[str]:
    if narrative.empty:
        return []
    n = narrative[
        (narrative["level"].astype(str) == "district")
        & (narrative["unit_id"].astype(str) == str(unit_id))
        & (pd.to_numeric(narrative["year"], errors="coerce") == int(year))
        & (narrative["area"].fillna("").astype(str) == area)
    ].sort_values("seq")
    return [str(x) for x in n["sentence"] if isinstance(x, str) and x.strip()]


def write_brief_pages(reports_dir: str | os.PathLike, processed_dir: str | os.PathLike | None = None) -> list[Path]:
    """Beside every district brief PNG (reports/briefs/<city>/<district>_<year>.png) an HTML page a reader opens
    from the index card (see :func:`brief_page_html`). Returns the pages written."""
    from analysis.tidy import load

    base = Path(reports_dir).resolve()
    brief_dir = base / "briefs"
    if not brief_dir.is_dir():
        return []
    try:
        units = load.load_units(processed_dir)
    except Exception:  # noqa: BLE001 - no build: no pages
        return []
    narrative = read_narrative(Path(processed_dir) if processed_dir else default_processed())
    runs = find_runs(base)
    districts = units[units["level"] == "district"]
    written = []
    for d in districts.itertuples(index=False):
        city_dir = brief_dir / str(d.city)
        if not city_dir.is_dir():
            continue
        for png in sorted(city_dir.glob(f"{d.name}_*.png")):
            year = png.stem[len(str(d.name)) + 1 :]
            if not year.isdigit():
                continue
            try:
                inside(base, png)
            except UnsafePathError:
                continue
            page = brief_page_html(base, png, pd.Series(d._asdict()), int(year), narrative, runs, bool(d.synthetic))
            written.append(write_text(png.with_suffix(".html"), page))
    return written
