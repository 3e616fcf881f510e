"""reports/index.html: the entry page a 局长 opens, and reports/files.html, the full list of generated files.

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
import json
import os
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from analysis.core.io import write_text
from analysis.present.charts.embed import data_uri
from analysis.present.charts.naming import UnsafePathError, inside
from analysis.present.pages.html import html_page

INDEX_NAME = "index.html"
FILES_NAME = "files.html"
WORKBOOK_NAME = "数据汇总.xlsx"
LINKED_SUFFIXES = (".html", ".pdf", ".png", ".svg", ".ipynb", ".xlsx")
GROUP_TITLES = {
    "district_profile": "区县画像",
    "district_comparison": "区县比较",
    "trends": "趋势",
    "area_deep_dive": "专题分析",
    "data_quality": "数据质量",
    "briefs": "领导简报",
    "methodology": "方法说明",
}
KIND_LABELS = {".html": "网页", ".pdf": "PDF", ".png": "图片", ".svg": "矢量图", ".ipynb": "笔记本", ".xlsx": "Excel"}
AREA_SHORT = {
    "p1_effectiveness": "P1 成效与均衡",
    "p2_normative_docs": "P2 备案审查",
    "p3_enforcement": "P3 执法能力",
    "overall": "综合",
}
THUMB_WIDTH = 300
CHART_WIDTH = 900

INDEX_CSS = """
header.top{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:baseline;margin-bottom:1rem}
header.top a{white-space:nowrap}
section.real,section.sample{margin-top:1.5rem}
section.sample{border:2px dashed #c53030;padding:.2rem 1rem 1rem;background:#fff8f8}
section.sample>h2{color:#c53030}
.city-chart{max-width:100%;height:auto;border:1px solid #e2e8f0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:1rem;margin:1rem 0}
.card{border:1px solid #d5dbe1;border-radius:6px;padding:.6rem;background:#fff}
.card h4{margin:.2rem 0 .4rem;font-size:1.05rem}
.card img{width:100%;height:auto;border:1px solid #edf0f2}
.card ul{list-style:none;padding:0;margin:.4rem 0;font-size:.9rem}
.card .links a{margin-right:.8rem;white-space:nowrap}
.points li{margin:.2rem 0}
.badge{display:inline-block;background:#c53030;color:#fff;border-radius:3px;padding:0 .4rem;font-size:.85rem}
.card li.worse{color:#c53030} .card li.muted{color:#718096}
"""


# ------------------------------------------------------------------------------------------------ the file list


def collect(reports_dir: str | os.PathLike) -> dict[str, dict[str, list[Path]]]:
    """{group: {subgroup: [relative paths]}} for every linkable file (hidden and temporary files skipped)."""
    base = Path(reports_dir).resolve()
    groups: dict[str, dict[str, list[Path]]] = defaultdict(lambda: defaultdict(list))
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
        for name in sorted(filenames):
            if name.startswith(".") or not name.lower().endswith(LINKED_SUFFIXES):
                continue
            full = Path(dirpath) / name
            try:
                inside(base, full)
            except UnsafePathError:
                continue
            rel = full.relative_to(base)
            if rel.as_posix() in (INDEX_NAME, FILES_NAME):
                continue
            parts = rel.parts
            group = parts[0] if len(parts) > 1 else "其他"
            sub = parts[1] if len(parts) > 2 else ""
            groups[group][sub].append(rel)
    return {g: dict(s) for g, s in groups.items()}


def _href(rel: Path | str) -> str:
    return html.escape(quote(Path(rel).as_posix(), safe="/"), quote=True)


def _link(rel: Path) -> str:
    kind = KIND_LABELS.get(rel.suffix.lower(), rel.suffix)
    return f'<li><a href="{_href(rel)}">{html.escape(rel.name)}</a> <span class="muted">{kind}</span></li>'


def render_files(groups: dict[str, dict[str, list[Path]]], title: str = "全部生成文件") -> str:
    """The file-list page HTML for collected groups (every name escaped), with a link back to the index."""
    body = [f'<nav><a href="{INDEX_NAME}">← 返回报告索引</a></nav>', f"<h1>{html.escape(title)}</h1>"]
    if not groups:
        body.append('<p class="muted">尚无生成的报告。</p>')
    order = [g for g in GROUP_TITLES if g in groups] + sorted(g for g in groups if g not in GROUP_TITLES)
    for g in order:
        label = GROUP_TITLES.get(g, g)
        body.append(f"<h2>{html.escape(label)} <span class='muted'>{html.escape(g)}</span></h2>")
        for sub in sorted(groups[g]):
            if sub:
                body.append(f"<h3>{html.escape(sub)}</h3>")
            body.append('<ul class="files">' + "".join(_link(p) for p in groups[g][sub]) + "</ul>")
    body.append('<p class="muted">标注“示例数据（模拟）”的图表来自虚构的示例市，仅用于演示，不代表任何真实区县。</p>')
    return html_page(title, "\n".join(body))


# Kept for callers of the earlier single-page index.
render_index_list = render_files


# ------------------------------------------------------------------------------------------------ the entry page


def _runs(base: Path) -> dict[str, list[tuple[dict, Path]]]:
    """{notebook: [(parameters, page path relative to reports)]} from each run folder's run.json."""
    out: dict[str, list[tuple[dict, Path]]] = defaultdict(list)
    for nb_dir in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        for run_dir in sorted(p for p in nb_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            page = run_dir / f"{nb_dir.name}.html"
            if not page.is_file():
                continue
            params: dict = {}
            meta = run_dir / "run.json"
            if meta.is_file():
                try:
                    data = json.loads(meta.read_text(encoding="utf-8"))
                    params = data.get("params", data.get("parameters", {})) or {}
                except (OSError, ValueError):
                    params = {}
            out[nb_dir.name].append((params, page.relative_to(base)))
    return out


def read_narrative(processed_dir: Path) -> pd.DataFrame:
    """The narrative table (contract in the team's notes: level, unit_id, year, area, seq, kind, sentence, …), or an
    empty frame when it has not been built."""
    from analysis.core import paths

    path = paths.resolve_processed(processed_dir) / "metrics" / "narrative.parquet"
    cols = ["level", "unit_id", "year", "area", "seq", "kind", "sentence"]
    if not path.is_file():
        return pd.DataFrame(columns=cols)
    df = pd.read_parquet(path)
    missing = [c for c in cols if c not in df.columns]
    return pd.DataFrame(columns=cols) if missing else df


def key_points(narrative: pd.DataFrame, unit_id: str, year: int, level: str = "city") -> list[str]:
    """The whole-unit (area '') 要点 sentences of one unit-year, in ``seq`` order."""
    if narrative.empty:
        return []
    n = narrative[
        (narrative["level"].astype(str) == level)
        & (narrative["unit_id"].astype(str) == str(unit_id))
        & (pd.to_numeric(narrative["year"], errors="coerce") == int(year))
        & (narrative["area"].fillna("").astype(str) == "")
    ]
    n = n.sort_values("seq")
    return [str(s) for s in n["sentence"] if isinstance(s, str) and s.strip()]


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


def _page_for(runs: dict, notebook: str, **want: object) -> Path | None:
    for params, page in runs.get(notebook, []):
        if all(str(params.get(k)) == str(v) for k, v in want.items()):
            return page
    return None


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
    comp = _page_for(runs, "district_comparison", city=name, year=year) if year else None
    if comp is not None:
        chart = base / comp.parent / f"{name}_{year}_overall.png"
        if chart.is_file():
            out.append(
                f'<a href="{_href(comp)}"><img class="city-chart" src="{data_uri(chart, CHART_WIDTH)}" '
                f'alt="{html.escape(name, quote=True)} {year}年 各区县综合得分"></a>'
            )
        out.append(
            f'<p><a href="{_href(comp)}">{html.escape(name)} {year}年 区县比较（全部领域、名次与稳健性）</a></p>'
        )
    points = key_points(narrative, str(city["unit_id"]), year) if year else []
    if points:
        out.append("<h4>要点</h4><ul class='points'>" + "".join(f"<li>{html.escape(p)}</li>" for p in points) + "</ul>")
    cards = []
    for d in districts.itertuples(index=False):
        if d.unit_id not in years:
            continue
        y = years[d.unit_id]
        profile = _page_for(runs, "district_profile", district=d.name, year=y)
        trend = _page_for(runs, "trends", district=d.name)
        brief_png = base / "briefs" / name / f"{d.name}_{y}.png"
        brief_pdf = brief_png.with_suffix(".pdf")
        card = [f"<div class='card'><h4>{html.escape(str(d.name))} <span class='muted'>{y}年</span></h4>"]
        brief_page = brief_png.with_suffix(".html")
        if brief_png.is_file():
            img = f'<img src="{data_uri(brief_png, THUMB_WIDTH)}" alt="{html.escape(str(d.name), quote=True)} 简报缩略图">'
            target = brief_page if brief_page.is_file() else brief_pdf if brief_pdf.is_file() else brief_png
            card.append(f'<a href="{_href(target.relative_to(base))}">{img}</a>')
        card.append(
            "<ul>"
            + "".join(f'<li class="{c}">{html.escape(t)}</li>' if c else f"<li>{html.escape(t)}</li>"
                      for t, c in _score_lines(scores, d.unit_id, y))
            + "</ul>"
        )  # fmt: skip
        links = []
        if profile is not None:
            links.append(f'<a href="{_href(profile)}">区县画像</a>')
        if trend is not None:
            links.append(f'<a href="{_href(trend)}">趋势</a>')
        if brief_page.is_file():
            links.append(f'<a href="{_href(brief_page.relative_to(base))}">领导简报</a>')
        if brief_pdf.is_file():
            links.append(f'<a href="{_href(brief_pdf.relative_to(base))}">简报PDF</a>')
        card.append("<div class='links'>" + "".join(links) + "</div></div>")
        cards.append("".join(card))
    if cards:
        out.append("<div class='cards'>" + "".join(cards) + "</div>")
    without = [str(n) for u, n in zip(districts["unit_id"], districts["name"], strict=True) if u not in years]
    if without:
        names = "、".join(without[:12]) + ("等" if len(without) > 12 else "")
        out.append(
            f"<p class='muted'>另有{len(without)}个区县尚无数据（未收到报告或数据集）：{html.escape(names)}。"
            "添加报告：<code>python -m analysis add-report</code>（见 README）。</p>"
        )
    deep = [
        (p, page) for p, page in runs.get("area_deep_dive", []) if str(p.get("city")) == name and p.get("year") == year
    ]
    if deep:
        order = {a: i for i, a in enumerate(AREA_SHORT)}
        deep.sort(key=lambda t: order.get(str(t[0].get("area")), 9))
        out.append(
            "<p>专题分析："
            + "，".join(
                f'<a href="{_href(pg)}">{html.escape(AREA_SHORT.get(str(p.get("area")), str(p.get("area"))))}</a>'
                for p, pg in deep
            )
            + "</p>"
        )
    return "\n".join(out)


def render_entry(base: Path, processed_dir: Path | None) -> str:
    """The entry page HTML (see the module docstring)."""
    from analysis.tidy import load

    base = Path(base).resolve()
    runs = _runs(base) if base.is_dir() else {}
    try:
        units = load.load_units(processed_dir)
        obs = load.load_observations(processed_dir)
        scores = load.load_metric("area_scores", processed_dir)
    except Exception:  # noqa: BLE001 - no build yet: the page still links what exists
        units = obs = scores = None
    narrative = read_narrative(Path(processed_dir) if processed_dir else _processed()) if units is not None else None

    top = ['<header class="top"><strong>法治政府建设 分析报告</strong>']
    if (base / "methodology.html").is_file():
        top.append('<a href="methodology.html">方法说明（指标、权重与评分）</a>')
    dq = next((page for _, page in runs.get("data_quality", [])), None)
    if dq is not None:
        top.append(f'<a href="{_href(dq)}">数据质量</a>')
    if (base / WORKBOOK_NAME).is_file():
        top.append(f'<a href="{_href(WORKBOOK_NAME)}">数据汇总（Excel）</a>')
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


BRIEF_CSS = """
.brief-img{max-width:100%;height:auto;border:1px solid #e2e8f0}
.points li{margin:.2rem 0} .links a{margin-right:1rem;white-space:nowrap}
section.area h3{margin:.8rem 0 .2rem}
"""
BRIEF_IMAGE_WIDTH = 1100


def _brief_page(
    base: Path, png: Path, unit: pd.Series, year: int, narrative: pd.DataFrame, runs: dict, synthetic: bool
) -> str:
    """The HTML page of one district brief: its 要点 as text (whole unit, then each area), the one-page brief
    embedded, links to the PDF, the city PDF, the profile and trend pages, and back to the index."""
    up = "../" * (len(png.relative_to(base).parts) - 1)

    def href(rel: Path) -> str:
        return _href(up + Path(rel).as_posix())

    name, city = str(unit["name"]), str(unit.get("city") or "")
    body = [f'<nav><a href="{up}{INDEX_NAME}">← 返回报告索引</a></nav>']
    badge = "<span class='badge'>示例数据（模拟）</span> " if synthetic else ""
    body.append(f"<h1>{badge}{html.escape(name)} {year}年 法治政府建设简报</h1>")
    if synthetic:
        body.append("<p class='synthetic'>虚构的示例区县，仅用于演示，不代表任何真实区县。</p>")
    links = []
    pdf = png.with_suffix(".pdf")
    if pdf.is_file():
        links.append(f'<a href="{_href(pdf.name)}">下载本页PDF</a>')
    city_pdf = png.parent / f"{png.parent.name}_简报.pdf"
    if city_pdf.is_file():
        links.append(f'<a href="{_href(city_pdf.name)}">{html.escape(city)}全市简报PDF</a>')
    profile = _page_for(runs, "district_profile", district=name, year=year)
    if profile is not None:
        links.append(f'<a href="{href(profile)}">区县画像（证据表）</a>')
    trend = _page_for(runs, "trends", district=name)
    if trend is not None:
        links.append(f'<a href="{href(trend)}">趋势</a>')
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
    from the index card (see :func:`_brief_page`). Returns the pages written."""
    from analysis.tidy import load

    base = Path(reports_dir).resolve()
    brief_dir = base / "briefs"
    if not brief_dir.is_dir():
        return []
    try:
        units = load.load_units(processed_dir)
    except Exception:  # noqa: BLE001 - no build: no pages
        return []
    narrative = read_narrative(Path(processed_dir) if processed_dir else _processed())
    runs = _runs(base)
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
            page = _brief_page(base, png, pd.Series(d._asdict()), int(year), narrative, runs, bool(d.synthetic))
            written.append(write_text(png.with_suffix(".html"), page))
    return written


def _processed() -> Path:
    from analysis.core import paths

    return paths.resolve_processed()


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
