"""Report files → normalized text with locators.

``read_document(path)`` reads a .txt / .html / .htm / .docx / .pdf report and returns a :class:`Document` whose
``text`` is what every later step matches against: evidence spans (``span_start``/``span_end``) are offsets into it,
and ``Document.locate(offset)`` turns such an offset back into a place in the original file (``para 12``,
``page 3, para 2``, ``table 1, row 2, cell 3``).

Anything that cannot be read raises :class:`DocumentError` (a ``ValueError``) whose message names the file and,
when known, the place: empty file, binary junk, corrupt .docx, unknown extension, a PDF without a text layer,
undecodable bytes. Things that can be read but look suspicious are read and reported in ``Document.warnings``.

Encodings (plain text and HTML bytes) are read by the one decoder, :mod:`analysis.ingest.decode` (BOM, UTF-8,
GB18030 or Big5 by common characters, mixed encodings line by line, charset-normalizer, then U+FFFD for a few bad
lines); for HTML, valid UTF-8 wins over a declared ``charset``, otherwise the declared charset is tried first.
Anything else raises ``DocumentError`` ("undecodable bytes", with the first bad line).

Formats. ``.txt``: ``text`` is the whole normalized file, paragraphs are its non-blank lines (``para N``).
``.html``: scripts/styles/forms and navigation/header/footer/aside/share/breadcrumb blocks (by tag or class/id)
are dropped, then trafilatura extracts the article; if it finds none (short pages) or fails, a bs4 heuristic takes
the element holding most Chinese text; the ``<h1>`` (or ``<title>`` before its ``_site`` suffix) is the title.
``.docx``: body paragraphs and table cells in document order (``para N`` / ``table T, row R, cell C``; a merged
cell is read once). ``.pdf``: text layer per page; a page's lines are re-joined into paragraphs (a paragraph ends at
a blank line, at 。！？；：, at a clearly short line or a ``一、``/``（一）`` heading) → ``page P, para K``.
In these three formats ``text`` is the blocks joined by ``\n`` (a block's own line breaks become spaces).

Warnings (each starts with the file path): traditional text converted, mixed encodings, replaced bytes, text cut
at ``MAX_CHARS``, and gambling/spam words injected by mirror sites (``spam_warnings``, with the paragraph).
``Document.fingerprint`` is a whitespace-insensitive hash of ``text`` so the same report filed twice (another
format, encoding or layout) can be recognised.

Normalization (``normalize_text``), applied before anything is matched, so offsets always refer to normalized text:

* line ends ``\\r\\n``/``\\r`` → ``\\n``; zero-width characters and BOMs are removed; NBSP and the ideographic
  space U+3000 become an ASCII space;
* full-width ASCII forms U+FF01–U+FF5E (digits ０-９, letters, ％ ＋ － ． ／ ＝ ＜ ＞ …) → their ASCII
  counterparts, **except** the Chinese punctuation the extractor splits clauses on, which is kept exactly as
  written: ，；：（）！？ (and 。、“”‘’《》〔〕 are outside that block, so they are untouched as well);
* traditional → simplified (OpenCC ``t2s``) only when the text looks traditional (more than 1 % of its Han
  characters change under t2s), with a warning; already-simplified text is never passed through t2s, so forms
  like 著/乾 in simplified text are left alone.

Large inputs: text beyond ``MAX_CHARS`` characters is cut off with a warning that says so (a report is tens of
kilobytes; a 20 MB file is a mirror dump or an accident, not something to match in full).
"""

from __future__ import annotations

import bisect
import functools
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from analysis.ingest.decode import DecodeError, bad_control_share, decode_html_bytes
from analysis.ingest.decode import decode_bytes as _decode

KINDS = {".txt": "txt", ".text": "txt", ".html": "html", ".htm": "html", ".docx": "docx", ".pdf": "pdf"}
MAX_BYTES = 64 * 1024 * 1024  # never read more than this from disk
MAX_CHARS = 2_000_000  # normalized characters kept; the rest is cut with a warning
MAX_PDF_PAGES = 500  # pages of a PDF read; the rest is left out with a warning
MAX_HTML_DEPTH = 200  # element nesting in an HTML file; deeper files are refused
MAX_HTML_BLOCKS_FALLBACK = 2000  # block elements above which trafilatura's (quadratic) fallback extractors are skipped
_BLOCK_TAGS = ["p", "div", "li", "tr", "td", "h1", "h2", "h3", "h4", "section", "article", "br"]
KEEP_FULLWIDTH = frozenset("，；：（）！？")
TRADITIONAL_SHARE = 0.01  # share of Han characters changed by t2s above which a text is treated as traditional
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_HAN = re.compile(r"[\u4e00-\u9fff]")


