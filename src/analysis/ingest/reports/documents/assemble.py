"""What every format reader shares: bytes from disk (capped), decoding, binary sniffing, the size cap,
the title guess, and blocks → `Document` with offsets."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from analysis.ingest.decode import DecodeError
from analysis.ingest.decode import decode_bytes as _decode
from analysis.ingest.reports.documents.model import Document, DocumentError
from analysis.ingest.reports.documents.normalize import (
    FULLWIDTH_TABLE,
    ZERO_WIDTH,
    looks_traditional,
    normalize_text,
    t2s,
)

MAX_BYTES = 64 * 1024 * 1024  # never read more than this from disk
MAX_CHARS = 2_000_000  # normalized characters kept; the rest is cut with a warning


def decode_bytes(data: bytes, name: str = "<bytes>") -> tuple[str, str, list[str]]:
    """Decode report bytes (see `analysis.ingest.decode`); returns (text, encoding, warnings).

    Raises DocumentError when nothing decodes cleanly."""
    try:
        return _decode(data, name)
    except DecodeError as exc:
        raise DocumentError(str(exc)) from exc


def sniff_binary(data: bytes, name: str) -> None:
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


def read_bytes(path: Path) -> tuple[bytes, list[str]]:
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


def lines_to_paragraphs(text: str, prefix: str = "") -> list[tuple[int, int, str]]:
    """Non-blank lines of ``text`` as paragraphs ``para 1`` … (offsets into ``text``)."""
    paras = []
    n = 0
    for m in re.finditer(r"[^\n]+", text):
        if m.group().strip():
            n += 1
            paras.append((m.start(), m.end(), f"{prefix}para {n}"))
    return paras


def cap(text: str, warnings: list[str], name: str) -> str:
    if len(text) > MAX_CHARS:
        warnings.append(
            f"{name}：正文有 {len(text)} 个字符，超过上限 {MAX_CHARS}；只读取了前 {MAX_CHARS} 个字符，其余未读取"
        )
        cut = text.rfind("\n", 0, MAX_CHARS)
        return text[: cut if cut > MAX_CHARS // 2 else MAX_CHARS]
    return text


def guess_title(paragraphs: Iterable[str]) -> str:
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


def from_blocks(
    blocks: list[tuple[str, str]], path: Path, kind: str, encoding: str | None, warnings: list[str], title: str = ""
) -> Document:
    """Assemble a Document from (locator, raw text) blocks: normalize, join with newlines, record offsets."""
    parts: list[str] = []
    paragraphs: list[tuple[int, int, str]] = []
    pos = 0
    trad_warned = False
    joined_raw = "\n".join(t for _, t in blocks)
    is_trad, changed = looks_traditional(joined_raw.translate(FULLWIDTH_TABLE))
    for loc, raw in blocks:
        t = raw.replace("\r\n", "\n").replace("\r", "\n").translate(ZERO_WIDTH).translate(FULLWIDTH_TABLE)
        t = re.sub(r"\n+", " ", t).strip()
        if not t:
            continue
        if is_trad:
            t = t2s().convert(t)
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
        title=title_norm or guess_title(parts),
        warnings=warnings,
    )
