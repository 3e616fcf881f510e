"""The fictional 示例市 panel: a deterministic, clearly synthetic yearly dataset for demonstrations and tests.

示例市 (province 示例省) has six districts 示例一区 … 示例六区 and, in 示例一区 and 示例二区, streets and departments (their definition is registry data: registry/sample_units.yaml).
Every row is marked 数据性质 = 示例数据（模拟） and every fact ``is_synthetic``. No real place name is used.

Magnitudes start from the 马村区 2023 figures of the seed gold file (``GOLD_BASE``; 马村区 itself never appears), or a
default by measure word (``DEFAULT_BY_UNIT``) for indicators without a gold value, then vary by district (a fixed size
factor), by year (a per-indicator trend) and by noise, all drawn from ``numpy.random.default_rng(SAMPLE_SEED)`` in a
fixed order, so the panel (and its CSV, byte for byte) is the same on every run. Arithmetic is consistent (at_most,
parts ≤ total, rate = numerator ÷ denominator) except for the deliberate problems listed by `planted_problems`, which
the data-quality review is meant to find. Some cells are blank (not reported), some approximate (``80余``), some
zero in words (``无``), and indicators a street or department does not carry are ``不适用``.

The panel goes through the same import as real files (`analysis.ingest.datasets.validate_table`): `sample_facts`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

from analysis.core.io import atomic_path, neutralise_frame, neutralise_workbook
from analysis.ingest.datasets import (
    COL_NATURE,
    COL_PARENT,
    COL_SOURCE,
    COL_TYPE,
    COL_UNIT,
    COL_YEAR,
    DATA_SHEET,
    NOTES_SHEET,
    SYNTHETIC_MARK,
    DatasetResult,
    indicator_header,
    indicator_kind,
    table_from_frame,
    validate_table,
)
from analysis.registry.units import sample_units

SAMPLE_SEED = 20240601
SAMPLE_CITY = str(sample_units()["city"].iloc[0])  # the fictional units are registry data (registry/sample_units.yaml)
SAMPLE_PROVINCE = str(sample_units()["province"].iloc[0])
SAMPLE_SOURCE = "示例市_示例数据.xlsx"  # source_file of sample facts; locators point into the .xlsx of write_sample
SAMPLE_NOTE = f"模拟生成（analysis.ingest.sample，种子 {SAMPLE_SEED}）"
YEARS = tuple(range(2019, 2025))
BASE_YEAR = 2023
LEVEL_TO_TYPE = {"district": "区县", "street": "街道", "department": "部门"}
# Indicators a street or department carries (by id prefix); others are 不适用 for them.
SUB_UNIT_PREFIXES = {
    "street": ("med_", "pls_", "open_", "enf_street_"),
    "department": ("enf_", "nd_", "open_", "rec_", "lit_"),
}
SUB_UNIT_SCALE = {"street": (0.08, 0.2), "department": (0.1, 0.3)}

# 马村区 2023 (seed_gold.csv): the base magnitude of each indicator.
GOLD_BASE = {
    "gov_leader_law_tests": 1, "enf_powers_delegated_to_streets": 29, "enf_street_training_sessions": 3,
    "enf_street_training_attendance": 80, "enf_supervision_units": 10, "enf_supervision_streets": 7,
    "enf_four_lists_cases": 76, "enf_no_penalty_cases": 24, "enf_lighter_penalty_cases": 19,
    "enf_mitigated_penalty_cases": 31, "enf_no_compulsion_cases": 2, "svc_commitment_items": 53,
    "svc_commitment_cases": 2078, "enf_certificates_new": 72, "enf_certificates_cancelled": 18,
    "enf_certificates_reviewed": 197, "enf_agencies": 25, "enf_exam_participants": 150,
    "enf_exam_participation_rate": 100, "sup_npc_suggestions": 73, "sup_cppcc_proposals": 121,
    "sup_npc_satisfaction_rate": 100, "sup_cppcc_satisfaction_rate": 100, "open_info_disclosed": 800,
    "open_grassroots_domains": 32, "nd_cleanup_campaigns": 3, "nd_legality_reviews": 12, "nd_issued": 7,
    "nd_filed": 7, "nd_training_sessions": 1, "dec_legal_advisor_participations": 110, "svc_items_adjusted": 1545,
    "svc_one_thing_items": 104, "svc_one_thing_handled": 1528, "svc_one_thing_business_startups": 403,
    "svc_one_thing_individual_businesses": 1125, "svc_enterprises_covered": 44, "rec_applications": 6,
    "rec_closure_rate": 100, "lit_cases": 7, "lit_concluded": 7, "lit_lost": 0, "pls_village_advisor_coverage": 100,
    "pls_legal_aid_cases": 383, "pls_legal_help_cases": 213, "pls_legal_aid_consultations": 995, "pls_complaints": 0,
    "med_cases": 236, "med_complex_cases": 12, "med_screenings": 465, "med_prevented": 102, "med_successes": 230,
    "med_success_rate": 97.5, "med_amount": 589, "jo_provincial_five_star": 4, "jo_municipal_four_star": 1,
}  # fmt: skip
# Indicators without a gold value: a typical district magnitude by measure word. Other units get no sample values.
DEFAULT_BY_UNIT = {
    "件": 40, "项": 20, "次": 8, "人": 60, "人次": 300, "家": 15, "个": 10, "条": 200, "场": 4, "万元": 150, "%": 95,
    "期": 4, "份": 30, "批次": 5, "户次": 100, "支": 3,
}  # fmt: skip
SAMPLE_KINDS = ("count", "rate", "money")
P_MISSING, P_APPROX, P_ZERO_WORDS = 0.03, 0.05, 0.5
TEXT_PROBLEM = "待核实"


def _load(indicators: pd.DataFrame | None) -> pd.DataFrame:
    if indicators is None:
        from analysis.registry import load_indicators

        indicators = load_indicators()
    return indicators


def sample_indicators(indicators: pd.DataFrame | None = None) -> pd.DataFrame:
    """Registry indicators the sample fills: kind count/rate/money with a gold or default magnitude."""
    ind = _load(indicators)
    keep = [
        iid
        for iid, e in ind.iterrows()
        if indicator_kind(e) in SAMPLE_KINDS and (iid in GOLD_BASE or str(e["measure"]) in DEFAULT_BY_UNIT)
    ]
    return ind.loc[keep]


@dataclass(frozen=True)
class _Spec:
    """What the generator needs of one indicator, as plain values (pandas lookups in the inner loop are slow)."""

    iid: str
    kind: str
    base: float
    cap: str | None  # at_most, or the denominator of a rate this count is the numerator of
    cap_ratio: float  # typical value ÷ cap
    total: str | None  # the total this indicator is a part of
    share: float  # typical value ÷ total
    num: str | None
    den: str | None
    parts: tuple[str, ...]
    exhaustive: bool  # the parts add up to the total (as in the gold figures), not just stay below it


def _ref(entry: pd.Series, name: str, ids: set[str]) -> str | None:
    v = entry.get(name)
    return v if isinstance(v, str) and v in ids else None


def _base(entry: pd.Series) -> float:
    return float(GOLD_BASE.get(entry["id"], DEFAULT_BY_UNIT.get(str(entry["measure"]), 0)))


def _ratio(dep: str, ref: str, default: float) -> float:
    g_dep, g_ref = GOLD_BASE.get(dep), GOLD_BASE.get(ref)
    return min(g_dep / g_ref, 1.0) if g_dep is not None and g_ref else default


def _exhaustive(total: str, parts: tuple[str, ...]) -> bool:
    if not parts or total not in GOLD_BASE or any(p not in GOLD_BASE for p in parts):
        return False
    return sum(GOLD_BASE[p] for p in parts) == GOLD_BASE[total]


def _specs(ind: pd.DataFrame) -> dict[str, _Spec]:
    """Relations from the registry: at_most caps, parts of totals, rate numerators (≤ their denominators)."""
    ids = set(ind.index)
    rate_of_num: dict[str, tuple[str, float]] = {}  # numerator → (denominator, typical rate ÷ 100)
    part_of: dict[str, str] = {}
    parts_of: dict[str, tuple[str, ...]] = {}
    for iid, e in ind.iterrows():
        num, den = _ref(e, "numerator", ids), _ref(e, "denominator", ids)
        if indicator_kind(e) == "rate" and num and den:
            rate_of_num.setdefault(num, (den, min(_base(e), 100.0) / 100.0 if iid in GOLD_BASE else -1.0))
        parts = e.get("parts")
        if isinstance(parts, list | tuple):
            parts_of[iid] = tuple(p for p in parts if p in ids)
            for p in parts_of[iid]:
                part_of.setdefault(p, iid)
    specs = {}
    for iid, e in ind.iterrows():
        cap = _ref(e, "at_most", ids)
        if cap is None and iid in rate_of_num:
            cap = rate_of_num[iid][0]
        ratio = _ratio(iid, cap, 0.9) if cap else 1.0
        if cap and iid in rate_of_num and rate_of_num[iid][1] >= 0 and rate_of_num[iid][0] == cap:
            ratio = rate_of_num[iid][1]
        total = part_of.get(iid)
        n_parts = len(parts_of.get(total, ())) if total else 0
        share = _ratio(iid, total, 1.0 / (n_parts + 1)) if total else 1.0
        specs[iid] = _Spec(
            iid, indicator_kind(e), _base(e), cap, ratio, total, share,
            _ref(e, "numerator", ids), _ref(e, "denominator", ids), parts_of.get(iid, ()),
            _exhaustive(iid, parts_of.get(iid, ())),
        )  # fmt: skip
    return specs


def _dependencies(specs: dict[str, _Spec]) -> dict[str, set[str]]:
    """What each indicator is derived from: its cap, the total it is a part of, a rate's counts."""
    deps: dict[str, set[str]] = {}
    for iid, sp in specs.items():
        d = {x for x in (sp.cap, sp.total) if x}
        if sp.kind == "rate" and sp.num and sp.den:
            d |= {sp.num, sp.den}
        deps[iid] = d
    return deps