class DocumentError(ValueError):
    """A report file cannot be read; the message names the file (and the place when known)."""


@dataclass
class Document:
    """A report as normalized text plus the map from text offsets back to places in the file."""

    path: Path
    text: str
    raw_encoding: str | None
    kind: str
    paragraphs: list[tuple[int, int, str]] = field(default_factory=list)
    title: str = ""
    warnings: list[str] = field(default_factory=list)

    def locate(self, offset: int) -> str:
        """Where character ``offset`` of ``text`` sits in the original file, e.g. ``para 12`` or ``page 3, para 2``.

        An offset between paragraphs maps to the paragraph that follows it (or the last one at the end)."""
        if not self.paragraphs:
            return "text"
        if offset < 0:
            offset = max(0, len(self.text) + offset)
        starts = self.__dict__.get("_starts")
        if starts is None or len(starts) != len(self.paragraphs):
            starts = [p[0] for p in self.paragraphs]
            self.__dict__["_starts"] = starts
        i = bisect.bisect_right(starts, offset) - 1
        if i < 0:
            return self.paragraphs[0][2]
        start, end, loc = self.paragraphs[i]
        if offset < end or i == len(self.paragraphs) - 1:
            return loc
        return self.paragraphs[i + 1][2]

    @property
    def fingerprint(self) -> str:
        """Whitespace-insensitive sha256 of ``text`` (see :func:`fingerprint`)."""
        return fingerprint(self.text)


# ----------------------------------------------------------------------------------------------------------------
# normalization


@functools.cache
def _t2s():
    from opencc import OpenCC

    return OpenCC("t2s")


def _fullwidth_char(ch: str) -> str:
    cp = ord(ch)
    if 0xFF01 <= cp <= 0xFF5E and ch not in KEEP_FULLWIDTH:
        return chr(cp - 0xFEE0)
    return ch


_FULLWIDTH_TABLE = {cp: _fullwidth_char(chr(cp)) for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH_TABLE.update({0x3000: " ", 0x00A0: " ", 0x2002: " ", 0x2003: " ", 0x2009: " "})


def looks_traditional(text: str, sample: int = 50_000) -> tuple[bool, int]:
    """(is the text traditional Chinese?, number of Han characters t2s would change in the sample)."""
    head = text[:sample]
    han = _HAN.findall(head)
    if not han:
        return False, 0
    joined = "".join(han)
    changed = sum(a != b for a, b in zip(joined, _t2s().convert(joined), strict=False))
    return changed > max(2, TRADITIONAL_SHARE * len(han)), changed


def normalize_text(text: str) -> tuple[str, list[str]]:
    """Normalize ``text`` as described in the module docstring; returns (text, warnings)."""
    warnings: list[str] = []
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_ZERO_WIDTH).translate(_FULLWIDTH_TABLE)
    is_trad, changed = looks_traditional(text)
    if is_trad:
        text = _t2s().convert(text)
        warnings.append(f"繁体字已转换为简体（前 50000 个字符中有 {changed} 个）")
    return text, warnings


# ----------------------------------------------------------------------------------------------------------------
# bytes → str


def decode_bytes(data: bytes, name: str = "<bytes>") -> tuple[str, str, list[str]]:
    """Decode report bytes (see `analysis.ingest.decode`); returns (text, encoding, warnings).

    Raises DocumentError when nothing decodes cleanly."""
    try:
        return _decode(data, name)
    except DecodeError as exc:
        raise DocumentError(str(exc)) from exc


