"""Plain-text reports: the whole normalized file, paragraphs are its non-blank lines."""

from __future__ import annotations

from pathlib import Path

from analysis.ingest.decode import bad_control_share
from analysis.ingest.reports.documents.assemble import (
    cap,
    decode_bytes,
    guess_title,
    lines_to_paragraphs,
    read_bytes,
    sniff_binary,
)
from analysis.ingest.reports.documents.model import Document, DocumentError
from analysis.ingest.reports.documents.normalize import normalize_text


def read_txt(path: Path) -> Document:
    data, warnings = read_bytes(path)
    if not data.strip():
        raise DocumentError(f"{path}：空文件")
    sniff_binary(data, str(path))
    raw, enc, w = decode_bytes(data, str(path))
    warnings += w
    if bad_control_share(raw) > 0.02:
        raise DocumentError(f"{path}：二进制乱码：{100 * bad_control_share(raw):.0f}% 为控制字符或私用区字符")
    raw = cap(raw, warnings, str(path))
    text, w = normalize_text(raw)
    warnings += w
    if not text.strip():
        raise DocumentError(f"{path}：空文件（只有空白）")
    paragraphs = lines_to_paragraphs(text)
    return Document(
        path=path,
        text=text,
        raw_encoding=enc,
        kind="txt",
        paragraphs=paragraphs,
        title=guess_title(text[s:e] for s, e, _ in paragraphs[:60]),
        warnings=warnings,
    )
