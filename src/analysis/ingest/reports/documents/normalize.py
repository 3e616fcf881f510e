"""Normalization applied before anything is matched: line ends, zero-width, full-width forms, 繁→简."""

from __future__ import annotations

import functools
import re

KEEP_FULLWIDTH = frozenset("，；：（）！？")
TRADITIONAL_SHARE = 0.01  # share of Han characters changed by t2s above which a text is treated as traditional
ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
HAN = re.compile(r"[\u4e00-\u9fff]")


@functools.cache
def t2s():
    from opencc import OpenCC

    return OpenCC("t2s")


def _fullwidth_char(ch: str) -> str:
    cp = ord(ch)
    if 0xFF01 <= cp <= 0xFF5E and ch not in KEEP_FULLWIDTH:
        return chr(cp - 0xFEE0)
    return ch


FULLWIDTH_TABLE = {cp: _fullwidth_char(chr(cp)) for cp in range(0xFF01, 0xFF5F)}
FULLWIDTH_TABLE.update({0x3000: " ", 0x00A0: " ", 0x2002: " ", 0x2003: " ", 0x2009: " "})


def looks_traditional(text: str, sample: int = 50_000) -> tuple[bool, int]:
    """(is the text traditional Chinese?, number of Han characters t2s would change in the sample)."""
    head = text[:sample]
    han = HAN.findall(head)
    if not han:
        return False, 0
    joined = "".join(han)
    changed = sum(a != b for a, b in zip(joined, t2s().convert(joined), strict=False))
    return changed > max(2, TRADITIONAL_SHARE * len(han)), changed


def normalize_text(text: str) -> tuple[str, list[str]]:
    """Normalize ``text`` as described in the module docstring; returns (text, warnings)."""
    warnings: list[str] = []
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(ZERO_WIDTH).translate(FULLWIDTH_TABLE)
    is_trad, changed = looks_traditional(text)
    if is_trad:
        text = t2s().convert(text)
        warnings.append(f"繁体字已转换为简体（前 50000 个字符中有 {changed} 个）")
    return text, warnings