def _sniff_binary(data: bytes, name: str) -> None:
    """Refuse bytes that are clearly not text (NULs, other file formats) with a message naming what they look like."""
    magic = {
        b"%PDF": "PDF 文件",
        b"PK\x03\x04": "zip/Office 文件",
        b"\xd0\xcf\x11\xe0": "旧版 Office（OLE）文件",
        b"\x89PNG": "PNG 图片",
        b"\xff\xd8\xff": "JPEG 图片",
        b"GIF8": "GIF 图片",
    }
    for sig, what in magic.items():
        if data.startswith(sig):
            raise DocumentError(f"{name}：二进制内容：这是{what}，不是文本（扩展名写错了？）")
    head = data[:65536]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return
    if head.count(b"\x00") > max(1, len(head) // 1000):
        raise DocumentError(f"{name}：二进制内容（含 NUL 字节），不是文本报告")


# ----------------------------------------------------------------------------------------------------------------
# formats


def _read_bytes(path: Path) -> tuple[bytes, list[str]]:
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            data = fh.read(MAX_BYTES)
    except OSError as exc:
        raise DocumentError(f"{path}：无法读取：{exc.strerror or exc}") from exc
    warnings = []
    if size > MAX_BYTES:
        warnings.append(f"文件有 {size} 字节，超过上限 {MAX_BYTES} 字节；只读取了前 {MAX_BYTES} 字节，其余未读取")
        data = data[: data.rfind(b"\n") + 1] or data
    return data, warnings


def _lines_to_paragraphs(text: str, prefix: str = "") -> list[tuple[int, int, str]]:
    """Non-blank lines of ``text`` as paragraphs ``para 1`` … (offsets into ``text``)."""
    paras = []
    n = 0
    for m in re.finditer(r"[^\n]+", text):
        if m.group().strip():
            n += 1
            paras.append((m.start(), m.end(), f"{prefix}para {n}"))
    return paras


def _cap(text: str, warnings: list[str], name: str) -> str:
    if len(text) > MAX_CHARS:
        warnings.append(
            f"{name}：正文有 {len(text)} 个字符，超过上限 {MAX_CHARS}；只读取了前 {MAX_CHARS} 个字符，其余未读取"
        )
        cut = text.rfind("\n", 0, MAX_CHARS)
        return text[: cut if cut > MAX_CHARS // 2 else MAX_CHARS]
    return text


def _guess_title(paragraphs: Iterable[str]) -> str:
    """The first short line that reads like a report title (…报告), else the first non-blank short line."""
    first = ""
    for i, p in enumerate(paragraphs):
        s = p.strip()
        if not s:
            continue
        if i > 40:
            break
        if len(s) <= 80 and ("报告" in s or "情况" in s or "总结" in s) and not s.startswith(("现将", "根据")):
            return s
        if not first and len(s) <= 80:
            first = s
    return first


def _from_blocks(
    blocks: list[tuple[str, str]], path: Path, kind: str, encoding: str | None, warnings: list[str], title: str = ""
) -> Document:
    """Assemble a Document from (locator, raw text) blocks: normalize, join with newlines, record offsets."""
    parts: list[str] = []
    paragraphs: list[tuple[int, int, str]] = []
    pos = 0
    trad_warned = False
    joined_raw = "\n".join(t for _, t in blocks)
    is_trad, changed = looks_traditional(joined_raw.translate(_FULLWIDTH_TABLE))
    for loc, raw in blocks:
        t = raw.replace("\r\n", "\n").replace("\r", "\n").translate(_ZERO_WIDTH).translate(_FULLWIDTH_TABLE)
        t = re.sub(r"\n+", " ", t).strip()
        if not t:
            continue
        if is_trad:
            t = _t2s().convert(t)
            trad_warned = True
        parts.append(t)
        paragraphs.append((pos, pos + len(t), loc))
        pos += len(t) + 1
        if pos > MAX_CHARS:
            warnings.append(f"{path}：正文超过 {MAX_CHARS} 个字符的上限；其余未读取")
            break
    if trad_warned:
        warnings.append(f"繁体字已转换为简体（前 50000 个字符中有 {changed} 个）")
    text = "\n".join(parts)
    if not text.strip():
        raise DocumentError(f"{path}：空文档：{kind} 文件中没有文字")
    title_norm = normalize_text(title)[0].strip() if title else ""
    return Document(
        path=path,
        text=text,
        raw_encoding=encoding,
        kind=kind,
        paragraphs=paragraphs,
        title=title_norm or _guess_title(parts),
        warnings=warnings,
    )


def _read_txt(path: Path) -> Document:
    data, warnings = _read_bytes(path)
    if not data.strip():
        raise DocumentError(f"{path}：空文件")
    _sniff_binary(data, str(path))
    raw, enc, w = decode_bytes(data, str(path))
    warnings += w
    if bad_control_share(raw) > 0.02:
        raise DocumentError(f"{path}：二进制乱码：{100 * bad_control_share(raw):.0f}% 为控制字符或私用区字符")
    raw = _cap(raw, warnings, str(path))
    text, w = normalize_text(raw)
    warnings += w
    if not text.strip():
        raise DocumentError(f"{path}：空文件（只有空白）")
    paragraphs = _lines_to_paragraphs(text)
    return Document(
        path=path,
        text=text,
        raw_encoding=enc,
        kind="txt",
        paragraphs=paragraphs,
        title=_guess_title(text[s:e] for s, e, _ in paragraphs[:60]),
        warnings=warnings,
    )


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
    script_han = sum(len(_HAN.findall(t.get_text())) for t in soup(["script"]))
    for tag in soup(["script", "style", "noscript", "iframe", "form", "button", "select"]):
        tag.decompose()
    if script_han >= 200 and script_han > 2 * len(_HAN.findall(soup.get_text())):
        warnings.append(
            f"<script> 块中有 {script_han} 个汉字，多于页面正文：正文可能由脚本写入页面，未读取；请另存页面的可见文本后再导入"
        )
    full = len(_HAN.findall(soup.get_text()))
    light = str(soup)
    for tag in soup(list(_FURNITURE)):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.decomposed or tag.attrs is None:
            continue
        attrs = " ".join([*(tag.get("class") or []), tag.get("id") or ""])
        if attrs and _FURNITURE_RE.search(attrs) and tag.name not in ("html", "body"):
            tag.decompose()
    if full and len(_HAN.findall(soup.get_text())) < 0.3 * full:
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
        if not numeric or not _HAN.search(" ".join(c for _, cells in rows for c in cells)):
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
        n = sum(len(_HAN.findall(p.get_text())) for p in paras) if paras else len(_HAN.findall(el.get_text()))
        # prefer the innermost element holding most of the text
        if n > best_len * 1.1 or (best is not None and n >= best_len and best in el.parents):
            best, best_len = el, n
    root = best or soup
    lines = [ln.strip() for ln in root.get_text("\n").split("\n")]
    return [ln for ln in lines if ln]


def _read_html(path: Path) -> Document:
    data, warnings = _read_bytes(path)
    if not data.strip():
        raise DocumentError(f"{path}：空文件")
    _sniff_binary(data, str(path))
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
    if extracted and len(_HAN.findall(extracted)) >= 20:
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
    doc = _from_blocks(blocks, path, "html", enc, warnings, title=title)
    return doc


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_SKIP_RUNS = {_W + "del", _W + "moveFrom", _W + "txbxContent", _MC_FALLBACK}  # deleted text, text boxes apart


def _docx_text(el, stats: dict) -> str:
    """The text of one paragraph as it reads with every tracked change accepted: insertions (w:ins, w:moveTo) are
    read, deletions (w:del, w:moveFrom) are not; text boxes (w:txbxContent) inside it are read as blocks of their own;
    the duplicate copy Word keeps for old readers (mc:Fallback) is skipped. One iterative walk, linear in the XML."""
    parts: list[str] = []
    stack = [el]
    while stack:
        node = stack.pop()
        tag = node.tag if isinstance(node.tag, str) else ""
        if node is not el and tag in _SKIP_RUNS:
            if tag in (_W + "del", _W + "moveFrom"):
                stats["deleted"] = stats.get("deleted", 0) + 1
            continue
        if tag in (_W + "ins", _W + "moveTo"):
            stats["inserted"] = stats.get("inserted", 0) + 1
        if tag == _W + "t":
            parts.append(node.text or "")
        elif tag in (_W + "tab",):
            parts.append("\t")
        elif tag in (_W + "br", _W + "cr"):
            parts.append("\n")
        stack.extend(reversed(list(node)))
    return "".join(parts)


def _text_boxes(el) -> list:
    """The w:txbxContent elements anchored in ``el`` (not the mc:Fallback copies, not boxes inside boxes)."""
    out = []
    stack = list(el)
    while stack:
        node = stack.pop()
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag == _MC_FALLBACK:
            continue
        if tag == _W + "txbxContent":
            out.append(node)
            continue
        stack.extend(reversed(list(node)))
    return out


def _iter_docx_blocks(document, stats: dict | None = None) -> Iterable[tuple[str, str]]:
    """Body paragraphs, table cells and text boxes in document order, with locators (``para N``,
    ``table T, row R, cell C``, ``textbox K, para J``); content controls (w:sdt) are read through."""
    from docx.table import Table

    stats = {} if stats is None else stats
    counters = {"para": 0, "table": 0, "textbox": 0}

    def boxes(el):
        for box in _text_boxes(el):
            counters["textbox"] += 1
            k = counters["textbox"]
            for j, p in enumerate((p for p in box.iter(_W + "p") if _text_boxes_parent(p, box)), start=1):
                text = _docx_text(p, stats)
                if text.strip():
                    yield f"textbox {k}, para {j}", text

    def walk(parent):
        for child in parent.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1] if isinstance(child.tag, str) else ""
            if tag == "p":
                text = _docx_text(child, stats)
                if text.strip():
                    counters["para"] += 1
                    yield f"para {counters['para']}", text
                yield from boxes(child)
            elif tag == "sdt":
                content = child.find(_W + "sdtContent")
                if content is not None:
                    yield from walk(content)
            elif tag == "tbl":
                counters["table"] += 1
                t_no = counters["table"]
                table = Table(child, document)
                for r, row in enumerate(table.rows, start=1):
                    seen: set[int] = set()
                    for c, cell in enumerate(row.cells, start=1):
                        if id(cell._tc) in seen:  # merged cells repeat the same cell object
                            continue
                        seen.add(id(cell._tc))
                        paras = [p for p in cell._tc.iter(_W + "p") if _text_boxes_parent(p, cell._tc)]
                        text = "\n".join(_docx_text(p, stats) for p in paras)
                        if text.strip():
                            yield f"table {t_no}, row {r}, cell {c}", text
                        for p in paras:
                            yield from boxes(p)

    yield from walk(document.element.body)


def _text_boxes_parent(p, root) -> bool:
    """True when paragraph ``p`` belongs to ``root`` itself, not to a text box (or its fallback copy) inside it."""
    node = p.getparent()
    while node is not None and node is not root:
        if node.tag in (_W + "txbxContent", _MC_FALLBACK):
            return False
        node = node.getparent()
    return True


def _read_docx(path: Path) -> Document:
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError as exc:  # pragma: no cover - python-docx is a declared dependency
        raise DocumentError(f"{path}：未安装 python-docx") from exc
    if path.stat().st_size == 0:
        raise DocumentError(f"{path}：空文件")
    if not zipfile.is_zipfile(path):
        raise DocumentError(f"{path}：损坏或不完整的 .docx（不是 zip 包）")
    try:
        document = docx.Document(str(path))
        stats: dict = {}
        blocks = list(_iter_docx_blocks(document, stats))
        core_title = (document.core_properties.title or "").strip()
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError) as exc:
        raise DocumentError(f"{path}：损坏或不完整的 .docx（{type(exc).__name__}: {exc}）") from exc
    except Exception as exc:  # noqa: BLE001 - lxml parse errors of damaged parts and similar
        raise DocumentError(f"{path}：损坏的 .docx（{type(exc).__name__}: {exc}）") from exc
    if not blocks:
        raise DocumentError(f"{path}：空文档：.docx 中没有文字")
    title = core_title if ("报告" in core_title or "情况" in core_title) else ""
    warnings = []
    if stats.get("inserted") or stats.get("deleted"):
        warnings.append(
            f"文档含未接受的修订（插入 {stats.get('inserted', 0)} 处、删除 {stats.get('deleted', 0)} 处）："
            "按接受全部修订后的文本读取（插入的文字读入，删除的文字不读）；请核对定稿"
        )
    return _from_blocks(blocks, path, "docx", None, warnings, title=title)


