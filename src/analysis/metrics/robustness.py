"""Rank robustness: do the overall ranks survive a ±20 % change of any area weight?

Every combination of (1 − p, 1, 1 + p) × base weight on the three areas (3³ = 27 weight sets, p = 0.2 by default)
recomputes the overall scores and the ranks among districts of the same parent and year. A unit is 'stable' when the
spread between its best and worst rank is at most ``robustness.stable_max_rank_range``. Only units whose base rank is
allowed (enough peers, a score) are reported.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from analysis.metrics.compare import NO_PARENT, group_codes, guarded_ranks
from analysis.metrics.config import SCORED_AREAS
from analysis.metrics.scores import overall_from_scores

ROBUSTNESS_COLUMNS = [
    "unit_id",
    "year",
    "peer_group",
    "base_rank",
    "min_rank",
    "max_rank",
    "rank_range",
    "stable",
    "n_peers",
    "n_weight_sets",
]


def weight_grid(base: dict[str, float], perturbation: float) -> np.ndarray:
    """(27, 3) array of area weights: every combination of base × (1 − p, 1, 1 + p), base set first."""
    factors = (1.0, 1.0 - perturbation, 1.0 + perturbation)
    b = np.array([base[a] for a in SCORED_AREAS], dtype=float)
    return np.array([b * np.array(f) for f in itertools.product(factors, repeat=len(SCORED_AREAS))])


def rank_robustness(area_scores: pd.DataFrame, unit_info: pd.DataFrame, config: dict) -> pd.DataFrame:
    """min/max overall rank per district-year across the weight grid."""
    rob, min_peers = config["robustness"], config["ranking"]["min_peers"]
    min_areas = config["coverage"]["min_areas_overall"]
    districts = unit_info.loc[unit_info["unit_level"] == "district", ["unit_id", "parent_unit_id"]]
    sc = area_scores[area_scores["area"].isin(SCORED_AREAS) & area_scores["unit_id"].isin(districts["unit_id"])]
    if sc.empty:
        return pd.DataFrame(columns=ROBUSTNESS_COLUMNS)
    wide = sc.pivot(index=["unit_id", "year"], columns="area", values="score")
    wide = wide.reindex(columns=list(SCORED_AREAS)).reset_index()
    wide.columns = [str(c) for c in wide.columns]
    wide = wide.merge(districts, on="unit_id", how="left")
    peer = wide["parent_unit_id"].fillna("").replace("", NO_PARENT).to_numpy(dtype=object)
    groups = group_codes(peer, wide["year"])
    scores = wide[list(SCORED_AREAS)].to_numpy(dtype=float, na_value=np.nan)
    grid = weight_grid(config["area_weights"], rob["perturbation"])
    ov = overall_from_scores(scores, grid, min_areas)["score"]  # (N, K)
    ranks = np.empty_like(ov)
    allowed = None
    for k in range(grid.shape[0]):
        r = guarded_ranks(ov[:, k], groups, ~np.isnan(ov[:, k]) & (peer != NO_PARENT), min_peers, True)
        ranks[:, k] = r["rank"]
        if k == 0:
            allowed, n_peers = r["allowed"], r["n_peers"]
    keep = np.flatnonzero(allowed)
    rk = ranks[keep]
    lo, hi = np.nanmin(rk, axis=1) if len(keep) else rk[:, 0], np.nanmax(rk, axis=1) if len(keep) else rk[:, 0]
    return pd.DataFrame(
        {
            "unit_id": wide["unit_id"].to_numpy(dtype=object)[keep],
            "year": wide["year"].to_numpy()[keep],
            "peer_group": peer[keep],
            "base_rank": rk[:, 0],
            "min_rank": lo,
            "max_rank": hi,
            "rank_range": hi - lo,
            "stable": (hi - lo) <= rob["stable_max_rank_range"],
            "n_peers": n_peers[keep],
            "n_weight_sets": grid.shape[0],
        },
        columns=ROBUSTNESS_COLUMNS,
    )
