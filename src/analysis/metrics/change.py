"""Year-over-year change with a neutral band, judged better/worse by the registry direction.

The previous year is always year − 1: a gap (the unit did not report last year, or not this year) gives mark 'na',
never a zero change. A change inside the neutral band (rates: |Δ| < rate_pp percentage points; counts and money:
|Δ| / |previous| < count_rel_pct %) is 'flat' — drawn as "no real change" — and judged 'neutral'.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.metrics.panel import as_category, frame
from analysis.registry.schema import SCORED_AREAS

CHANGE_COLUMNS = [
    "unit_id",
    "year",
    "indicator_id",
    "prev_year",
    "prev_value",
    "value",
    "delta",
    "delta_pct",
    "mark",
    "within_neutral_band",
    "better",
    "approx",
]


MARKS = ("up", "down", "flat", "na")
BETTER = ("better", "worse", "neutral", "na")


def classify_change(
    prev: np.ndarray,
    cur: np.ndarray,
    is_rate: np.ndarray,
    direction: np.ndarray,
    rate_pp: float,
    count_rel_pct: float,
) -> dict[str, np.ndarray]:
    """Element-wise change: delta, delta_pct (NaN when prev is 0), within_neutral_band, and integer codes
    ``mark_code`` into MARKS and ``better_code`` into BETTER. ``is_rate``/``direction`` broadcast against prev/cur."""
    prev = np.asarray(prev, dtype=float)
    cur = np.asarray(cur, dtype=float)
    delta = cur - prev  # NaN when either year is missing
    known = ~np.isnan(delta)
    abs_delta = np.abs(delta)
    delta_pct = np.full(delta.shape, np.nan)
    np.divide(100.0 * delta, np.abs(prev), out=delta_pct, where=prev != 0)
    with np.errstate(invalid="ignore"):
        rel_small = np.where(prev != 0, np.abs(delta_pct) < count_rel_pct, abs_delta == 0)
        within = np.where(is_rate, abs_delta < rate_pp, rel_small) & known
        mark = np.where(known, np.where(within, 2, np.where(delta > 0, 0, 1)), 3).astype(np.int8)
    dir_code = np.select(
        [np.asarray(direction) == "higher_better", np.asarray(direction) == "lower_better"], [0, 1], 2
    ).astype(np.int8)
    better = _BETTER_LUT[mark, np.broadcast_to(dir_code, mark.shape)]
    return {
        "delta": delta,
        "delta_pct": delta_pct,
        "mark_code": mark,
        "within_neutral_band": within,
        "better_code": better,
    }


# better code by (mark code, direction code: higher_better, lower_better, neutral)
_BETTER_LUT = np.array(
    [
        [0, 1, 2],  # up
        [1, 0, 2],  # down
        [2, 2, 2],  # flat: no real change
        [3, 3, 3],  # na
    ],
    dtype=np.int8,
)


def compute_changes(
    unit_ids: np.ndarray,
    years: np.ndarray,
    indicator_ids: np.ndarray,
    value: np.ndarray,
    approx: np.ndarray,
    row: np.ndarray,
    meta: pd.DataFrame,
    config: dict,
) -> pd.DataFrame:
    """One row per (unit, year, indicator) the tidy table has, comparing with year − 1 of the same unit."""
    n_u, n_y, n_i = value.shape
    prev = np.full_like(value, np.nan)
    prev_a = np.zeros_like(approx)
    if n_y > 1:
        prev[:, 1:, :] = value[:, :-1, :]
        prev_a[:, 1:, :] = approx[:, :-1, :]
    band = config["neutral_band"]
    is_rate = meta["is_rate"].to_numpy(dtype=bool)
    direction = meta["direction"].to_numpy(dtype=object)
    ch = classify_change(prev, value, is_rate, direction, band["rate_pp"], band["count_rel_pct"])
    mask = row | ~np.isnan(value)
    if mask.all():  # dense panel (every cell has a row): take views instead of gathering copies
        flat: slice | np.ndarray = slice(None)
        u = np.repeat(np.arange(n_u), n_y * n_i)
        y = np.tile(np.repeat(np.arange(n_y), n_i), n_u)
        i = np.tile(np.arange(n_i), n_u * n_y)
    else:
        flat = np.flatnonzero(mask)
        u, y, i = np.unravel_index(flat, value.shape)
    del mask
    p, c = prev.ravel()[flat], value.ravel()[flat]
    mark = ch["mark_code"].ravel()[flat]
    known = mark != 3
    return frame(
        {
            "unit_id": as_category(u, unit_ids),
            "year": years[y],
            "indicator_id": as_category(i, indicator_ids),
            "prev_year": years[y] - 1,
            "prev_value": p,
            "value": c,
            "delta": ch["delta"].ravel()[flat],
            "delta_pct": ch["delta_pct"].ravel()[flat],
            "mark": as_category(mark, MARKS),
            "within_neutral_band": ch["within_neutral_band"].ravel()[flat],
            "better": as_category(ch["better_code"].ravel()[flat], BETTER),
            "approx": (approx.ravel()[flat] & ~np.isnan(c)) | (prev_a.ravel()[flat] & known),
        }
    )


# ---------------------------------------------------------------- area headlines (issue 9)

HEADLINE_COLUMNS = ["prev_score", "score_delta", "score_mark", "headline_mark", "worsened"]


def worsened_outcomes(changes: pd.DataFrame, rates: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """Outcome indicators that got worse for real: (unit_id, year, area, indicator_id) rows.

    Worse means judged 'worse' beyond the neutral band; for a rate computed from counts in both years it must also
    be outside sampling noise: last year's value lies outside this year's Wilson 95 % interval, or this year's value
    outside last year's (100 % (7/7) → 88.9 % (8/9): the interval of 8/9 is 56.5–98.0 %, so 100 % is outside it).
    """
    if "role" not in meta.columns or not len(changes):
        return pd.DataFrame(columns=["unit_id", "year", "area", "indicator_id"])
    outcome_ids = meta.index[(meta["role"] == "outcome") & meta["area"].isin(SCORED_AREAS)]
    ch = changes[(changes["better"] == "worse") & changes["indicator_id"].isin(outcome_ids)]
    ch = ch[["unit_id", "year", "indicator_id", "prev_value", "value"]].astype({"unit_id": str, "indicator_id": str})
    if ch.empty:
        return pd.DataFrame(columns=["unit_id", "year", "area", "indicator_id"])
    r = rates[["unit_id", "year", "indicator_id", "ci_low", "ci_high"]].astype({"unit_id": str, "indicator_id": str})
    r = r[r["indicator_id"].isin(set(ch["indicator_id"]))]
    cur = ch.merge(r, on=["unit_id", "year", "indicator_id"], how="left")
    prev = r.assign(year=r["year"] + 1).rename(columns={"ci_low": "p_low", "ci_high": "p_high"})
    cur = cur.merge(prev, on=["unit_id", "year", "indicator_id"], how="left")
    both = cur[["ci_low", "ci_high", "p_low", "p_high"]].notna().all(axis=1)
    outside = (
        (cur["prev_value"] < cur["ci_low"])  # rates and their intervals are both in percent
        | (cur["prev_value"] > cur["ci_high"])
        | (cur["value"] < cur["p_low"])
        | (cur["value"] > cur["p_high"])
    )
    keep = cur[~both | outside]
    return keep.assign(area=keep["indicator_id"].map(meta["area"]))[["unit_id", "year", "area", "indicator_id"]]


def add_headlines(
    area_scores: pd.DataFrame, changes: pd.DataFrame, rates: pd.DataFrame, meta: pd.DataFrame, band: float
) -> pd.DataFrame:
    """Area scores with their change against year − 1 and the headline mark.

    score_mark: up/down/flat (|Δ| < band score points)/na. headline_mark is score_mark, except that it is 'down'
    whenever an outcome indicator of the area got worse for real (``worsened``, ids ';'-joined): a ▲ or a green
    mark never stands over a worsened outcome. The overall row is 'down' when any area has a worsened outcome."""
    sc = area_scores
    key = sc[["unit_id", "year", "area"]].astype({"unit_id": str, "area": str})
    prev = key.assign(year=key["year"] + 1, prev_score=sc["score"].to_numpy())
    merged = key.merge(prev, on=["unit_id", "year", "area"], how="left")
    prev_score = merged["prev_score"].to_numpy(dtype=float)
    delta = sc["score"].to_numpy(dtype=float) - prev_score
    known = ~np.isnan(delta)
    mark = np.where(known, np.where(np.abs(delta) < band, "flat", np.where(delta > 0, "up", "down")), "na")
    w = worsened_outcomes(changes, rates, meta)
    by_area = w.groupby(["unit_id", "year", "area"])["indicator_id"].agg(";".join)
    by_unit = w.groupby(["unit_id", "year"])["indicator_id"].agg(";".join)
    idx = pd.MultiIndex.from_frame(key)
    worse = np.array(by_area.reindex(idx).to_numpy(dtype=object), dtype=object)
    is_overall = key["area"].to_numpy() == "overall"
    if is_overall.any():
        ov = pd.MultiIndex.from_frame(key.loc[is_overall, ["unit_id", "year"]])
        worse[is_overall] = by_unit.reindex(ov).to_numpy(dtype=object)
    worse = np.where(pd.isna(worse), "", worse).astype(object)
    headline = np.where(worse != "", "down", mark)
    out = sc.copy()
    out["prev_score"] = prev_score
    out["score_delta"] = delta
    out["score_mark"] = mark
    out["headline_mark"] = headline
    out["worsened"] = worse
    return out