_PDF_HEADING = re.compile(r"(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[)）]|\d+[、.．](?!\d))")
_PDF_BREAK = re.compile(r"[。！？；：!?;:]\s*$")


def _pdf_page_paragraphs(page_text: str) -> list[str]:
    """Rejoin a PDF page's lines into paragraphs. A paragraph ends at a blank line, at a line ending in 。！？；：,
    or at a line clearly shorter than the page's full lines (a title, a heading, the last line of a paragraph);
    other line breaks are layout wraps and are removed (with no space between two Chinese characters)."""
    lines = [ln.strip() for ln in page_text.replace("\r", "\n").split("\n")]
    full = max((len(ln) for ln in lines), default=0)
    paras: list[str] = []
    cur = ""
    for s in lines:
        if not s:
            if cur:
                paras.append(cur)
                cur = ""
            continue
        if cur and _PDF_HEADING.match(s):
            paras.append(cur)
            cur = ""
        if cur and not (_HAN.match(cur[-1]) or _HAN.match(s[0])):
            cur += " "
        cur += s
        if _PDF_BREAK.search(s) or len(s) < 0.8 * full or s.endswith(("报告", "情况")):
            paras.append(cur)
            cur = ""
    if cur:
        paras.append(cur)
    return paras


def _read_pdf(path: Path) -> Document:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError as exc:  # pragma: no cover
        raise DocumentError(f"{path}：未安装 pypdf") from exc
    if path.stat().st_size == 0:
        raise DocumentError(f"{path}：空文件")
    with path.open("rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" not in head:
        raise DocumentError(f"{path}：不是 PDF（前 1024 字节中没有 %PDF- 文件头）")
    warnings: list[str] = []
    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted:
            # an owner password only (printing/copying restrictions) opens with the empty user password
            try:
                opened = reader.decrypt("")
            except Exception as exc:  # noqa: BLE001 - pypdf's DependencyError/NotImplementedError for ciphers
                raise DocumentError(
                    f"{path}：加密的 PDF：无法解密（{type(exc).__name__}: {exc}）；请向报送单位索取未加密的版本"
                ) from exc
            if not opened:
                raise DocumentError(f"{path}：加密的 PDF：需要打开密码，无法读取；请向报送单位索取未加密的版本")
            warnings.append(f"{path}：加密的 PDF（仅有权限密码），已按空密码打开读取")
        n_pages = len(reader.pages)
        if n_pages > MAX_PDF_PAGES:
            warnings.append(
                f"{path}：PDF 有 {n_pages} 页，超过上限 {MAX_PDF_PAGES} 页；只读取了前 {MAX_PDF_PAGES} 页，其余未读取"
            )
        pages = [reader.pages[i] for i in range(min(n_pages, MAX_PDF_PAGES))]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, OSError, EOFError, TypeError) as exc:
        raise DocumentError(f"{path}：损坏的 PDF（{type(exc).__name__}: {exc}）") from exc
    blocks: list[tuple[str, str]] = []
    for p_no, page in enumerate(pages, start=1):
        try:
            page_text = page.extract_text() or ""
        except Exception as exc:  # noqa: BLE001 - one damaged page must not lose the others
            warnings.append(f"{path}：page {p_no}：无法提取文字（{type(exc).__name__}）")
            continue
        for k, para in enumerate(_pdf_page_paragraphs(page_text), start=1):
            blocks.append((f"page {p_no}, para {k}", para))
    if not any(_HAN.search(t) or re.search(r"\w", t) for _, t in blocks):
        raise DocumentError(
            f"{path}：扫描版 PDF，没有文字层（{len(pages)} 页，无可提取的文字）；请索取可复制文字的版本"
        )
    return _from_blocks(blocks, path, "pdf", None, warnings)


