"""reports/index.html: one page that links every generated page and chart under the reports folder, grouped by
notebook (the first folder level) and by district/parameter set (the second level).

Names shown are HTML-escaped; links are relative, percent-encoded and never leave the reports folder (symlinks that
point outside are skipped).
"""

from __future__ import annotations

import html
import os
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

from analysis.charts.naming import UnsafePathError, inside
from analysis.io import write_text
from analysis.reports.pages import html_page

INDEX_NAME = "index.html"
LINKED_SUFFIXES = (".html", ".pdf", ".png", ".svg", ".ipynb")
GROUP_TITLES = {
    "district_profile": "区县画像",
    "district_comparison": "区县比较",
    "trends": "趋势",
    "area_deep_dive": "专题分析",
    "data_quality": "数据质量",
    "briefs": "领导简报",
    "methodology": "方法说明",
}
KIND_LABELS = {".html": "网页", ".pdf": "PDF", ".png": "图片", ".svg": "矢量图", ".ipynb": "笔记本"}


def collect(reports_dir: str | os.PathLike) -> dict[str, dict[str, list[Path]]]:
    """{group: {subgroup: [relative paths]}} for every linkable file (hidden and temporary files skipped)."""
    base = Path(reports_dir).resolve()
    groups: dict[str, dict[str, list[Path]]] = defaultdict(lambda: defaultdict(list))
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or not name.lower().endswith(LINKED_SUFFIXES):
                continue
            full = Path(dirpath) / name
            try:
                inside(base, full)
            except UnsafePathError:
                continue
            rel = full.relative_to(base)
            if rel.as_posix() == INDEX_NAME:
                continue
            parts = rel.parts
            group = parts[0] if len(parts) > 1 else "其他"
            sub = parts[1] if len(parts) > 2 else ""
            groups[group][sub].append(rel)
    return {g: dict(s) for g, s in groups.items()}


def _link(rel: Path) -> str:
    href = quote(rel.as_posix(), safe="/")
    kind = KIND_LABELS.get(rel.suffix.lower(), rel.suffix)
    return f'<li><a href="{html.escape(href)}">{html.escape(rel.name)}</a> <span class="muted">{kind}</span></li>'


def render_index(groups: dict[str, dict[str, list[Path]]], title: str = "报告索引") -> str:
    """The index page HTML for collected groups (every name escaped)."""
    body = [f"<h1>{html.escape(title)}</h1>"]
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


def build_index(reports_dir: str | os.PathLike) -> Path:
    """Walk ``reports_dir`` and write ``reports_dir/index.html`` linking every page and chart. Returns its path."""
    base = Path(reports_dir)
    return write_text(base / INDEX_NAME, render_index(collect(base)))
