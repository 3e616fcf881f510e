"""Static HTML pages: the shared page shell and the methodology page.

Every piece of text put into HTML goes through ``html.escape``. Markdown is converted with mistune (already pinned
in the environment as an nbconvert dependency) with raw HTML escaped, so a ``<script>`` inside a report sentence or
an indicator name shows as text and never runs; mistune also refuses ``javascript:`` links.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import mistune

from analysis.core.io import write_text

CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Microsoft YaHei","PingFang SC",sans-serif;margin:2rem auto;
max-width:1100px;padding:0 1rem;color:#1a202c;line-height:1.6}
h1,h2,h3{font-weight:normal} h1{border-bottom:2px solid #2b6cb0;padding-bottom:.3rem}
table{border-collapse:collapse;margin:1rem 0} th,td{border:1px solid #e2e8f0;padding:.3rem .6rem;text-align:left;overflow-wrap:anywhere}
th{background:#f7fafc;white-space:nowrap} code{background:#f7fafc;padding:0 .2rem} .muted{color:#718096;font-size:.9em}
ul.files{columns:2} .synthetic{color:#c53030}
"""

_MARKDOWN = mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])


def markdown_to_html(text: str) -> str:
    """Markdown -> HTML fragment; raw HTML in the input is escaped, unsafe link schemes dropped."""
    return str(_MARKDOWN(text or ""))


def html_page(title: str, body_html: str, lang: str = "zh-CN", extra_css: str = "") -> str:
    """A complete HTML document; ``title`` is escaped here, ``body_html`` must already be safe HTML."""
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{CSS}{extra_css}</style>\n</head>\n<body>\n{body_html}\n</body>\n</html>\n"
    )


def render_methodology_html(
    markdown_text: str, path: str | os.PathLike, title: str = "方法说明：指标、权重与评分"
) -> Path:
    """Write the methodology page (Markdown from analysis.metrics.methodology) as a safe HTML file, atomically."""
    back = '<nav><a href="index.html">← 返回报告索引</a></nav>\n'
    return write_text(path, html_page(title, back + markdown_to_html(markdown_text)))
