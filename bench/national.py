"""Synthetic national-scale observations for the scoring benchmark only (never used as data).

2,844 county-level units (~60 parent cities) × 10 years × every registry indicator, deterministic (fixed seed), all
rows marked is_synthetic. When the indicator registry has fewer than 100 entries, ~100 synthetic indicator entries
are generated instead (validated by analysis.registry.validate_indicators) and the caller is told which was used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.registry import FRAMEWORK_ITEMS, load_indicators, validate_indicators
from analysis.registry.schema import OBSERVATION_COLUMNS

N_UNITS = 2844
N_CITIES = 60
YEARS = tuple(range(2015, 2025))
SEED = 20261128
MIN_REGISTRY = 100

_COUNT_UNITS = ("件", "项", "次", "场", "人", "人次", "家", "个")
_LAMBDA = {"件": 40, "项": 15, "次": 15, "场": 8, "人": 80, "人次": 800, "家": 15, "个": 15}
_AREAS = ("p1_effectiveness", "p2_normative_docs", "p3_enforcement")


def synthetic_indicators(n: int = 100) -> pd.DataFrame:
    """~n validated registry entries: 12 (denominator, numerator, rate) triples, stated-only rates, counts, context."""
    entries: list[dict] = []

    def add(**e: object) -> None:
        k = len(entries)
        e.setdefault("framework_item", FRAMEWORK_ITEMS[k % len(FRAMEWORK_ITEMS)])
        e.setdefault("keywords", [str(e["name_zh"])])
        e.setdefault("name_en", str(e["id"]))
        entries.append(e)

    for t in range(12):
        area = _AREAS[t % 3]
        add(id=f"syn_den_{t}", name_zh=f"合成分母{t}", measure="件", area=area, direction="neutral", kind="count")
        add(
            id=f"syn_num_{t}",
            name_zh=f"合成分子{t}",
            measure="件",
            area=area,
            direction="neutral",
            kind="count",
            at_most=f"syn_den_{t}",
        )
        direction = "lower_better" if t % 4 == 3 else "higher_better"
        add(
            id=f"syn_rate_{t}",
            name_zh=f"合成比率{t}",
            measure="%",
            area=area,
            direction=direction,
            kind="rate",
            numerator=f"syn_num_{t}",
            denominator=f"syn_den_{t}",
        )
    for t in range(10):
        add(
            id=f"syn_stated_{t}",
            name_zh=f"合成满意率{t}",
            measure="%",
            area=_AREAS[t % 3],
            direction="higher_better",
            kind="rate",
        )
    k = 0
    while len(entries) < n - 8:
        unit = _COUNT_UNITS[k % len(_COUNT_UNITS)]
        direction = ("higher_better", "higher_better", "lower_better", "neutral")[k % 4]
        add(
            id=f"syn_count_{k}",
            name_zh=f"合成计数{k}",
            measure=unit,
            area=_AREAS[k % 3],
            direction=direction,
            kind="count",
        )
        k += 1
    for t in range(n - len(entries)):
        add(id=f"syn_ctx_{t}", name_zh=f"合成背景{t}", measure="人", area="context", direction="neutral", kind="count")
    return validate_indicators(entries)


def choose_indicators() -> tuple[pd.DataFrame, str]:
    """The registry when it has ≥ 100 entries, else synthetic entries; returns (indicators, description)."""
    reg = load_indicators()
    if len(reg) >= MIN_REGISTRY:
        return reg, f"registry ({len(reg)} indicators)"
    syn = synthetic_indicators()
    return syn, f"synthetic indicators ({len(syn)}; registry has only {len(reg)} < {MIN_REGISTRY})"


def national_observations(indicators: pd.DataFrame, seed: int = SEED, n_units: int = N_UNITS) -> pd.DataFrame:
    """The tidy observation table for every unit × year × indicator (≈5 % not reported, ≈3 % approximate)."""
    rng = np.random.default_rng(seed)
    n_y, n_i = len(YEARS), len(indicators)
    n_cells = n_units * n_y
    unit_idx = np.repeat(np.arange(n_units), n_y)
    year = np.tile(np.array(YEARS, dtype=np.int64), n_units)
    size = rng.lognormal(0.0, 0.5, n_units)[unit_idx]  # unit scale, stable over years
    ids = list(indicators.index)
    kind = indicators["kind"] if "kind" in indicators.columns else pd.Series(None, index=indicators.index)
    vals: dict[str, np.ndarray] = {}
    for iid in ids:
        unit = indicators.at[iid, "measure"]
        if unit == "%" or kind.get(iid) == "rate":
            vals[iid] = np.round(np.clip(rng.normal(90, 8, n_cells), 0, 100), 1)
        else:
            vals[iid] = rng.poisson(_LAMBDA.get(unit, 20) * size).astype(float)
    for iid in ids:
        num, den = indicators.get("numerator", {}).get(iid), indicators.get("denominator", {}).get(iid)
        if isinstance(num, str) and isinstance(den, str):
            p = rng.beta(8, 2, n_units)[unit_idx]
            vals[num] = rng.binomial(vals[den].astype(np.int64), p).astype(float)
            vals[iid] = np.where(
                rng.random(n_cells) < 0.3, np.round(100 * vals[num] / np.maximum(vals[den], 1), 1), np.nan
            )
    value = np.concatenate([vals[i] for i in ids])
    missing = rng.random(value.size) < 0.05
    value[missing] = np.nan
    approx = (rng.random(value.size) < 0.03) & ~np.isnan(value)
    state = np.where(np.isnan(value), "not_reported", np.where(approx, "approx", "exact"))
    unit_ids = np.array([f"syn-{u:04d}" for u in range(n_units)], dtype=object)
    city_of = np.arange(n_units) % N_CITIES
    city_ids = np.array([f"syn-city-{c:02d}" for c in range(N_CITIES)], dtype=object)
    all_unit = np.tile(unit_idx, n_i)
    ind_col = np.repeat(np.array(ids, dtype=object), n_cells)
    units_col = np.repeat(indicators["measure"].to_numpy(dtype=object), n_cells)
    df = pd.DataFrame(
        {
            "unit_id": unit_ids[all_unit],
            "unit_name": np.array([f"合成{u}区" for u in range(n_units)], dtype=object)[all_unit],
            "unit_level": "district",
            "parent_unit_id": city_ids[city_of][all_unit],
            "city": city_ids[city_of][all_unit],
            "province": "合成省",
            "is_synthetic": True,
            "year": np.tile(year, n_i),
            "indicator_id": ind_col,
            "value": value,
            "measure": units_col,
            "value_state": state,
            "approx": approx,
            "scope": "year",
            "source_kind": "sample",
            "source_file": "",
            "locator": "",
            "evidence": "",
            "fact_id": "",
            "precedence_rank": 1,
        }
    )
    # As a national table is stored (parquet, dictionary-encoded) and read back: repeated labels are categoricals.
    for col in (
        "unit_id",
        "unit_name",
        "unit_level",
        "parent_unit_id",
        "city",
        "province",
        "indicator_id",
        "measure",
        "value_state",
        "scope",
        "source_kind",
        "source_file",
        "locator",
        "evidence",
        "fact_id",
    ):
        df[col] = df[col].astype("category")
    return df[OBSERVATION_COLUMNS]


if __name__ == "__main__":
    inds, which = choose_indicators()
    obs = national_observations(inds)
    print(f"{len(obs):,} rows, {obs['unit_id'].nunique()} units, {which}")