def generation_order(specs: dict[str, _Spec]) -> list[str]:
    """Registry order, moved so every indicator comes after what it is derived from (cycles broken by registry order)."""
    deps = _dependencies(specs)
    rank = {iid: i for i, iid in enumerate(specs)}
    done: list[str] = []
    state: dict[str, int] = {}

    def visit(iid: str) -> None:
        if state.get(iid):
            return
        state[iid] = 1
        for d in sorted(deps[iid], key=rank.__getitem__):
            visit(d)
        state[iid] = 2
        done.append(iid)

    for iid in specs:
        visit(iid)
    return done


def _draw_independent(sp: _Spec, scale: float, rng: np.random.Generator) -> float:
    if sp.kind == "rate":
        if sp.base >= 99.5:
            return 100.0 if rng.random() < 0.7 else round(float(rng.uniform(92.0, 99.9)), 1)
        return round(float(np.clip(sp.base + rng.normal(0.0, 2.0), 0.0, 100.0)), 1)
    if sp.kind == "money":
        return round(sp.base * scale, 1)
    if sp.base < 1:
        return float(rng.poisson(0.6 * scale))
    return float(max(0, round(sp.base * scale)))


def _unit_values(specs: dict[str, _Spec], order: list[str], scale: dict[str, float], rng: np.random.Generator) -> dict:
    """One unit-year: a consistent value per indicator (derived values respect caps, parts and rates)."""
    vals: dict[str, float] = {}
    for iid in order:
        sp = specs[iid]
        if sp.kind == "rate" and sp.num in vals and sp.den in vals:
            d = vals[sp.den]
            vals[iid] = round(100.0 * vals[sp.num] / d, 1) if d > 0 else np.nan
            continue
        if sp.total in vals:
            v = float(round(vals[sp.total] * sp.share * rng.uniform(0.85, 1.1)))
        elif sp.cap in vals:
            cap = vals[sp.cap]
            if sp.cap_ratio >= 1.0 and rng.random() < 0.8:
                v = cap
            elif sp.cap_ratio == 0:
                v = float(rng.poisson(0.1 * cap))
            else:
                v = float(round(cap * sp.cap_ratio * rng.uniform(0.94, 1.03)))
        else:
            v = _draw_independent(sp, scale[iid], rng)
        if sp.cap in vals:
            v = min(v, vals[sp.cap])
        vals[iid] = v
    for t in order:  # parts never exceed their total; exhaustive parts add up to it exactly
        got = [p for p in specs[t].parts if p in vals]
        if not got:
            continue
        s = sum(vals[p] for p in got)
        if s > vals[t]:
            for p in got:
                vals[p] = float(math.floor(vals[p] * vals[t] / s)) if vals[t] > 0 else 0.0
        if specs[t].exhaustive and len(got) == len(specs[t].parts):
            vals[got[-1]] = vals[t] - sum(vals[p] for p in got[:-1])
    return vals


