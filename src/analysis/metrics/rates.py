"""Rates as numerator ÷ denominator with Wilson 95 % intervals, vectorised over the whole panel.

A rate indicator (registry kind ``rate`` / unit %) with ``numerator`` and ``denominator`` is computed from the two
counts of the same unit-year ("100.0% (7/7)", interval 64.6–100). When both counts exist the computed value rules
(a zero denominator gives NA, never 0 or inf; a numerator above its denominator gives NA with a note). When the
counts are incomplete, a percentage stated in the source is kept with source ``reported`` and no interval. The
approximate flag of any input (余/多/约 …) travels to the rate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.metrics.panel import Panel, as_category, frame, labels_to_category

Z95 = 1.959963984540054  # two-sided 95 % normal quantile

RATE_COLUMNS = [
    "unit_id",
    "year",
    "indicator_id",
    "numerator_id",
    "denominator_id",
    "numerator",
    "denominator",
    "rate",
    "ci_low",
    "ci_high",
    "approx",
    "source",
    "label",
    "reported_rate",
    "note",
]


def wilson_interval(k: np.ndarray | float, n: np.ndarray | float, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for k successes out of n, as fractions in [0, 1]; NaN where n ≤ 0, k < 0 or k > n."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    valid = (n > 0) & (k >= 0) & (k <= n)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        z2n = z * z / n
        denom = 1 + z2n
        centre = (p + z2n / 2) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z2n / (4 * n))
        low = np.clip(centre - half, 0, 1)
        high = np.clip(centre + half, 0, 1)
    low = np.where(k == 0, 0.0, low)  # exact endpoints (no 1e-15 residue)
    high = np.where(k == n, 1.0, high)
    return np.where(valid, low, np.nan), np.where(valid, high, np.nan)


def safe_rate(k: np.ndarray | float, n: np.ndarray | float) -> np.ndarray:
    """100 × k / n, NaN when n is missing or 0 (never 0 or inf) or k is outside 0..n."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = 100.0 * k / n
    return np.where((n > 0) & (k >= 0) & (k <= n), r, np.nan)


