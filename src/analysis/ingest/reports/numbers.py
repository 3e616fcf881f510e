"""Number surfaces in report text: normalisation, one compiled regex for every quantity, and value parsing.

A quantity is ``[approx prefix] [-] number [几] [万|亿] [余|多] [measure word] [余|多|以上|左右]`` where the number is
Arabic (``17242.5``, ``1,528``, full-width digits are normalised first) or Chinese (``三``, ``两``, ``十余``, ``一百``).
This module knows nothing about indicators; it turns a regex match into value, unit as written and approx flag.

Surfaces that look like numbers but are not read as one (``quantity_from_match`` returns None):

* a malformed digit run: ``1.2.3件``, ``1,2,3件`` (a number glued by ``.``/``,`` to the digits before it);
* an implausibly long integer part (more than ``MAX_INTEGER_DIGITS`` = 12 digits, ``99999999999999999999件``):
  a pasted identifier or garbage, never a count a report states;
* ``几十``/``数十``/``几百``/``数百``/``几千``/``数千``/``几万``/``数万``: "some tens/hundreds" spans an order of magnitude
  (20–90 for 几十), so no single value, not even a lower bound of 10, says what the report says; skipped.

Vague counts that are read: ``十几`` (and ``二十几`` …) is the numeral with approx = True (十几次 → 10, approx), the
same lower-bound convention as ``十余``/``十多``. A ``-`` (or full-width ``－``) directly before Arabic digits is a
minus sign and is part of the surface (``-5件`` → −5), unless it joins a range: the character before it is a digit,
a letter or a Chinese numeral (``2021-2025``, ``1-10月``), or a quantity ends right before it (``5件-10件``).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from analysis.registry.vocabulary import load_extraction

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

# Measure words (longest first so 人次 wins over 人 and 个百分点 over 个), the guards of those that are also everyday
# words after a numeral (本: 一本账, 本级), the money units and the approximation prefixes: registry/extraction.yaml.
_EXTRACTION = load_extraction()
MEASURE_WORDS = _EXTRACTION.measure_words
_MW_GUARD = _EXTRACTION.measure_guards
MONEY_MEASURES = _EXTRACTION.money_measures

_MW = "|".join(re.escape(m) + _MW_GUARD.get(m, "") for m in MEASURE_WORDS)
# the approximation suffixes (registry/extraction.yaml): 余|多 right after the number, 以上|左右|余|多 after the measure word
_AX1 = "|".join(map(re.escape, _EXTRACTION.approx_number_suffixes))
_AX2 = "|".join(map(re.escape, _EXTRACTION.approx_suffixes))
NUMBER_RE = re.compile(
    # the group starts with one character class so the regex engine can skip to candidate characters fast;
    # a surface needs a measure word or a 万/亿 scale (dates, years and document numbers have neither)
    r"(?P<num>[0-9一二两三四五六七八九十](?:(?<=[0-9])(?<![0-9.][0-9])[0-9]*(?:,[0-9]{3})*"
    # thousands separated by a space, as a PDF's text layer often gives them (1 036人; never after four digits)
    r"(?:(?<![0-9]{4}) [0-9]{3}(?![0-9.]))*(?:\.[0-9]+)?"
    r"|(?<=[一二两三四五六七八九十])[零〇一二两三四五六七八九十百千万]*))(?P<ji>(?<=十)几)?[ \t]*"
    rf"(?:(?P<scale>[万亿](?!元))(?P<approx1>{_AX1})?[ \t]*(?P<mw>{_MW})?|(?P<approx1b>{_AX1})?[ \t]*(?P<mwb>{_MW}))"
    rf"(?P<approx2>{_AX2})?"
)
APPROX_PREFIXES = _EXTRACTION.approx_prefixes  # 突破N: more than N (a lower bound)
_APPROX_LAST = frozenset(p[-1] for p in APPROX_PREFIXES)
MAX_INTEGER_DIGITS = 12  # a longer integer part is not a figure a report states (ids, pasted garbage)
_VAGUE_BEFORE = frozenset("几数")  # 几十, 数百: "some tens/hundreds", no single value
_VAGUE_HEADS = frozenset("十百千万")
MINUS_SIGNS = frozenset("-\uff0d")  # ASCII hyphen-minus and full-width － (normalised to '-' anyway)
# what may stand before the dash of a range (5件-10件, 5件 - 10件, 2021-2025, 1-10月, A-5): then '-' is no sign
_RANGE_LEFT_RE = re.compile(
    rf"(?:[0-9一二两三四五六七八九十百千][ \t]*[万亿]?(?:{_AX1})?[ \t]*(?:{_MW})(?:{_AX2})?"
    r"|[0-9A-Za-z.,一二两三四五六七八九十百千万])[ \t]*$"
)


class Quantity(NamedTuple):
    """One parsed number surface (a named tuple: immutable and several times cheaper to build than a frozen
    dataclass, which matters at ~60 numbers per report)."""

    start: int
    end: int
    value: float
    measure_raw: str  # as written, with the 万/亿 scale: 万人次, 项, %, 万元
    measure: str  # the bare measure word (人次, 项, %, 万元) or "" when none
    approx: bool
    chinese: bool


_new_quantity = tuple.__new__  # Quantity from its fields in order, without the keyword handling of Quantity(...)


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


def is_malformed_digits(num: str, text: str, start: int, original: str | None = None) -> bool:
    """True for an Arabic number that is no figure: glued to digits before it by ``.``/``,`` (``1.2.3``,
    ``1,2,3``) or with an integer part longer than ``MAX_INTEGER_DIGITS``. ``original`` is the text before
    ``normalize`` (same offsets): a full-width comma there (``41.8，121场次``) separates clauses, it glues nothing."""
    if start >= 2 and text[start - 1] in ".," and text[start - 2].isdigit():
        if original is None or original[start - 1] != "\uff0c":
            return True
    return len(num.split(".", 1)[0].replace(",", "").replace(" ", "")) > MAX_INTEGER_DIGITS


def is_vague_magnitude(num: str, text: str, start: int) -> bool:
    """True for 几十/数十/几百/数百/几千/数千/几万/数万 (the Chinese numeral after 几/数 starts with a place unit)."""
    return start > 0 and num[0] in _VAGUE_HEADS and text[start - 1] in _VAGUE_BEFORE


def minus_sign(text: str, start: int) -> bool:
    """True when the character before ``start`` is a minus sign (not the dash of a range such as 2021-2025)."""
    if start == 0 or text[start - 1] not in MINUS_SIGNS:
        return False
    return start == 1 or _RANGE_LEFT_RE.search(text, max(0, start - 16), start - 1) is None


def quantity_from_match(m: re.Match, text: str, original: str | None = None) -> Quantity | None:
    """Parse one NUMBER_RE match in normalised ``text``; None when the surface has neither a measure word nor a 万/亿
    scale, and for the surfaces listed in the module docstring (malformed or implausibly long digit runs, 几十/数十).
    ``original`` is the text before normalisation, when known (it tells a full-width comma from an ASCII one)."""
    num, ji, scale, approx1, mw, approx1b, mwb, approx2 = m.groups()
    measure = mw or mwb or ""
    scale = scale or ""
    if not measure and not scale:  # NUMBER_RE requires one of them; kept for matches of other patterns
        return None
    start = m.start()
    if num[0].isdigit():  # parse_number, inlined: this runs for every number of every report
        chinese = False
        if is_malformed_digits(num, text, start, original):
            return None
        value = float(num.replace(",", "").replace(" ", "")) if "," in num or " " in num else float(num)
    else:
        if not measure:  # a Chinese numeral needs its measure word (三万 alone is not a figure)
            return None
        v = parse_chinese_numeral(num)
        if v is None or is_vague_magnitude(num, text, start):
            return None
        value, chinese = v, True
    if measure in MONEY_MEASURES:
        if scale:  # 2万元 is written 2万元 (scale absent); 1.5亿元 arrives as measure 亿元
            value *= CN_BIG[scale]
        value *= MONEY_MEASURES[measure]
        measure_raw = measure
    else:
        if scale:
            value *= CN_BIG[scale]
        measure_raw = scale + measure
    if not chinese and minus_sign(text, start):
        start -= 1
        value = -value or 0.0  # -0 is written, but the value is 0 (not -0.0)
    approx = bool(approx1 or approx1b or approx2 or ji) or approx_prefix(text, start) > 0
    return _new_quantity(Quantity, (start, m.end(), round(value, 6), measure_raw, measure, approx, chinese))


def iter_quantities(text: str, original: str | None = None):
    """Every number surface with a measure word (or 万/亿) in normalised ``text``, in order (``original``: the text
    before normalisation, see ``quantity_from_match``)."""
    for m in NUMBER_RE.finditer(text):
        q = quantity_from_match(m, text, original)
        if q is not None:
            yield q, m
