"""Word reports: body paragraphs and table cells in document order, text boxes apart."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

from analysis.ingest.reports.documents.assemble import from_blocks
from analysis.ingest.reports.documents.model import Document, DocumentError

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


def read_docx(path: Path) -> Document:
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
    return from_blocks(blocks, path, "docx", None, warnings, title=title)
