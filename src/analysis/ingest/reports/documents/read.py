"""`read_document` (by extension) and the spam-word warnings of mirror sites."""

from __future__ import annotations

import re
from pathlib import Path

from analysis.ingest.reports.documents.model import KINDS, Document, DocumentError
from analysis.ingest.reports.documents.read_docx import read_docx
from analysis.ingest.reports.documents.read_html import read_html
from analysis.ingest.reports.documents.read_pdf import read_pdf
from analysis.ingest.reports.documents.read_txt import read_txt


def read_document(path: str | Path) -> Document:
    """Read one report file into a :class:`Document`; raises :class:`DocumentError` naming the file on failure."""
    path = Path(path)
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        raise DocumentError(f"{path}：不支持的扩展名 {path.suffix or '(无)'!r}；应为 {'、'.join(sorted(KINDS))} 之一")
    if not path.is_file():
        raise DocumentError(f"{path}：文件不存在")
    reader = {"txt": read_txt, "html": read_html, "docx": read_docx, "pdf": read_pdf}[kind]
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
