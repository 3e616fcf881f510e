"""PDF reports: the text layer per page, lines re-joined into paragraphs."""

from __future__ import annotations

import re
from pathlib import Path

from analysis.ingest.reports.documents.assemble import from_blocks
from analysis.ingest.reports.documents.model import Document, DocumentError
from analysis.ingest.reports.documents.normalize import HAN

MAX_PDF_PAGES = 500  # pages of a PDF read; the rest is left out with a warning


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
        if cur and not (HAN.match(cur[-1]) or HAN.match(s[0])):
            cur += " "
        cur += s
        if _PDF_BREAK.search(s) or len(s) < 0.8 * full or s.endswith(("报告", "情况")):
            paras.append(cur)
            cur = ""
    if cur:
        paras.append(cur)
    return paras


def read_pdf(path: Path) -> Document:
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
    if not any(HAN.search(t) or re.search(r"\w", t) for _, t in blocks):
        raise DocumentError(
            f"{path}：扫描版 PDF，没有文字层（{len(pages)} 页，无可提取的文字）；请索取可复制文字的版本"
        )
    return from_blocks(blocks, path, "pdf", None, warnings)
