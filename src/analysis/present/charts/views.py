"""Small pure functions that shape contract tables for charts and notebook tables: unit look-up, value and rate
labels in Chinese, and the per-area indicator rows of one district-year.

A value that is not reported stays NA and is labelled "未报告"; it is never turned into 0.
"""

from __future__ import annotations

import math
import re
import weakref

import pandas as pd

from analysis.present.charts.style import AREA_ORDER
from analysis.registry.units import match_unit
from analysis.registry.vocabulary import load_vocabulary

# value-state and scope labels: registry/vocabulary.yaml; "computed" marks a rate computed from counts (no state)
STATE_LABELS = {**load_vocabulary().labels("value_states"), "computed": "由计数计算"}
SCOPE_LABELS = load_vocabulary().labels("scopes")
PROFILE_COLUMNS = [
    "indicator_id",
    "name_zh",
    "area",
    "value",
    "measure",
    "value_state",
    "approx",
    "scope",
    "value_text",
    "evidence",
    "source_file",
    "locator",
]


class UnknownUnitError(KeyError):
    """A district/city parameter names no known unit."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def is_missing(v: object) -> bool:
    """True for None, NaN and pandas NA."""
    if v is None or v is pd.NA:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def fmt_number(v: float, digits: int = 1) -> str:
    """1234 -> '1,234'; 97.456 -> '97.5'; integers keep no decimals."""
    f = float(v)
    if math.isclose(f, round(f), abs_tol=1e-9):
        return f"{round(f):,}"
    return f"{f:,.{digits}f}".rstrip("0").rstrip(".")


_MARK_BEFORE = "近|约|超过|超|突破"
_MARK_AFTER = "余|多|以上|左右"


def source_marker(value: object, evidence: object) -> tuple[str, str] | None:
    """The approximation marker the source wrote around this number in its sentence, as (before, after):
    ('', '余') for '800余条', ('近', '') for '近300人'; None when the sentence does not show the number with one."""
    if is_missing(value) or is_missing(evidence):
        return None
    num = re.escape(fmt_number(value).replace(",", ""))
    text = str(evidence)
    m = re.search(rf"({_MARK_BEFORE})?(?<![\d.]){num}(?![\d.])({_MARK_AFTER})?", text)
    if m and (m.group(1) or m.group(2)):
        return m.group(1) or "", m.group(2) or ""
    m = re.search(rf"(?<![\d.]){num}(?![\d.])[^\d\s，,。；、]{{1,3}}?(以上|左右)", text)  # 300人以上
    return ("", m.group(1)) if m else None


def value_text(
    value: object, unit: str | None, value_state: str | None, approx: object = False, evidence: object = None
) -> str:
    """The printed value with its state: '236件', '800余条' (the source's own marker, found in its sentence),
    '约995人次' (no marker found), '0件（原文文字表述）', '未报告'."""
    state = value_state or ("not_reported" if is_missing(value) else "exact")
    if state == "not_applicable":
        return "不适用"
    if state == "not_reported" or is_missing(value):
        return "未报告"
    unit = "" if is_missing(unit) else str(unit)
    num = fmt_number(value) + unit
    if state == "zero_in_words":
        return f"{num}（原文文字表述）"
    if state == "approx" or (not is_missing(approx) and bool(approx)):
        mark = source_marker(value, evidence)
        if mark is None:
            return f"约{num}"
        before, after = mark
        if after in ("以上", "左右"):
            return f"{before}{num}{after}"  # 300人以上
        return f"{before}{fmt_number(value)}{after}{unit}"  # 800余条
    return num


def rate_label(
    rate: object, numerator: object = None, denominator: object = None, approx: object = False, source: str = ""
) -> str:
    """'97.5%（230/236）'; '约97.5%（…）' when an input is approximate; '98%（报告值）' when only the % was stated."""
    if is_missing(rate):
        if not is_missing(denominator) and float(denominator) == 0:
            return "无法计算（分母为0）"
        return "未报告"
    prefix = "约" if (not is_missing(approx) and bool(approx)) else ""
    body = f"{prefix}{fmt_number(rate)}%"
    if not is_missing(numerator) and not is_missing(denominator):
        return f"{body}（{fmt_number(numerator)}/{fmt_number(denominator)}）"
    return f"{body}（报告值）" if source == "reported" or not source else body


def short(text: object, n: int = 30) -> str:
    """Text cut to ``n`` characters with '…'; missing -> ''."""
    if is_missing(text):
        return ""
    s = " ".join(str(text).split())
    return s if len(s) <= n else s[: n - 1] + "…"


def evidence_snippet(evidence: object, value: object, n: int = 30) -> str:
    """A window of ``n`` characters of the evidence sentence around the value's number (start of the sentence when
    the number is not found or is 0), with '…' where text was cut."""
    if is_missing(evidence):
        return ""
    text = " ".join(str(evidence).split())
    if len(text) <= n:
        return text
    pos = -1
    if not is_missing(value) and float(value) != 0:
        num = fmt_number(value).replace(",", "")
        m = re.search(rf"(?<![\d.]){re.escape(num)}(?![\d])", text)
        pos = m.start() if m else -1
    if pos < 0:
        return short(text, n)
    start = max(0, min(pos - n // 3, len(text) - (n - 1)))
    head = "…" if start > 0 else ""
    body = text[start : start + n - 1 - len(head)]
    tail = "…" if start + len(body) < len(text) else ""
    return head + body + tail


def evidence_note(evidence: object, value: object, source_file: object, locator: object, n: int = 30) -> str:
    """Evidence for a panel row: the sentence around the number, or — when the evidence is only a spreadsheet cell
    (no Chinese text) — the file name and cell locator."""
    ev = "" if is_missing(evidence) else str(evidence)
    if ev and re.search(r"[\u4e00-\u9fff]", ev):
        return evidence_snippet(ev, value, n)
    if not is_missing(locator) and str(locator):
        name = "" if is_missing(source_file) else str(source_file).replace("\\", "/").rsplit("/", 1)[-1]
        return short(f"{name} {locator}".strip(), n)
    return short(ev, n)


def zh_reason(text: object) -> str:
    """A metrics 'reason' for display: English glosses in parentheses dropped ('覆盖率低于50% (coverage …)')."""
    if is_missing(text):
        return ""
    s = re.sub(r"\s*[(（][^()（）]*[A-Za-z][^()（）]*[)）]", "", str(text))
    return s.strip()


def indicator_names(indicators: pd.DataFrame) -> dict[str, str]:
    """Registry id -> Chinese chart label."""
    ids = indicators["id"] if "id" in indicators.columns else indicators.index.to_series()
    return dict(zip(ids.astype(str), indicators["name_zh"].astype(str), strict=True))


class _UnitLookup:
    """Answers of :func:`resolve_unit` for one unit table: key → row position (a page asks for the same few units
    hundreds of times; one pandas filter per question cost ~2–5 ms, most of a chart's own work)."""

    __slots__ = ("ref", "stamp", "positions")

    def __init__(self, units: pd.DataFrame, stamp: tuple) -> None:
        self.ref = weakref.ref(units)
        self.stamp = stamp
        self.positions: dict[tuple[str, bool], int | None] = {}


_LOOKUP: list[_UnitLookup] = []


def _stamp(units: pd.DataFrame) -> tuple:
    """What a lookup's answers depend on (checked on every call, so a changed table is never answered stale)."""
    return (
        id(units.index),
        tuple(units.columns),
        tuple(units["unit_id"].tolist()),
        *(tuple(units[c].tolist()) for c in ("name", "aliases", "parent") if c in units.columns),
    )


def unit_position(units: pd.DataFrame, key: str, names: bool = True) -> int | None:
    """Row position of the unit whose id is ``key`` (else, with ``names``, whose name or alias is, through the
    registry's ``match_unit``; the first of homonyms), or None. Answers are kept per table and checked against it on
    every call."""
    stamp = _stamp(units)
    cache = _LOOKUP[0] if _LOOKUP else None
    if cache is None or cache.ref() is not units or cache.stamp != stamp:
        cache = _UnitLookup(units, stamp)
        _LOOKUP[:] = [cache]
    slot = (key, names)
    if slot not in cache.positions:
        ids = [str(u) for u in stamp[2]]
        pos = ids.index(key) if key in ids else None
        if pos is None and names:
            found = match_unit(units, key)
            pos = ids.index(str(found[0])) if found and str(found[0]) in ids else None
        cache.positions[slot] = pos
    return cache.positions[slot]


def resolve_unit(units: pd.DataFrame, key: str) -> pd.Series:
    """The unit row for an id, a name or an alias (matched by the registry's ``match_unit``; the first of
    homonyms). Raises UnknownUnitError when nothing matches."""
    key = str(key).strip()
    pos = unit_position(units, key)
    if pos is None:
        raise UnknownUnitError(f"未知单位 {key!r}：不是单位表中的编号、名称或别名")
    return units.iloc[pos]


def resolve_city(units: pd.DataFrame, key: str) -> str:
    """City name for a city id or name."""
    row = resolve_unit(units, key)
    return str(row["name"] if row["level"] == "city" else row["city"])


def districts_of(units: pd.DataFrame, city: str) -> pd.DataFrame:
    """The district-level units of a city (by city name or id), in registry order."""
    name = resolve_city(units, city)
    return units[(units["level"] == "district") & (units["city"] == name)].reset_index(drop=True)


def area_indicators(indicators: pd.DataFrame, area: str) -> pd.DataFrame:
    """Registry rows of one problem area, in registry order."""
    df = indicators.reset_index(drop=True) if "id" in indicators.columns else indicators.reset_index()
    return df[df["area"] == area]


def profile_rows(
    obs: pd.DataFrame,
    indicators: pd.DataFrame,
    unit_id: str,
    year: int,
    area: str,
    rates: pd.DataFrame | None = None,
    facts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every registry indicator of ``area`` for one unit-year, with value, state, label and evidence.

    Indicators without an observation are listed as not reported (value NA), never as 0. When ``rates`` (the
    metrics table) is given, a rate the report did not state but that was computed from its counts is shown with
    state ``computed`` and the label '100%（7/7）'. When ``facts`` (the report facts) is given, a column
    ``confidence`` holds the extraction confidence of the fact behind each value (NA for dataset values and for
    values not read from a report).
    """
    reg = area_indicators(indicators, area)[["id", "name_zh", "area", "measure"]].rename(columns={"id": "indicator_id"})
    sel = obs[(obs["unit_id"] == unit_id) & (obs["year"] == int(year))]
    cols = ["indicator_id", "value", "value_state", "approx", "scope", "evidence", "source_file", "locator", "measure"]
    cols += ["fact_id"] if facts is not None else []
    sel = sel[[c for c in cols if c in sel.columns]].rename(columns={"measure": "obs_measure"})
    df = reg.merge(sel.drop_duplicates("indicator_id"), on="indicator_id", how="left")
    if "obs_measure" in df.columns:
        df["measure"] = df["obs_measure"].where(df["obs_measure"].notna(), df["measure"])
    for c in ("value", "value_state", "approx", "scope", "evidence", "source_file", "locator"):
        if c not in df.columns:
            df[c] = pd.NA
    df["value_state"] = [
        "not_reported" if is_missing(s) or (is_missing(v) and s != "not_applicable") else s
        for s, v in zip(df["value_state"], df["value"], strict=True)
    ]
    df["value"] = df["value"].astype("Float64")
    df["value_text"] = [
        value_text(v, u, s, a, e)
        for v, u, s, a, e in zip(
            df["value"], df["measure"], df["value_state"], df["approx"], df["evidence"], strict=True
        )
    ]
    if rates is not None and len(rates):
        df = _fill_computed_rates(df, rates, unit_id, year, indicator_names(indicators))
    if facts is None:
        return df[PROFILE_COLUMNS].reset_index(drop=True)
    conf = {}
    if {"fact_id", "confidence"} <= set(facts.columns):
        conf = dict(zip(facts["fact_id"].astype(str), pd.to_numeric(facts["confidence"], errors="coerce"), strict=True))
    fid = df["fact_id"] if "fact_id" in df.columns else pd.Series(pd.NA, index=df.index)
    df["confidence"] = pd.array([conf.get(str(f)) if not is_missing(f) else None for f in fid], dtype="Float64")
    return df[[*PROFILE_COLUMNS, "confidence"]].reset_index(drop=True)


def _fill_computed_rates(
    df: pd.DataFrame, rates: pd.DataFrame, unit_id: str, year: int, names: dict[str, str]
) -> pd.DataFrame:
    r = rates[(rates["unit_id"] == unit_id) & (rates["year"] == int(year)) & (rates["source"] == "computed")]
    r = r[r["rate"].notna()].drop_duplicates("indicator_id").set_index("indicator_id")
    df = df.copy()
    for i in df.index[(df["value_state"] == "not_reported") & df["indicator_id"].isin(r.index)]:
        rr = r.loc[df.at[i, "indicator_id"]]
        df.at[i, "value"] = float(rr["rate"])
        df.at[i, "approx"] = bool(rr["approx"]) if not is_missing(rr["approx"]) else False
        df.at[i, "value_state"] = "computed"
        df.at[i, "value_text"] = rate_label(rr["rate"], rr["numerator"], rr["denominator"], rr["approx"], "computed")
        num, den = str(rr.get("numerator_id", "")), str(rr.get("denominator_id", ""))
        df.at[i, "evidence"] = f"由报告计数计算：{names.get(num, num)}÷{names.get(den, den)}"
    return df


def compact_rows(rows: pd.DataFrame, max_rows: int = 24) -> tuple[pd.DataFrame, str]:
    """Reported indicators first (registry order), at most ``max_rows``; a footer names what was left out."""
    reported = rows[rows["value_state"] != "not_reported"]
    missing = rows[rows["value_state"] == "not_reported"]
    shown = pd.concat([reported, missing]).head(max_rows)
    left = rows[~rows["indicator_id"].isin(shown["indicator_id"])]
    parts = []
    n_rep = int((left["value_state"] != "not_reported").sum())
    n_miss = int((left["value_state"] == "not_reported").sum())
    if n_rep:
        parts.append(f"另有{n_rep}项已报告指标见证据表")
    if n_miss:
        names = "、".join(left.loc[left["value_state"] == "not_reported", "name_zh"].head(4))
        parts.append(f"另有{n_miss}项未报告（{names}{'等' if n_miss > 4 else ''}）")
    return shown.reset_index(drop=True), "；".join(parts)


def confidence_text(c: object) -> str:
    """'0.90' for an extraction confidence, '' when there is none (a dataset value, a value not reported)."""
    return "" if is_missing(c) else f"{float(c):.2f}"


def evidence_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Notebook table in Chinese: 指标, 数值, 状态, 把握度 (when ``rows`` has ``confidence``), 口径, 原文依据, 来源, 位置.

    Rows with a value come first (in the order given), the 未报告 rows after them, so a reader sees what the district
    reported before the list of what it did not."""
    missing = rows["value_state"].eq("not_reported") | rows["value_text"].eq(STATE_LABELS["not_reported"])
    rows = pd.concat([rows[~missing], rows[missing]])
    out = pd.DataFrame(
        {
            "指标": rows["name_zh"],
            "数值": rows["value_text"],
            "状态": [STATE_LABELS.get(s, s) for s in rows["value_state"]],
            **({"把握度": [confidence_text(c) for c in rows["confidence"]]} if "confidence" in rows else {}),
            "口径": [SCOPE_LABELS.get(s, "") if not is_missing(s) else "" for s in rows["scope"]],
            "原文依据": [short(e, 80) for e in rows["evidence"]],
            "来源": [file_label(f) for f in rows["source_file"]],
            "位置": [short(loc, 20) for loc in rows["locator"]],
        }
    )
    return out.reset_index(drop=True)


def file_label(path: object) -> str:
    """The file name of a source path (no folders), '示例市模拟数据' for the sample; missing -> ''."""
    if is_missing(path) or not str(path).strip():
        return ""
    base = str(path).replace("\\", "/").rsplit("/", 1)[-1]
    return "示例市模拟数据" if base == "sample" else base


def source_text(files: object, extra: str = "见证据表") -> str:
    """'文件A、文件B；见证据表' from the distinct non-empty source files."""
    names = []
    for f in files if files is not None else []:
        if is_missing(f) or not str(f).strip():
            continue
        base = str(f).replace("\\", "/").rsplit("/", 1)[-1]
        base = "示例市模拟数据" if base == "sample" else base
        if base not in names:
            names.append(base)
    head = "、".join(names[:4]) + ("等" if len(names) > 4 else "")
    return f"{head}；{extra}" if head else extra


def area_order(areas: object) -> list[str]:
    """Areas in P1, P2, P3 (then others) order."""
    present = list(dict.fromkeys(areas))
    return [a for a in AREA_ORDER if a in present] + [a for a in present if a not in AREA_ORDER]
