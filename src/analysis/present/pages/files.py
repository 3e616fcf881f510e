"""reports/files.html: the full list of generated files, grouped by notebook and run; links are relative,
percent-encoded and never leave the reports folder (symlinks pointing outside are skipped)."""

from __future__ import annotations

import html
import os
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

from analysis.core.io import UnsafePathError, inside
from analysis.present.pages.html import html_page

INDEX_NAME = "index.html"
FILES_NAME = "files.html"
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


def href(rel: Path | str) -> str:
    return html.escape(quote(Path(rel).as_posix(), safe="/"), quote=True)


def _link(rel: Path) -> str:
    kind = KIND_LABELS.get(rel.suffix.lower(), rel.suffix)
    return f'<li><a href="{href(rel)}">{html.escape(rel.name)}</a> <span class="muted">{kind}</span></li>'


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
