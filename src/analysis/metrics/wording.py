"""Numbers as the narrative prints them: 88.9, counts with their measure word, rates with their counts, and the
approximate marker the source wrote (80余 stays 80余)."""

from __future__ import annotations

import math

_APPROX_BEFORE = ("近", "约", "超过", "超")
_APPROX_AFTER = ("余", "多", "以上", "左右")
_APPROX_AFTER_RATE = ("以上", "左右")  # written after the % sign: 95%以上


def blank(v: object) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and not v.strip()


def fmt_num(x: float, digits: int = 1) -> str:
    """88.888… → '88.9', 100.0 → '100', 7.0 → '7' (the same rounding the property test re-applies)."""
    r = round(float(x), digits)
    return f"{r:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{r:.0f}"


def approx_marker(number_text: object) -> tuple[str, str]:
    """The approximate marker written in the source, as (before, after): '80余人次' → ('', '余'), '近300' → ('近', '')."""
    if blank(number_text):
        return "约", ""  # no surface kept: the neutral marker 约, written before the number
    s = str(number_text)
    for w in _APPROX_BEFORE:
        if s.startswith(w):
            return w, ""
    for w in _APPROX_AFTER:
        if w in s:
            return "", w
    return "约", ""


def count_text(value: float, unit: str, approx: bool = False, number_text: object = None) -> str:
    num = fmt_num(value)
    if not approx:
        return f"{num}{unit}"
    before, after = approx_marker(number_text)
    return f"{before}{num}{after}{unit}"


def rate_text(
    rate: float, num: float | None = None, den: float | None = None, approx: bool = False, number_text: object = None
) -> str:
    """'88.9%（8/9）' with counts, '100%' without. An approximate rate keeps the marker its source wrote
    ('95%以上' stays 95%以上, '近90%' stays 近90%); one computed from approximate counts is written 约…."""
    if approx:
        before, after = approx_marker(number_text)
        head = f"{before}{fmt_num(rate)}%{after}" if after in _APPROX_AFTER_RATE else f"{before}{fmt_num(rate)}{after}%"
    else:
        head = f"{fmt_num(rate)}%"
    if num is None or den is None or blank(num) or blank(den):
        return head
    return f"{head}（{fmt_num(num, 0) if float(num).is_integer() else fmt_num(num)}/" + (
        f"{fmt_num(den, 0) if float(den).is_integer() else fmt_num(den)}）"
    )
