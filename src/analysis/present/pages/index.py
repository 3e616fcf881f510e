"""reports/index.html: the entry page a 局长 opens (the file list is in ``files``, the brief pages in ``brief_pages``).

The entry page puts the real units first and the fictional 示例市 in its own, clearly marked section (absent when the
build left the sample out). Per city: the key comparison chart (overall score of every district) and its 要点 — the
rule-written narrative of data/processed/metrics/narrative.parquet when it exists — then one card per district with a
thumbnail of its brief, its area results and links to its profile, trend page and brief. Links to the methodology
page, the data-quality page, the Excel workbook and the file list sit at the top. Cities and districts keep the
registry order (units.yaml), never code-point order (which puts 示例三区 before 示例二区).

Charts and thumbnails are embedded as data: URIs (downscaled), so the page is self-contained. Names shown are
HTML-escaped; links are relative, percent-encoded and never leave the reports folder (symlinks pointing outside are
skipped).
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import pandas as pd

from analysis.core.io import write_text
from analysis.present.charts.embed import data_uri
from analysis.present.pages.brief_pages import write_brief_pages
from analysis.present.pages.files import FILES_NAME, INDEX_NAME, collect, href, render_files
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

__all__ = [
    "FILES_NAME",
    "INDEX_NAME",
    "build_index",
    "collect",
    "key_points",
    "read_narrative",
    "render_entry",
    "render_files",
    "render_index",
    "write_brief_pages",
]


WORKBOOK_NAME = "数据汇总.xlsx"
THUMB_WIDTH = 300
CHART_WIDTH = 900
render_index_list = render_files
MARKS = {"up": "▲", "down": "▼", "flat": "■"}


def _score_lines(scores: pd.DataFrame, unit_id: str, year: int) -> list[tuple[str, str]]:
    """(text, css class) per area: '99.6分 ▼（覆盖7/16项）' ('worse' when the headline is ▼ — an outcome got worse),
    '数据不足（核心结果指标未达要求）' when the coverage gate withheld the score, '无数据' when the area has no row."""
    sc = scores[(scores["unit_id"] == unit_id) & (scores["year"] == int(year))].set_index("area")
    lines = []
    for area, label in AREA_SHORT.items():
        if area not in sc.index:
            lines.append((f"{label}：无数据", "muted"))
            continue
        r = sc.loc[area]
        if pd.notna(r["score"]):
            mark = MARKS.get(str(r.get("headline_mark", "")), "")
            cov = f"（覆盖{int(r['n_used'])}/{int(r['n_total'])}项）" if pd.notna(r.get("n_total")) else ""
            lines.append((f"{label}：{float(r['score']):.1f}分{(' ' + mark) if mark else ''}{cov}",
                          "worse" if mark == "▼" else ""))  # fmt: skip
        else:
            gated = "数据不足" in str(r.get("reason", ""))
            lines.append((f"{label}：{'数据不足，不计分' if gated else '未能计算'}", "muted"))
    return lines


def _city_block(
    base: Path,
    city: pd.Series,
    districts: pd.DataFrame,
    runs: dict,
    scores: pd.DataFrame,
    years: dict,
    narrative: pd.DataFrame,
) -> str:
    name = str(city["name"])
    ys = [years[u] for u in districts["unit_id"] if u in years]
    year = max(ys) if ys else None
    out = [f"<h3>{html.escape(name)}{f' {year}年' if year else ''}</h3>"]
    out += _city_comparison(base, name, year, runs)
    points = key_points(narrative, str(city["unit_id"]), year) if year else []
    if points:
        out.append("<h4>要点</h4><ul class='points'>" + "".join(f"<li>{html.escape(p)}</li>" for p in points) + "</ul>")
    cards = [
        _district_card(base, name, d, years[d.unit_id], runs, scores)
        for d in districts.itertuples(index=False)
        if d.unit_id in years
    ]
    if cards:
        out.append("<div class='cards'>" + "".join(cards) + "</div>")
    without = [str(n) for u, n in zip(districts["unit_id"], districts["name"], strict=True) if u not in years]
    if without:
        names = "、".join(without[:12]) + ("等" if len(without) > 12 else "")
        out.append(
            f"<p class='muted'>另有{len(without)}个区县尚无数据（未收到报告或数据集）：{html.escape(names)}。"
            "添加报告：<code>python -m analysis add-report</code>（见 README）。</p>"
        )
    out += _deep_dives(name, year, runs)
    return "\n".join(out)


def _city_comparison(base: Path, name: str, year: int | None, runs: dict) -> list[str]:
    """The city's overall-score chart and the link to its district comparison page, when that page was run."""
    comp = page_for(runs, "district_comparison", city=name, year=year) if year else None
    if comp is None:
        return []
    out = []
    chart = base / comp.parent / f"{name}_{year}_overall.png"
    if chart.is_file():
        out.append(
            f'<a href="{href(comp)}"><img class="city-chart" src="{data_uri(chart, CHART_WIDTH)}" '
            f'alt="{html.escape(name, quote=True)} {year}年 各区县综合得分"></a>'
        )
    out.append(f'<p><a href="{href(comp)}">{html.escape(name)} {year}年 区县比较（全部领域、名次与稳健性）</a></p>')
    return out