def _applies(iid: str, level: str) -> bool:
    return level == "district" or iid.startswith(SUB_UNIT_PREFIXES[level])


def _related(specs: dict[str, _Spec]) -> set[str]:
    """Indicators in an arithmetic relation (kept exact so the consistency checks have something to check)."""
    deps = _dependencies(specs)
    out = {i for i, d in deps.items() if d}
    for d in deps.values():
        out |= d
    return out


def _approx_text(v: float, rng: np.random.Generator, is_rate: bool = False) -> str:
    style = int(rng.integers(0, 4))
    lo, hi = int(v // 10 * 10), int(math.ceil(v / 10) * 10)
    if is_rate and lo >= 100 and style in (0, 3):
        return "近100"  # '100余' / '100多' would be a rate above 100 %: no report writes that
    return (f"{lo}余", f"约{int(round(v / 10) * 10)}", f"近{hi}", f"{lo}多")[style]


def _number(v: float) -> int | float:
    return int(v) if float(v).is_integer() else float(v)


def _recompute_rates(vals: dict, specs: dict[str, _Spec]) -> None:
    for iid, sp in specs.items():
        if sp.kind == "rate" and sp.num in vals and sp.den in vals:
            d = vals[sp.den]
            vals[iid] = round(100.0 * vals[sp.num] / d, 1) if d > 0 else np.nan


def _plant(values: dict, specs: dict[str, _Spec], order: list[str]) -> list[dict]:
    """Put the documented quality problems into the values; returns what was planted and where.

    Each problem uses the first registry indicator that fits, so the list adapts to the registry; a problem with no
    fitting indicator is left out. Rates computed from a changed count are recomputed, so each problem stands alone.
    """
    planted: list[dict] = []
    numerators = {sp.num for sp in specs.values() if sp.kind == "rate" and sp.num}
    caps = [i for i in order if specs[i].cap and not specs[i].total and i not in numerators]
    if caps:
        dep, cap = caps[0], specs[caps[0]].cap
        v = values[("示例三区", 2021)]
        v[cap] = max(v[cap], 3.0)
        v[dep] = v[cap] + 2
        _recompute_rates(v, specs)
        planted.append(_problem("示例三区", 2021, dep, "at_most", f"{dep} 比 {cap} 多 2 / {dep} above {cap}"))
    totals = sorted((i for i in order if specs[i].parts), key=lambda i: len(specs[i].parts) < 2)
    if totals:  # a total with two or more parts, so every part stays ≤ the total while their sum exceeds it
        t = totals[0]
        first, others = specs[t].parts[0], specs[t].parts[1:]
        v = values[("示例四区", 2022)]
        v[t] = max(v[t], 10.0)
        if others and sum(v[p] for p in others) < 3:
            v[others[0]] = 3.0
        v[first] = v[t] - sum(v[p] for p in others) + 3
        _recompute_rates(v, specs)
        planted.append(_problem("示例四区", 2022, t, "parts_vs_total", f"{t} 的分项之和比合计多 3 / parts above total"))
    rates = [i for i in order if specs[i].kind == "rate" and not specs[i].num]
    if rates:
        values[("示例五区", 2020)][rates[0]] = 105.0
        planted.append(_problem("示例五区", 2020, rates[0], "rate_out_of_range", "比率填为 105% / rate above 100 %"))
    related = _related(specs)
    counts = [i for i in order if specs[i].kind == "count" and i not in related]
    if counts:
        values[("示例二区", 2019)][counts[0]] = TEXT_PROBLEM
        planted.append(_problem("示例二区", 2019, counts[0], "text_in_number_cell", f"数字格填了“{TEXT_PROBLEM}”"))
    big = [i for i in counts if specs[i].base >= 100]
    if big:
        v = values[("示例六区", 2023)]
        v[big[0]] = v[big[0]] * 10
        planted.append(
            _problem(
                "示例六区", 2023, big[0], "yoy_jump", "同比跳升约 10 倍（导入不报错，由数据质量审查发现）/ ×10 jump"
            )
        )
    planted.append(
        _problem("示例六区", 2020, None, "duplicate_row", "同一单位年度的行重复出现一次（内容相同）/ row repeated")
    )
    return planted


def _problem(unit: str, year: int, iid: str | None, rule: str, description: str) -> dict:
    return {"unit_name": unit, "year": year, "indicator_id": iid, "rule": rule, "description": description}


def _build(indicators: pd.DataFrame | None) -> tuple[pd.DataFrame, list[dict]]:
    ind = sample_indicators(indicators)
    specs = _specs(ind)
    order = generation_order(specs)
    related = _related(specs)
    headers = {iid: indicator_header(e) for iid, e in ind.iterrows()}
    rng = np.random.default_rng(SAMPLE_SEED)
    all_units = sample_units()
    id_to_name = dict(zip(all_units["unit_id"], all_units["name"], strict=True))
    units = all_units[all_units["level"] != "city"].reset_index(drop=True)
    factor = {}
    for rec in units.itertuples():
        if rec.level == "district":
            factor[rec.unit_id] = float(np.exp(rng.normal(0.0, 0.35)))
        else:
            lo, hi = SUB_UNIT_SCALE[rec.level]
            factor[rec.unit_id] = factor[rec.parent] * float(rng.uniform(lo, hi))
    growth = {iid: float(rng.normal(0.04, 0.05)) for iid in ind.index}
    values: dict[tuple[str, int], dict] = {}
    for rec in units.itertuples():
        for year in YEARS:
            noise = np.exp(rng.normal(0.0, 0.12, size=len(ind)))
            scale = {
                iid: factor[rec.unit_id] * (1 + growth[iid]) ** (year - BASE_YEAR) * float(n)
                for iid, n in zip(ind.index, noise, strict=True)
            }
            values[(rec.name, year)] = _unit_values(specs, order, scale, rng)
    planted = _plant(values, specs, order)
    protected = {(p["unit_name"], p["year"]) for p in planted}
    rate_ids = set(ind.index[ind["measure"].astype(str) == "%"])
    rows = []
    for rec in units.itertuples():
        for year in YEARS:
            vals = values[(rec.name, year)]
            row = {
                COL_UNIT: rec.name,
                COL_PARENT: "" if rec.level == "district" else id_to_name[rec.parent],
                COL_TYPE: LEVEL_TO_TYPE[rec.level],
                COL_YEAR: year,
            }
            for iid in ind.index:
                keep_exact = (rec.name, year) in protected or iid in related
                row[headers[iid]] = _render(vals[iid], iid, rec.level, keep_exact, rng, iid in rate_ids)
            row[COL_SOURCE] = SAMPLE_NOTE
            row[COL_NATURE] = SYNTHETIC_MARK
            rows.append(row)
            if (rec.name, year) == ("示例六区", 2020):
                rows.append(dict(row))
    return pd.DataFrame(rows), planted


def _render(
    v: object, iid: str, level: str, keep_exact: bool, rng: np.random.Generator, is_rate: bool = False
) -> object:
    """The cell as an analyst would type it. Draws the same random numbers whatever the branch, for stability."""
    u_missing, u_approx, u_zero = rng.random(3)
    if isinstance(v, str):
        return v
    if not _applies(iid, level):
        return "不适用"
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "不适用"
    if not keep_exact and u_missing < P_MISSING:
        return None
    if v == 0 and u_zero < P_ZERO_WORDS:
        return "无" if u_zero < P_ZERO_WORDS * 0.8 else "零"
    if not keep_exact and v >= 30 and u_approx < P_APPROX:
        return _approx_text(float(v), rng, is_rate)
    return _number(float(v))


def generate_sample_panel(indicators: pd.DataFrame | None = None) -> pd.DataFrame:
    """The 示例市 panel in the dataset format (wide, Chinese headers), 数据性质 = 示例数据（模拟） on every row."""
    return _build(indicators)[0]


def planted_problems(indicators: pd.DataFrame | None = None) -> pd.DataFrame:
    """The deliberate quality problems in the panel: unit_name, year, indicator_id, rule, description."""
    return pd.DataFrame(_build(indicators)[1], columns=["unit_name", "year", "indicator_id", "rule", "description"])


def sample_facts(indicators: pd.DataFrame | None = None) -> DatasetResult:
    """The panel through the dataset import (same validation as real files); every fact is synthetic."""
    ind = _load(indicators)
    table = table_from_frame(generate_sample_panel(ind), SAMPLE_SOURCE)
    return validate_table(table, ind, units=sample_units(), synthetic=True)


def write_sample(path: str | Path, fmt: str | None = None, indicators: pd.DataFrame | None = None) -> Path:
    """Write the panel as .xlsx (sheet 数据 + 说明) or CSV (UTF-8 with BOM, byte-identical across runs)."""
    target = Path(path)
    fmt = fmt or target.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv"):
        raise ValueError(f"{target}：fmt 只能是 'xlsx' 或 'csv'，不能是 {fmt!r}")
    panel, planted = _build(indicators)
    panel = neutralise_frame(panel)
    with atomic_path(target) as tmp:
        if fmt == "csv":
            panel.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n")
        else:
            _write_xlsx(tmp, panel, planted)
    return target


def _write_xlsx(tmp: Path, panel: pd.DataFrame, planted: list[dict]) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    ws.append(list(panel.columns))
    for c in ws[1]:
        c.font = Font(bold=True)
    for rec in panel.itertuples(index=False, name=None):
        ws.append([None if (isinstance(v, float) and np.isnan(v)) else v for v in rec])
    ws.freeze_panes = "E2"
    notes = wb.create_sheet(NOTES_SHEET)
    notes.append([f"{SAMPLE_CITY}为虚构城市，本表全部为{SYNTHETIC_MARK}，不代表任何真实地区。"])
    notes.append(["This is a fictional city; every figure is synthetic."])
    notes.append([])
    notes.append(["故意设置的数据问题 / planted problems", "单位", "年份", "指标", "说明"])
    for p in planted:
        notes.append([p["rule"], p["unit_name"], p["year"], p["indicator_id"] or "", p["description"]])
    neutralise_workbook(wb)
    wb.save(tmp)