def read_document(path: str | Path) -> Document:
    """Read one report file into a :class:`Document`; raises :class:`DocumentError` naming the file on failure."""
    path = Path(path)
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        raise DocumentError(f"{path}：不支持的扩展名 {path.suffix or '(无)'!r}；应为 {'、'.join(sorted(KINDS))} 之一")
    if not path.is_file():
        raise DocumentError(f"{path}：文件不存在")
    reader = {"txt": _read_txt, "html": _read_html, "docx": _read_docx, "pdf": _read_pdf}[kind]
    doc = reader(path)
    doc.warnings.extend(spam_warnings(doc))
    doc.warnings = [w if w.startswith(str(path)) else f"{path}：{w}" for w in doc.warnings]
    return doc


# advertising phrases of gambling/adult spam (not words a report may use about enforcement, such as 赌博 or 棋牌室)
SPAM_WORDS = re.compile(
    r"娱乐城|娱乐平台|百家乐|时时彩|六合彩|彩票开户|真人视讯|体育投注|威尼斯人|太阳城|葡京|注册送|开户送|首存|彩金|"
    r"成人视频|裸聊"
)


def spam_warnings(doc: Document, limit: int = 5) -> list[str]:
    """Warnings for paragraphs carrying gambling/spam words (mirror sites inject them mid-sentence)."""
    hits = [(m.start(), m.group()) for m in SPAM_WORDS.finditer(doc.text)]
    if not hits:
        return []
    places = []
    for off, word in hits:
        loc = doc.locate(off)
        if all(loc != p[0] for p in places):
            places.append((loc, word, off))
    shown = "；".join(f"{loc}（{word!r}，偏移 {off}）" for loc, word, off in places[:limit])
    more = f" 等，另有 {len(places) - limit} 处" if len(places) > limit else ""
    return [f"可能被注入了垃圾广告（镜像网站？）：{shown}{more}；附近的数字可能不属于报告"]


def fingerprint(text: str) -> str:
    """sha256 of the text with all whitespace removed: equal for the same report read from different files,
    encodings or formats (used to flag the same report filed twice)."""
    import hashlib

    return hashlib.sha256(re.sub(r"\s+", "", text).encode("utf-8")).hexdigest()