def _fmt_count(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"


def rate_labels(
    rate: np.ndarray, num: np.ndarray, den: np.ndarray, approx: np.ndarray, computed: np.ndarray
) -> np.ndarray:
    """'97.5% (230/236)' for computed rates, '97.5%' for reported ones, '≈' in front when approximate, 'NA'.

    Formats each distinct (rate, numerator, denominator, approx, computed) combination once.
    """
    n = len(rate)
    if n == 0:
        return np.array([], dtype=object)
    r10 = np.where(np.isnan(rate), -1, np.round(np.nan_to_num(rate, nan=0.0) * 10)).astype(np.int64) + 1
    k_codes, k_uniq = pd.factorize(np.asarray(num, dtype=float), use_na_sentinel=False)
    d_codes, d_uniq = pd.factorize(np.asarray(den, dtype=float), use_na_sentinel=False)
    nk, nd = len(k_uniq), len(d_uniq)
    shown = np.asarray(computed, dtype=bool)
    key = ((r10 * 2 + np.asarray(approx, dtype=np.int64)) * 2 + shown) * nk * nd
    key = key + np.where(shown, k_codes * nd + d_codes, 0)
    codes, uniq = pd.factorize(key)
    out = []
    for kk in uniq.tolist():
        rest, kd = divmod(kk, nk * nd)
        rest, c = divmod(rest, 2)
        r, a = divmod(rest, 2)
        if r == 0:
            out.append("NA")
            continue
        head = f"{'≈' if a else ''}{(r - 1) / 10:.1f}%"
        k, d = k_uniq[kd // nd], d_uniq[kd % nd]
        out.append(f"{head} ({_fmt_count(k)}/{_fmt_count(d)})" if c and not (np.isnan(k) or np.isnan(d)) else head)
    return np.asarray(out, dtype=object)[codes]


def compute_rates(panel: Panel, meta: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The rates table and the cubes later steps need.

    Returns (rates DataFrame with RATE_COLUMNS, {'rate', 'approx', 'denominator', 'present'} arrays of shape
    (U, Y, R) plus 'indicator_index' (R,) = positions of the rate indicators on the panel's indicator axis).
    """
    pos = {iid: i for i, iid in enumerate(panel.indicator_ids)}
    rate_ids = [i for i in panel.indicator_ids if meta.at[i, "is_rate"]]
    r_idx = np.array([pos[i] for i in rate_ids], dtype=np.int64)
    num_ids = [meta.at[i, "numerator"] if meta.at[i, "numerator"] in pos else None for i in rate_ids]
    den_ids = [meta.at[i, "denominator"] if meta.at[i, "denominator"] in pos else None for i in rate_ids]
    n_u, n_y, _ = panel.shape
    shape = (n_u, n_y, len(rate_ids))

    num, num_a = _gather(panel, pos, num_ids, shape)
    den, den_a = _gather(panel, pos, den_ids, shape)
    reported = panel.value[:, :, r_idx]
    rep_a = panel.approx[:, :, r_idx]
    counts_complete = ~np.isnan(num) & ~np.isnan(den)
    computed = safe_rate(num, den)
    low, high = wilson_interval(num, den)
    rate = np.where(counts_complete, computed, reported)
    has_rep = ~np.isnan(reported)
    approx = np.where(counts_complete, num_a | den_a, rep_a & has_rep)
    ci_low = np.where(counts_complete, 100 * low, np.nan)
    ci_high = np.where(counts_complete, 100 * high, np.nan)
    is_computed = counts_complete | ~has_rep
    rows = ~np.isnan(num) | ~np.isnan(den) | has_rep | panel.row[:, :, r_idx]

    u, y, r = np.nonzero(rows)
    n_, d_ = num[u, y, r], den[u, y, r]
    comp = is_computed[u, y, r]
    note = _rate_notes(n_, d_, comp)
    rate_v = rate[u, y, r]
    apx = approx[u, y, r]
    rid = np.asarray(rate_ids, dtype=object)
    labels = rate_labels(rate_v, n_, d_, apx, comp)
    df = frame(
        {
            "unit_id": as_category(u, panel.unit_ids),
            "year": panel.years[y],
            "indicator_id": as_category(r, rid),
            "numerator_id": labels_to_category(np.asarray(num_ids, dtype=object)[r]),
            "denominator_id": labels_to_category(np.asarray(den_ids, dtype=object)[r]),
            "numerator": n_,
            "denominator": d_,
            "rate": rate_v,
            "ci_low": ci_low[u, y, r],
            "ci_high": ci_high[u, y, r],
            "approx": apx,
            "source": as_category(np.where(comp, 0, 1), ["computed", "reported"]),
            "label": labels_to_category(labels),
            "reported_rate": reported[u, y, r],
            "note": labels_to_category(note),
        }
    )
    cubes = {
        "rate": rate,
        "approx": approx & ~np.isnan(rate),
        "denominator": np.where(counts_complete, den, np.nan),
        "present": rows,
        "indicator_index": r_idx,
    }
    return df, cubes


def _gather(panel: Panel, pos: dict, ids: list, shape: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Values and approx flags of the count indicators ``ids`` (None: no such count) on the rate axis."""
    has = np.array([i is not None for i in ids], dtype=bool)
    src = np.array([pos[i] if i is not None else 0 for i in ids], dtype=np.int64)
    v = np.where(has, panel.value[:, :, src], np.nan) if len(ids) else np.full(shape, np.nan)
    a = np.where(has, panel.approx[:, :, src], False) if len(ids) else np.zeros(shape, bool)
    return v, a


def _rate_notes(n_: np.ndarray, d_: np.ndarray, comp: np.ndarray) -> np.ndarray:
    """Why a rate row is as it is: a missing or impossible count, or a stated rate used instead."""
    note = np.full(len(n_), "", dtype=object)
    note[np.isnan(n_) & ~np.isnan(d_)] = "numerator missing"
    note[~np.isnan(n_) & np.isnan(d_)] = "denominator missing"
    note[np.isnan(n_) & np.isnan(d_) & comp] = "not reported"
    note[d_ == 0] = "denominator 0"
    note[(d_ > 0) & (n_ > d_)] = "numerator > denominator"
    note[(n_ < 0) | (d_ < 0)] = "negative count"
    note[~comp & (note == "")] = "stated rate only"
    note[~comp & (note != "stated rate only")] = note[~comp & (note != "stated rate only")] + "; stated rate used"
    return note


def effective_values(
    panel: Panel, rate_cubes: dict[str, np.ndarray], inplace: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Value, approx and row cubes with rate indicators replaced by their rates (computed, else reported).

    ``inplace=True`` overwrites the panel's own cubes (saves three copies when the caller owns the panel)."""
    r_idx = rate_cubes["indicator_index"]
    if inplace:
        value, approx, row = panel.value, panel.approx, panel.row
    else:
        value, approx, row = panel.value.copy(), panel.approx.copy(), panel.row.copy()
    if len(r_idx):
        value[:, :, r_idx] = rate_cubes["rate"]
        approx[:, :, r_idx] = rate_cubes["approx"]
        row[:, :, r_idx] = rate_cubes["present"]
    return value, approx, row
