"""Number surfaces in report text: normalisation, one compiled regex for every quantity, and value parsing.

A quantity is ``[approx prefix] number [万|亿] [余|多] [measure word] [余|多|以上|左右]`` where the number is Arabic
(``17242.5``, ``1,528``, full-width digits are normalised first) or Chinese (``三``, ``两``, ``十余``, ``一百``).
This module knows nothing about indicators; it turns a regex match into value, unit as written and approx flag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Full-width ASCII (U+FF01..U+FF5E) → half-width, ideographic space → space. One character for one character,
# so offsets in the normalised text are offsets in the original text.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20


_FULLWIDTH_RE = re.compile("[\uff01-\uff5e\u3000]")


def _half(m: re.Match) -> str:
    return chr(_FULLWIDTH[ord(m.group())])


def normalize(text: str) -> str:
    """Half-width digits and punctuation, same length as the input (spans stay valid)."""
    return _FULLWIDTH_RE.sub(_half, text)


CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_BIG = {"万": 10_000, "亿": 100_000_000}

# Measure words, longest first so 人次 wins over 人 and 个百分点 over 个.
MEASURE_WORDS = (
    "个百分点",
    "个工作日",
    "人次",
    "件次",
    "户次",
    "场次",
    "批次",
    "学时",
    "万元",
    "亿元",
    "件",
    "项",
    "次",
    "场",
    "人",
    "名",
    "位",
    "个",
    "家",
    "条",
    "份",
    "期",
    "宗",
    "起",
    "篇",
    "票",
    "支",
    "类",
    "天",
    "所",
    "处",
    "批",
    "户",
    "例",
    "元",
    "%",
)
MONEY_UNITS = {"元": 1e-4, "万元": 1.0, "亿元": 1e4}

_MW = "|".join(re.escape(m) for m in MEASURE_WORDS)
NUMBER_RE = re.compile(
    # the group starts with one character class so the regex engine can skip to candidate characters fast;
    # a surface needs a measure word or a 万/亿 scale (dates, years and document numbers have neither)
    r"(?P<num>[0-9一二两三四五六七八九十](?:(?<=[0-9])(?<![0-9.][0-9])[0-9]*(?:,[0-9]{3})*(?:\.[0-9]+)?"
    r"|(?<=[一二两三四五六七八九十])[零〇一二两三四五六七八九十百千万]*))[ \t]*"
    rf"(?:(?P<scale>[万亿](?!元))(?P<approx1>余|多)?[ \t]*(?P<mw>{_MW})?|(?P<approx1b>余|多)?[ \t]*(?P<mwb>{_MW}))"
    r"(?P<approx2>以上|左右|余|多)?"
)
APPROX_PREFIXES = ("超过", "近", "约", "超", "逾", "大约")
_APPROX_LAST = frozenset(p[-1] for p in APPROX_PREFIXES)


@dataclass(frozen=True)
class Quantity:
    """One parsed number surface."""

    start: int
    end: int
    value: float
    unit_raw: str  # as written, with the 万/亿 scale: 万人次, 项, %, 万元
    measure: str  # the bare measure word (人次, 项, %, 万元) or "" when none
    approx: bool
    chinese: bool


def parse_chinese_numeral(s: str) -> float | None:
    """Value of a Chinese numeral (三, 两, 十, 十二, 二十五, 一百零五, 一千, 三万); None when not a valid numeral."""
    if not s:
        return None
    total = 0
    section = 0
    digit: int | None = None
    prev_was_digit = False
    for ch in s:
        if ch in "零〇":  # a place holder (一百零五), not a digit
            prev_was_digit = False
        elif ch in CN_DIGITS:
            if prev_was_digit:
                return None  # 十四五, 一二三: a string of digits is a name, not a number
            digit = CN_DIGITS[ch]
            prev_was_digit = True
        elif ch in CN_UNITS:
            section += (digit if digit is not None else 1) * CN_UNITS[ch]
            digit = None
            prev_was_digit = False
        elif ch in CN_BIG:
            section += digit or 0
            if section == 0:
                section = 1
            total += section * CN_BIG[ch]
            section = 0
            digit = None
            prev_was_digit = False
        else:
            return None
    return float(total + section + (digit or 0))


def parse_number(num: str) -> tuple[float, bool] | None:
    """(value, is_chinese) of the ``num`` group; None when it is not a number."""
    if num[0].isdigit():
        return float(num.replace(",", "")), False
    v = parse_chinese_numeral(num)
    return (v, True) if v is not None else None


def approx_prefix(text: str, start: int) -> int:
    """Length of an approximation marker (近/约/超/超过/逾) right before ``start``, 0 when none."""
    if start == 0 or text[start - 1] not in _APPROX_LAST:
        return 0
    for p in APPROX_PREFIXES:
        if text.startswith(p, start - len(p)):
            return len(p)
    return 0


def quantity_from_match(m: re.Match, text: str) -> Quantity | None:
    """Parse one NUMBER_RE match; None when the surface has neither a measure word nor a 万/亿 scale."""
    parsed = parse_number(m["num"])
    if parsed is None:
        return None
    value, chinese = parsed
    measure = m["mw"] or m["mwb"] or ""
    scale = m["scale"] or ""
    if not measure and not scale:
        return None
    if chinese and not measure:
        return None
    if measure in MONEY_UNITS:
        if scale:  # 2万元 is written 2万元 (scale absent); 1.5亿元 arrives as measure 亿元
            value *= CN_BIG[scale]
        value *= MONEY_UNITS[measure]
        unit_raw = measure
    else:
        if scale:
            value *= CN_BIG[scale]
        unit_raw = scale + measure
    approx = bool(m["approx1"] or m["approx1b"] or m["approx2"]) or approx_prefix(text, m.start()) > 0
    return Quantity(m.start(), m.end(), round(value, 6), unit_raw, measure, approx, chinese)


def iter_quantities(text: str):
    """Every number surface with a measure word (or 万/亿) in normalised ``text``, in order."""
    for m in NUMBER_RE.finditer(text):
        q = quantity_from_match(m, text)
        if q is not None:
            yield q, m
