"""One cell as a value: numbers, Chinese numerals, approximations (约/余/多), words for zero, years."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import numpy as np
import pandas as pd

from analysis.ingest.datasets.model import Parsed
from analysis.ingest.reports.numbers import parse_chinese_numeral
from analysis.registry.vocabulary import load_extraction

ZERO_WORDS = ("无", "零")
NOT_APPLICABLE_WORDS = ("不适用",)
APPROX_PREFIXES = load_extraction().approx_prefixes  # the report extractor's markers (registry/extraction.yaml)
# the report extractor's suffixes, and 有余 (cells only)
APPROX_SUFFIXES = (*load_extraction().approx_suffixes, *load_extraction().approx_cell_suffixes)
_NUMBER_RE = re.compile(r"[+-]?\d+(?:\.\d+)?")
_THOUSANDS_RE = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


_YEAR_RE = re.compile(r"^(\d{4})(?:\.0+)?年?$")


def norm(text: str) -> str:
    """NFKC (full-width digits, brackets and ％ become ASCII), no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def cell_text(value: object) -> str:
    """The cell as a person reads it: numbers without a spurious ``.0``, text stripped, blank as ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if np.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int | np.integer):
        return str(int(value))
    return str(value).strip()


def indicator_kind(entry: pd.Series | dict) -> str:
    """count / rate / money / amount: the registry ``kind`` or, when absent, inferred from the measure."""
    kind = entry.get("kind")
    if isinstance(kind, str) and kind:
        return kind
    measure = str(entry.get("measure") or "")
    if measure == "%":
        return "rate"
    if measure.endswith("元"):
        return "money"
    return "count"


def indicator_header(entry: pd.Series | dict) -> str:
    """Column header for an indicator: ``出台行政规范性文件（件）[nd_issued]``."""
    return f"{entry['name_zh']}（{entry['measure']}）[{entry['id']}]"


def _take(text: str, options: Iterable[str]) -> tuple[str, bool]:
    for opt in options:
        if text.startswith(opt):
            return text[len(opt) :], True
    return text, False


def parse_value(raw: object, measure: str = "") -> Parsed:
    """Read one indicator cell.

    What a report accepts, a cell accepts: full-width digits (NFKC), Chinese numerals (三, 二百, 一千零五, through the
    report extractor's own reader `analysis.ingest.reports.numbers.parse_chinese_numeral`: one implementation), and
    约/余/多/近 approximations of either (约二百 → approx 200, 十余 → approx 10).
    number → exact; ``80余`` / ``约80`` / ``近80`` / ``80多`` → approx 80; ``无`` / ``零`` → 0 zero_in_words;
    ``0`` → 0 exact; blank → NaN not_reported; ``不适用`` → NaN not_applicable. The indicator's measure may follow the
    number (``7件``, ``97.5%``); ``万`` multiplies by 10 000 unless the measure itself starts with 万. Anything else is a
    problem (value NaN, state not_reported, ``problem`` set).
    """
    if isinstance(raw, bool):
        return Parsed(np.nan, "not_reported", False, f"数值单元格中是文字 {raw!r}")
    if isinstance(raw, int | float | np.integer | np.floating):
        if np.isnan(float(raw)):
            return Parsed(np.nan, "not_reported", False)
        return Parsed(float(raw), "exact", False)
    text = cell_text(raw)
    if not text:
        return Parsed(np.nan, "not_reported", False)
    s = _THOUSANDS_RE.sub("", norm(text))
    if s in ZERO_WORDS:
        return Parsed(0.0, "zero_in_words", False)
    if s in NOT_APPLICABLE_WORDS:
        return Parsed(np.nan, "not_applicable", False)
    measure_n = norm(measure)
    rest, approx = _take(s, APPROX_PREFIXES)
    m = _NUMBER_RE.match(rest) or _CN_NUMBER_RE.match(rest)
    if not m:
        return Parsed(np.nan, "not_reported", False, _text_problem(text))
    number = float(m.group()) if m.re is _NUMBER_RE else parse_chinese_numeral(m.group())
    if number is None:  # 一二三: digits in a row are a name, not a number
        return Parsed(np.nan, "not_reported", False, _text_problem(text))
    rest, a1 = _take(rest[m.end() :], APPROX_SUFFIXES)
    mult = 1.0
    if rest.startswith("万") and not measure_n.startswith("万"):
        mult, rest = 10_000.0, rest[1:]
    rest, a2 = _take(rest, APPROX_SUFFIXES)
    if measure_n and rest.startswith(measure_n):
        rest = rest[len(measure_n) :]
    rest, a3 = _take(rest, APPROX_SUFFIXES)
    if rest:
        return Parsed(np.nan, "not_reported", False, _text_problem(text))
    approx = approx or a1 or a2 or a3
    return Parsed(round(number * mult, 6), "approx" if approx else "exact", approx)


# Chinese numeral characters a cell may spell a number with; 万 is left to the multiplier step below (so 三万元 in a
# 万元 column stays 3), 几/数 (vague magnitudes) are not numbers.
_CN_NUMBER_RE = re.compile("[零〇一二两三四五六七八九十百千]+")


def _text_problem(text: str) -> str:
    return (
        f"数值单元格中是文字 {text!r}：请写数字（也可写 三、二百），约数写 80余/约80，零写 无，"
        "不适用写 不适用，未报告请留空"
    )


def parse_year(raw: object) -> int | None:
    """Year as int from 2023, 2023.0, '2023' or '2023年'; None when blank or unreadable."""
    if isinstance(raw, float) and not raw.is_integer():
        return None
    m = _YEAR_RE.match(norm(cell_text(raw)))
    return int(m.group(1)) if m else None
