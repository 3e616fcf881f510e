"""Normalisation to fixed anchors and the P1/P2/P3 area scores (0–100) with coverage.

norm = clip((value − floor) / (goal − floor), 0, 1) with (floor, goal) fixed in advance by the registry target or
config/scoring.yaml — never this run's min and max, so adding or removing a unit never moves another unit's norm.
Lower-better indicators have floor > goal. An area score is the weighted mean of the normalised indicators the unit
has (× 100); a missing indicator drops out (it is not a 0) and lowers coverage = n_used / n_total; below the minimum
coverage the score is NA with a reason. The overall score is the weighted mean of the three area scores.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.metrics.config import SCORED_AREAS
from analysis.metrics.panel import as_category, frame, labels_to_category

NORMALIZED_COLUMNS = [
    "unit_id",
    "year",
    "indicator_id",
    "value",
    "target_or_anchor",
    "floor",
    "norm",
    "approx",
    "anchor_source",
]
AREA_SCORE_COLUMNS = [
    "unit_id",
    "year",
    "area",
    "score",
    "n_used",
    "n_total",
    "coverage",
    "approx_any",
    "weights_source",
    "reason",
]
# explanatory columns after the contract: core outcomes reported / in the set, and the missing ones (ids, ';'-joined)
AREA_SCORE_EXTRA = ["n_core", "n_core_total", "missing_core"]
OVERALL = "overall"


def normalize(value: np.ndarray, floor: np.ndarray, goal: np.ndarray) -> np.ndarray:
    """Fixed-anchor normalisation to 0–1 (broadcasting over the last axis); NaN where value or anchors are NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        n = (np.asarray(value, dtype=float) - floor) / (goal - floor)
    return np.clip(n, 0.0, 1.0)


def normalized_table(
    unit_ids: np.ndarray,
    years: np.ndarray,
    indicator_ids: np.ndarray,
    norm: np.ndarray,
    value: np.ndarray,
    approx: np.ndarray,
    meta: pd.DataFrame,
) -> pd.DataFrame:
    """Long table of every scored indicator value with its fixed anchors (goal = target_or_anchor, floor), the
    norm and where the anchors come from (anchor_source)."""
    scored = meta["scored"].to_numpy(dtype=bool)
    flat = np.flatnonzero(~np.isnan(norm) & scored)
    u, y, i = np.unravel_index(flat, norm.shape)
    return frame(
        {
            "unit_id": as_category(u, unit_ids),
            "year": years[y],
            "indicator_id": as_category(i, indicator_ids),
            "value": value.ravel()[flat],
            "target_or_anchor": meta["goal"].to_numpy(dtype=float)[i],
            "floor": meta["floor"].to_numpy(dtype=float)[i],
            "norm": norm.ravel()[flat],
            "approx": approx.ravel()[flat],
            "anchor_source": labels_to_category(meta["anchor_source"].to_numpy(dtype=object))[i],
        }
    )


def area_score_arrays(
    norm: np.ndarray,
    approx: np.ndarray,
    meta: pd.DataFrame,
    min_coverage: float,
    activity_share: float = 0.0,
    min_core: dict | None = None,
) -> dict:
    """Per area: score (U, Y) 0–100, n_used, n_total, coverage, approx_any, n_core / n_core_total (core outcomes with
    a value), reason code (0 ok, 1 none scored, 2 no value, 3 coverage below minimum, 4 too few core outcomes,
    5 no outcome value).

    With roles in the registry (meta.role_led) the score is outcome-led: (1 − activity_share) × outcome mean +
    activity_share × activity mean, the outcome mean alone when no activity has a value, NA without an outcome value;
    it is shown only when at least ``min_core[area]`` core outcomes have a value (the coverage gate)."""
    present = ~np.isnan(norm)
    filled = np.where(present, norm, 0.0)
    pres_f = present.astype(float)
    apx_f = (approx & present).astype(float)
    role_led = bool(meta["role_led"].any()) if "role_led" in meta.columns else False
    role = meta["role"].to_numpy(dtype=object) if "role" in meta.columns else np.full(len(meta), "outcome", object)
    core = meta["core"].to_numpy(dtype=bool) if "core" in meta.columns else np.zeros(len(meta), bool)
    out = {}
    for area in SCORED_AREAS:
        in_area = meta["area"].to_numpy() == area
        m = in_area & meta["scored"].to_numpy(dtype=bool)
        w = np.where(m, meta["weight"].to_numpy(dtype=float), 0.0)
        n_total = int(m.sum())
        n_used = pres_f @ m.astype(float)
        mc = in_area & core & m
        if role_led and not mc.any():  # no core set for this registry: every scored outcome is core
            mc = m & (role == "outcome")
        n_core_total = int(mc.sum())
        n_core = pres_f @ mc.astype(float)
        score, has_o = _weighted_score(filled, pres_f, w, role, role_led, activity_share)
        coverage = _coverage(n_used, n_total)
        need = min(int((min_core or {}).get(area, 1)), n_core_total)
        reason = _reason_codes(n_used, n_total, coverage, min_coverage, role_led, has_o, n_core, need)
        out[area] = {
            "score": np.where(reason == 0, score, np.nan),
            "n_used": n_used.astype(np.int64),
            "n_total": n_total,
            "coverage": coverage,
            "approx_any": (apx_f @ m.astype(float)) > 0,
            "n_core": n_core.astype(np.int64),
            "n_core_total": n_core_total,
            "core_mask": mc,
        }
        out[area]["reason"] = reason
    return out


