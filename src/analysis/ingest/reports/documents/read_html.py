"""HTML reports: page furniture dropped, trafilatura's article (or a bs4 heuristic), tables kept."""

from __future__ import annotations

import re
from pathlib import Path

from analysis.ingest.decode import DecodeError, bad_control_share, decode_html_bytes
from analysis.ingest.reports.documents.assemble import from_blocks, read_bytes, sniff_binary
from analysis.ingest.reports.documents.model import Document, DocumentError
from analysis.ingest.reports.documents.normalize import HAN

MAX_HTML_DEPTH = 200  # element nesting in an HTML file; deeper files are refused
MAX_HTML_BLOCKS_FALLBACK = 2000  # block elements above which trafilatura's (quadratic) fallback extractors are skipped
_BLOCK_TAGS = ["p", "div", "li", "tr", "td", "h1", "h2", "h3", "h4", "section", "article", "br"]


_FURNITURE = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "button", "select")
_FURNITURE_RE = re.compile(
    r"(^|[-_ ])(nav|menu|footer|header|breadcrumb|share|sidebar|copyright|banner)([-_ ]|$)", re.I
)


def html_depth(soup) -> int:
    """The deepest element nesting in a parsed page, by one iterative walk (linear in the number of nodes)."""
    deepest = 0
    stack = [(soup, 0)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        for child in getattr(node, "contents", ()):
            if getattr(child, "name", None):
                stack.append((child, d + 1))
    return deepest


def _html_soup_clean(html: str, warnings: list[str]):
    """Parse and drop page furniture (scripts, styles, navigation, headers, footers, share bars). If dropping the
    class/id-named furniture would remove most of the Chinese text (a page wrapped in class="header"…), only
    scripts/styles/forms are dropped, with a warning."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    depth = html_depth(soup)
    if depth > MAX_HTML_DEPTH:
        raise DocumentError(f"HTML 元素嵌套 {depth} 层，超过上限 {MAX_HTML_DEPTH} 层；未读取（页面结构异常）")
    script_han = sum(len(HAN.findall(t.get_text())) for t in soup(["script"]))
    for tag in soup(["script", "style", "noscript", "iframe", "form", "button", "select"]):
        tag.decompose()
    if script_han >= 200 and script_han > 2 * len(HAN.findall(soup.get_text())):
        warnings.append(
            f"<script> 块中有 {script_han} 个汉字，多于页面正文：正文可能由脚本写入页面，未读取；请另存页面的可见文本后再导入"
        )
    full = len(HAN.findall(soup.get_text()))
    light = str(soup)
    for tag in soup(list(_FURNITURE)):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.decomposed or tag.attrs is None:
            continue
        attrs = " ".join([*(tag.get("class") or []), tag.get("id") or ""])
        if attrs and _FURNITURE_RE.search(attrs) and tag.name not in ("html", "body"):
            tag.decompose()
    if full and len(HAN.findall(soup.get_text())) < 0.3 * full:
        warnings.append("去掉导航/页眉/页脚区块会删掉大部分正文，因此保留了这些区块")
        return BeautifulSoup(light, "lxml")
    return soup


def _cell_text(el) -> str:
    return re.sub(r"\s+", " ", el.get_text(" ")).strip()


def _missing_table_rows(soup, extracted: str, warnings: list[str]) -> list[tuple[str, str]]:
    """Rows of HTML data tables whose numbers the article extraction left out, as blocks ``table T, row R``.

    The main-content extraction keeps a table only when it sits inside the article; a table beside it (a common
    layout for 统计表) would lose its numbers silently. Every innermost table with Chinese text and digits is checked:
    when a cell holding a digit is not in the extracted text, the table's rows are added after the article (cells
    joined by `` | ``, as the extractor writes tables) and a warning says so."""
    squeezed = re.sub(r"\s+", "", extracted)
    out: list[tuple[str, str]] = []
    added = []
    for t_no, table in enumerate(soup.find_all("table"), start=1):
        if table.find("table") is not None:  # a layout table: its inner tables are checked on their own
            continue
        rows = []
        for r_no, tr in enumerate(table.find_all("tr"), start=1):
            cells = [_cell_text(c) for c in tr.find_all(["td", "th"])]
            cells = [c for c in cells if c]
            if cells:
                rows.append((r_no, cells))
        numeric = [c for _, cells in rows for c in cells if re.search(r"\d", c)]
        if not numeric or not HAN.search(" ".join(c for _, cells in rows for c in cells)):
            continue
        if all(re.sub(r"\s+", "", c) in squeezed for c in numeric):
            continue
        added.append(t_no)
        out += [(f"table {t_no}, row {r}", "| " + " | ".join(cells) + " |") for r, cells in rows]
    if added:
        warnings.append(
            f"表格 {'、'.join(map(str, added))} 不在正文提取结果中，已把表中各行接在正文之后读取（位置 table T, row R）"
        )
    return out


def _bs4_main_text(soup) -> list[str]:
    """Fallback main-content heuristic: the element with the most Chinese text in <p>/<div> leaves."""
    candidates = soup.find_all(["article", "main", "div", "td", "section", "body"])
    best, best_len = None, -1
    for el in candidates:
        paras = el.find_all("p")
        n = sum(len(HAN.findall(p.get_text())) for p in paras) if paras else len(HAN.findall(el.get_text()))
        # prefer the innermost element holding most of the text
        if n > best_len * 1.1 or (best is not None and n >= best_len and best in el.parents):
            best, best_len = el, n
    root = best or soup
    lines = [ln.strip() for ln in root.get_text("\n").split("\n")]
    return [ln for ln in lines if ln]


def read_html(path: Path) -> Document:
    data, warnings = read_bytes(path)
    if not data.strip():
        raise DocumentError(f"{path}：空文件")
    sniff_binary(data, str(path))
    try:
        html, enc, w = decode_html_bytes(data, str(path))
    except DecodeError as exc:
        raise DocumentError(str(exc)) from exc
    warnings += w
    if bad_control_share(html) > 0.02:
        raise DocumentError(f"{path}：HTML 文件中有二进制乱码")
    try:
        soup = _html_soup_clean(html, warnings)
    except DocumentError as exc:
        raise DocumentError(f"{path}：{exc}") from exc
    title_tag = soup.find("title")
    page_title = title_tag.get_text(" ", strip=True) if title_tag else ""
    h1 = soup.find(["h1", "h2"])
    heading = h1.get_text(" ", strip=True) if h1 else ""
    lines: list[str] = []
    try:
        import trafilatura

        # the fallback extractors (justext) scan neighbouring paragraphs for every short one: quadratic in the number
        # of blocks. A page with more blocks than any report has goes through the main extractor only (linear).
        many = len(soup.find_all(_BLOCK_TAGS)) > MAX_HTML_BLOCKS_FALLBACK
        extracted = trafilatura.extract(
            str(soup), include_tables=True, include_comments=False, favor_recall=True, fast=many
        )
    except Exception as exc:  # noqa: BLE001 - trafilatura failing is a reason to fall back, not to stop
        warnings.append(f"trafilatura 提取失败（{type(exc).__name__}）；改用 bs4 正文启发式提取")
        extracted = None
    if extracted and len(HAN.findall(extracted)) >= 20:
        lines = [ln.strip() for ln in extracted.split("\n") if ln.strip()]
    else:
        lines = _bs4_main_text(soup)  # short pages: trafilatura often finds no article; the heuristic is enough
    if heading and lines and heading not in lines[:3] and ("报告" in heading or "情况" in heading):
        lines.insert(0, heading)
    blocks = [(f"para {i}", ln) for i, ln in enumerate(lines, start=1)]
    blocks += _missing_table_rows(soup, "\n".join(lines), warnings)
    if not blocks:
        raise DocumentError(f"{path}：空文档：HTML 中没有正文")
    title = heading if ("报告" in heading or "情况" in heading) else ""
    if not title and ("报告" in page_title or "情况" in page_title):
        title = re.split(r"\s*[-_|–—]\s*", page_title)[0]
    doc = from_blocks(blocks, path, "html", enc, warnings, title=title)
    return doc