def _district_card(base: Path, city: str, d, y: int, runs: dict, scores: pd.DataFrame) -> str:
    """One district's card: brief thumbnail, area results, links to its profile, trend page and brief."""
    profile = page_for(runs, "district_profile", district=d.name, year=y)
    trend = page_for(runs, "trends", district=d.name)
    brief_png = base / "briefs" / city / f"{d.name}_{y}.png"
    brief_pdf = brief_png.with_suffix(".pdf")
    card = [f"<div class='card'><h4>{html.escape(str(d.name))} <span class='muted'>{y}年</span></h4>"]
    brief_page = brief_png.with_suffix(".html")
    if brief_png.is_file():
        img = f'<img src="{data_uri(brief_png, THUMB_WIDTH)}" alt="{html.escape(str(d.name), quote=True)} 简报缩略图">'
        target = brief_page if brief_page.is_file() else brief_pdf if brief_pdf.is_file() else brief_png
        card.append(f'<a href="{href(target.relative_to(base))}">{img}</a>')
    card.append(
        "<ul>"
        + "".join(f'<li class="{c}">{html.escape(t)}</li>' if c else f"<li>{html.escape(t)}</li>"
                  for t, c in _score_lines(scores, d.unit_id, y))
        + "</ul>"
    )  # fmt: skip
    links = []
    if profile is not None:
        links.append(f'<a href="{href(profile)}">区县画像</a>')
    if trend is not None:
        links.append(f'<a href="{href(trend)}">趋势</a>')
    if brief_page.is_file():
        links.append(f'<a href="{href(brief_page.relative_to(base))}">领导简报</a>')
    if brief_pdf.is_file():
        links.append(f'<a href="{href(brief_pdf.relative_to(base))}">简报PDF</a>')
    card.append("<div class='links'>" + "".join(links) + "</div></div>")
    return "".join(card)


def _deep_dives(name: str, year: int | None, runs: dict) -> list[str]:
    """Links to the city's area deep-dive pages of that year, in area order."""
    deep = [
        (p, page) for p, page in runs.get("area_deep_dive", []) if str(p.get("city")) == name and p.get("year") == year
    ]
    if not deep:
        return []
    order = {a: i for i, a in enumerate(AREA_SHORT)}
    deep.sort(key=lambda t: order.get(str(t[0].get("area")), 9))
    links = "，".join(
        f'<a href="{href(pg)}">{html.escape(AREA_SHORT.get(str(p.get("area")), str(p.get("area"))))}</a>'
        for p, pg in deep
    )
    return ["<p>专题分析：" + links + "</p>"]


def render_entry(base: Path, processed_dir: Path | None) -> str:
    """The entry page HTML (see the module docstring)."""
    from analysis.tidy import load

    base = Path(base).resolve()
    runs = find_runs(base) if base.is_dir() else {}
    try:
        units = load.load_units(processed_dir)
        obs = load.load_observations(processed_dir)
        scores = load.load_metric("area_scores", processed_dir)
    except Exception:  # noqa: BLE001 - no build yet: the page still links what exists
        units = obs = scores = None
    narrative = (
        read_narrative(Path(processed_dir) if processed_dir else default_processed()) if units is not None else None
    )

    top = ['<header class="top"><strong>法治政府建设 分析报告</strong>']
    if (base / "methodology.html").is_file():
        top.append('<a href="methodology.html">方法说明（指标、权重与评分）</a>')
    dq = next((page for _, page in runs.get("data_quality", [])), None)
    if dq is not None:
        top.append(f'<a href="{href(dq)}">数据质量</a>')
    if (base / WORKBOOK_NAME).is_file():
        top.append(f'<a href="{href(WORKBOOK_NAME)}">数据汇总（Excel）</a>')
    top.append(f'<a href="{FILES_NAME}">全部生成文件</a></header>')
    body = ["".join(top), "<h1>法治政府建设 各区县报告</h1>"]
    if units is None:
        body.append('<p class="muted">尚未构建数据（python -m analysis build），见“全部生成文件”。</p>')
        return html_page("报告索引", "\n".join(body), extra_css=INDEX_CSS)

    have = obs[obs["value"].notna()] if "value" in obs.columns else obs
    years = have.groupby("unit_id")["year"].max().astype(int).to_dict()
    cities = units[units["level"] == "city"]
    sections = {False: [], True: []}
    for city in cities.itertuples(index=False):
        districts = units[(units["level"] == "district") & (units["city"] == city.name)]
        if not districts["unit_id"].isin(list(years)).any():
            continue
        sections[bool(city.synthetic)].append(
            _city_block(base, pd.Series(city._asdict()), districts, runs, scores, years, narrative)
        )
    body.append("<section class='real'><h2>真实数据</h2>")
    body.append("\n".join(sections[False]) or "<p class='muted'>尚无真实区县的数据。</p>")
    body.append("</section>")
    if sections[True]:
        body.append(
            "<section class='sample'><h2><span class='badge'>示例数据（模拟）</span> 虚构的示例市</h2>"
            "<p>以下区县与数据均为虚构，仅用于演示分析方法，不代表任何真实区县；不与真实区县比较。"
            "不含示例数据的构建：<code>make run SAMPLE=0</code>。</p>"
        )
        body.append("\n".join(sections[True]))
        body.append("</section>")
    return html_page("报告索引", "\n".join(body), extra_css=INDEX_CSS)


def render_index(groups: dict[str, dict[str, list[Path]]], title: str = "报告索引") -> str:
    """The plain list of generated files (now the file-list page; the entry page is :func:`render_entry`)."""
    return render_files(groups, title)


def build_index(reports_dir: str | os.PathLike, processed_dir: str | os.PathLike | None = None) -> Path:
    """Write the brief pages (:func:`write_brief_pages`), ``reports_dir/index.html`` (the entry page) and
    ``reports_dir/files.html`` (every file). Returns the index path."""
    base = Path(reports_dir)
    write_brief_pages(base, processed_dir)
    write_text(base / FILES_NAME, render_files(collect(base)))
    return write_text(base / INDEX_NAME, render_entry(base, Path(processed_dir) if processed_dir else None))