def _weighted_score(
    filled: np.ndarray, pres_f: np.ndarray, w: np.ndarray, role: np.ndarray, role_led: bool, activity_share: float
) -> tuple[np.ndarray, np.ndarray]:
    """The 0–100 score (outcome-led with roles, else the weighted mean) and whether an outcome has a value."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if role_led:
            wo = np.where(role == "outcome", w, 0.0)
            wa = np.where(role == "activity", w, 0.0)
            so = (filled @ wo) / (pres_f @ wo)
            sa = (filled @ wa) / (pres_f @ wa)
            has_a = (pres_f @ wa) > 0
            score = 100.0 * np.where(has_a, (1 - activity_share) * so + activity_share * sa, so)
            has_o = (pres_f @ wo) > 0
        else:
            score = 100.0 * (filled @ w) / (pres_f @ w)
            has_o = np.ones(filled.shape[:-1], dtype=bool)
    return score, has_o


def _coverage(n_used: np.ndarray, n_total: int) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return n_used / n_total if n_total else np.full(n_used.shape, np.nan)


def _reason_codes(
    n_used: np.ndarray,
    n_total: int,
    coverage: np.ndarray,
    min_coverage: float,
    role_led: bool,
    has_o: np.ndarray,
    n_core: np.ndarray,
    need: int,
) -> np.ndarray:
    """Why a score is withheld (codes as in :func:`area_score_arrays`; later rules take precedence)."""
    reason = np.zeros(n_used.shape, dtype=np.int8)
    if n_total == 0:
        reason[:] = 1
    else:
        reason[coverage < min_coverage] = 3
        if role_led:
            reason[~has_o] = 5
            reason[n_core < need] = 4
        reason[n_used == 0] = 2
    return reason


_REASONS = {
    1: "本领域无可计分指标 (no scored indicator in this area)",
    2: "无指标数值 (no indicator value)",
    3: "覆盖率低于{min:.0%} (coverage below minimum)",
    4: "数据不足：核心结果指标报告不足 (too few core outcomes reported)",
    5: "数据不足：无结果指标数值 (no outcome value)",
}


def overall_arrays(per_area: dict, area_weights: dict, min_areas: int) -> dict:
    """Weighted mean of the available area scores; NA unless at least ``min_areas`` area scores exist."""
    scores = np.stack([per_area[a]["score"] for a in SCORED_AREAS], axis=-1)
    w = np.array([area_weights[a] for a in SCORED_AREAS], dtype=float)
    return overall_from_scores(scores, w, min_areas) | {
        "approx_any": np.any(np.stack([per_area[a]["approx_any"] for a in SCORED_AREAS], -1) & ~np.isnan(scores), -1)
    }


def overall_from_scores(scores: np.ndarray, weights: np.ndarray, min_areas: int) -> dict:
    """scores (..., 3) with NaN for missing areas; weights (3,) or (K, 3) broadcast as (..., K, 3) when 2-D."""
    present = ~np.isnan(scores)
    n_used = present.sum(-1)
    filled = np.where(present, scores, 0.0)
    pres_f = present.astype(float)
    if weights.ndim == 1:
        num, den = filled @ weights, pres_f @ weights
    else:
        num, den = filled @ weights.T, pres_f @ weights.T
        n_used = n_used[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        score = num / den
    ok = (n_used >= min_areas) & (den > 0)
    n_total = int((np.atleast_2d(weights) > 0).any(0).sum())
    return {"score": np.where(ok, score, np.nan), "n_used": n_used, "n_total": n_total, "ok": ok}


def area_scores_table(
    unit_ids: np.ndarray,
    years: np.ndarray,
    has_unit_year: np.ndarray,
    per_area: dict,
    overall: dict,
    meta: pd.DataFrame,
    config: dict,
    norm_values: np.ndarray | None = None,
) -> pd.DataFrame:
    """Long table: one row per (unit, year, area) for every unit-year present, areas then 'overall'.
    ``norm_values`` (the normalised cube) names the missing core outcomes per row."""
    u, y = np.nonzero(has_unit_year)
    frames = [
        _area_frame(area, per_area[area], unit_ids, years, u, y, meta, config, norm_values) for area in SCORED_AREAS
    ]
    frames.append(_overall_frame(per_area, overall, unit_ids, years, u, y, config))
    df = pd.concat(frames, ignore_index=True)
    return df[AREA_SCORE_COLUMNS + AREA_SCORE_EXTRA]


def _area_frame(
    area: str,
    a: dict,
    unit_ids: np.ndarray,
    years: np.ndarray,
    u: np.ndarray,
    y: np.ndarray,
    meta: pd.DataFrame,
    config: dict,
    norm_values: np.ndarray | None,
) -> pd.DataFrame:
    """One area's rows: score, coverage, reason text and the missing core outcomes."""
    min_cov = config["coverage"]["min_area_coverage"]
    iw = config["indicator_weights"]
    reason_code = a["reason"][u, y]
    reason = np.full(len(u), "", dtype=object)
    for code, text in _REASONS.items():
        reason[reason_code == code] = text.format(min=min_cov)
    area_ids = meta.index[(meta["area"] == area) & meta["scored"]]
    custom = any(i in iw and iw[i] != 1.0 for i in area_ids)
    missing = np.full(len(u), "", dtype=object)
    for k in np.flatnonzero(a["core_mask"]):
        gone = np.isnan(norm_values[u, y, k]) if norm_values is not None else np.zeros(len(u), bool)
        missing = np.where(gone, np.where(missing == "", meta.index[k], missing + ";" + meta.index[k]), missing)
    return pd.DataFrame(
        {
            "unit_id": unit_ids[u],
            "year": years[y],
            "area": area,
            "score": a["score"][u, y],
            "n_used": a["n_used"][u, y],
            "n_total": a["n_total"],
            "coverage": a["coverage"][u, y] if np.ndim(a["coverage"]) else np.nan,
            "approx_any": a["approx_any"][u, y],
            "weights_source": "config" if custom else "equal",
            "reason": reason,
            "n_core": a["n_core"][u, y],
            "n_core_total": a["n_core_total"],
            "missing_core": missing,
        }
    )


def _overall_frame(
    per_area: dict, overall: dict, unit_ids: np.ndarray, years: np.ndarray, u: np.ndarray, y: np.ndarray, config: dict
) -> pd.DataFrame:
    """The 'overall' rows: the weighted mean of the area scores."""
    aw = config["area_weights"]
    min_areas = config["coverage"]["min_areas_overall"]
    ov_score = overall["score"][u, y]
    ov_used = overall["n_used"][u, y]
    return pd.DataFrame(
        {
            "unit_id": unit_ids[u],
            "year": years[y],
            "area": OVERALL,
            "score": ov_score,
            "n_used": ov_used,
            "n_total": overall["n_total"],
            "coverage": ov_used / max(overall["n_total"], 1),
            "approx_any": overall["approx_any"][u, y],
            "weights_source": "equal" if len(set(aw.values())) == 1 else "config",
            "reason": np.where(
                np.isnan(ov_score), f"领域得分少于{min_areas}个 (fewer than {min_areas} area scores)", ""
            ).astype(object),
            "n_core": sum(per_area[ar]["n_core"][u, y] for ar in SCORED_AREAS),
            "n_core_total": sum(per_area[ar]["n_core_total"] for ar in SCORED_AREAS),
            "missing_core": "",
        }
    )
