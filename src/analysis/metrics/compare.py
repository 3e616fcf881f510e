"""Rank and percentile among peers (districts of the same parent city, same year), with minimum-sample guards.

A unit is ranked only when at least ``min_peers`` units of its peer group have the value (a single district is never
ranked) and, for a rate computed from counts, when its denominator is at least ``min_denominator``. Every refusal
states its reason. Rank 1 is the best (highest score; lowest value for lower-better indicators); ties share the
smallest rank. Percentile = 100 × (n_peers − rank) / (n_peers − 1): 100 is the best of the group, 0 the last.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.metrics.panel import as_category, frame, labels_to_category

RANK_COLUMNS = [
    "unit_id",
    "year",
    "area",
    "peer_group",
    "rank",
    "n_peers",
    "percentile",
    "rank_allowed",
    "reason",
]
INDICATOR_RANK_COLUMNS = [
    "unit_id",
    "year",
    "indicator_id",
    "area",
    "peer_group",
    "value",
    "rank",
    "n_peers",
    "percentile",
    "rank_allowed",
    "reason",
]
NO_PARENT = "(none)"
NO_PARENT_REASON = "无上级单位，无同级可比 (no parent unit: no peer group)"


def group_codes(*keys: object) -> np.ndarray:
    """One integer code per distinct combination of the key columns (cheaper than factorizing a MultiIndex)."""
    code = np.zeros(len(keys[0]), dtype=np.int64)  # type: ignore[arg-type]
    for k in keys:
        c, u = pd.factorize(np.asarray(k))
        code = pd.factorize(code * (len(u) + 1) + c)[0].astype(np.int64)  # re-coded each step: no overflow
    return code


def group_rank(values: np.ndarray, groups: np.ndarray, higher_is_better: np.ndarray | bool = True) -> tuple:
    """Competition ('min') rank of each value within its integer group; NaN values are not ranked.

    Returns (rank float array with NaN, n_in_group int array = non-NaN values in the element's group).
    """
    v = np.asarray(values, dtype=float)
    g = np.asarray(groups, dtype=np.int64)
    key = np.where(np.broadcast_to(higher_is_better, v.shape), -v, v)
    idx = np.flatnonzero(~np.isnan(v))
    rank = np.full(v.shape, np.nan)
    counts = np.bincount(g[idx], minlength=int(g.max()) + 1 if len(g) else 0)
    n_in = counts[g] if len(g) else np.zeros(0, dtype=np.int64)
    if len(idx) == 0:
        return rank, n_in
    # dense rank of the key overall, then one integer sort on (group, dense rank): two fast argsorts
    kv = key[idx]
    o1 = np.argsort(kv)
    ks = kv[o1]
    dense = np.empty(len(idx), dtype=np.int64)
    dense[o1] = np.cumsum(np.r_[True, ks[1:] != ks[:-1]])
    combined = g[idx] * (len(idx) + 1) + dense
    o2 = np.argsort(combined)
    order = idx[o2]
    cs, gs = combined[o2], g[order]
    pos = np.arange(len(order))
    new_group = np.r_[True, gs[1:] != gs[:-1]]
    new_val = new_group | np.r_[True, cs[1:] != cs[:-1]]
    group_start = np.maximum.accumulate(np.where(new_group, pos, 0))
    tie_start = np.maximum.accumulate(np.where(new_val, pos, 0))
    rank[order] = tie_start - group_start + 1
    return rank, n_in


def percentile_of(rank: np.ndarray, n_peers: np.ndarray) -> np.ndarray:
    """100 × (n − rank) / (n − 1); 100 for a group of one; NaN when unranked."""
    n = np.asarray(n_peers, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(n > 1, 100.0 * (n - rank) / (n - 1), 100.0)
    return np.where(np.isnan(rank), np.nan, p)


def guarded_ranks(
    values: np.ndarray, groups: np.ndarray, eligible: np.ndarray, min_peers: int, higher_is_better: np.ndarray | bool
) -> dict[str, np.ndarray]:
    """Rank eligible values within groups; not allowed when the group has fewer than min_peers eligible values."""
    v = np.where(eligible, values, np.nan)
    rank, n_peers = group_rank(v, groups, higher_is_better)
    allowed = eligible & (n_peers >= min_peers)
    rank = np.where(allowed, rank, np.nan)
    return {"rank": rank, "n_peers": n_peers, "allowed": allowed, "percentile": percentile_of(rank, n_peers)}


def _peer_reason(n_peers: np.ndarray, min_peers: int) -> np.ndarray:
    return np.array(
        [f"同组仅{n}个单位有数值，少于{min_peers}个 (too few peers)" for n in n_peers.tolist()], dtype=object
    )


def area_ranks(area_scores: pd.DataFrame, unit_info: pd.DataFrame, config: dict) -> pd.DataFrame:
    """Ranks of area and overall scores among districts of the same parent, per year and area."""
    min_peers = config["ranking"]["min_peers"]
    df = area_scores.merge(unit_info[["unit_id", "unit_level", "parent_unit_id"]], on="unit_id", how="left")
    df = df[df["unit_level"] == "district"].reset_index(drop=True)
    peer = df["parent_unit_id"].fillna("").replace("", NO_PARENT).astype(object)
    groups = group_codes(peer, df["year"], df["area"])
    score = df["score"].to_numpy(dtype=float, na_value=np.nan)
    orphan = (peer == NO_PARENT).to_numpy()
    eligible = ~np.isnan(score) & ~orphan
    r = guarded_ranks(score, groups, eligible, min_peers, True)
    reason = np.full(len(df), "", dtype=object)
    few = eligible & ~r["allowed"]
    reason[few] = _peer_reason(r["n_peers"][few], min_peers)
    missing = np.isnan(score)
    reason[missing] = ("得分缺失: " + df["reason"][missing].astype(str)).to_numpy(dtype=object)
    reason[orphan] = NO_PARENT_REASON
    return pd.DataFrame(
        {
            "unit_id": df["unit_id"].to_numpy(dtype=object),
            "year": df["year"].to_numpy(),
            "area": df["area"].to_numpy(dtype=object),
            "peer_group": peer.to_numpy(dtype=object),
            "rank": r["rank"],
            "n_peers": r["n_peers"],
            "percentile": r["percentile"],
            "rank_allowed": r["allowed"],
            "reason": reason,
        },
        columns=RANK_COLUMNS,
    )


def block_ranks(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Competition ranks along the last axis (smaller key = better); inf/NaN keys are not ranked.

    Returns (rank float array, NaN where unranked; count of ranked values along the last axis, broadcastable).
    """
    k = np.where(np.isnan(key), np.inf, key)
    order = np.argsort(k, axis=-1)
    ks = np.take_along_axis(k, order, axis=-1)
    n = k.shape[-1]
    new_val = np.ones(ks.shape, dtype=bool)
    new_val[..., 1:] = ks[..., 1:] != ks[..., :-1]
    pos = np.broadcast_to(np.arange(n), ks.shape)
    tie_start = np.maximum.accumulate(np.where(new_val, pos, 0), axis=-1)
    rank = np.empty(k.shape)
    np.put_along_axis(rank, order, tie_start + 1.0, axis=-1)
    finite = np.isfinite(k)
    return np.where(finite, rank, np.nan), finite.sum(-1, keepdims=True)


def _reason_codes(
    few: np.ndarray,
    n_peers: np.ndarray,
    small: np.ndarray,
    dens: np.ndarray,
    min_den: np.ndarray,
    min_peers: int,
    orphan: np.ndarray,
) -> pd.Categorical:
    """Reason texts as a categorical built from integer keys (no per-row string work)."""
    key = np.zeros(len(few), dtype=np.int64)
    key[orphan] = 1
    key[few] = 2 + n_peers[few]
    pairs = np.column_stack([dens[small], min_den[small]])
    d_uniq, d_inv = np.unique(pairs, axis=0, return_inverse=True)
    key[small] = -1 - d_inv.reshape(-1)
    codes, uniq = pd.factorize(key)
    texts = []
    for kk in uniq.tolist():
        if kk == 0:
            texts.append("")
        elif kk == 1:
            texts.append(NO_PARENT_REASON)
        elif kk > 1:
            texts.append(f"同组仅{kk - 2}个单位有数值，少于{min_peers}个 (too few peers)")
        else:
            den, lim = d_uniq[-1 - kk]
            texts.append(f"分母{den:g}小于{lim:g} (denominator too small)")
    return as_category(codes, texts)


def indicator_ranks(
    unit_ids: np.ndarray,
    parents: np.ndarray,
    levels: np.ndarray,
    years: np.ndarray,
    indicator_ids: np.ndarray,
    value: np.ndarray,
    denominator: np.ndarray,
    meta: pd.DataFrame,
    config: dict,
) -> pd.DataFrame:
    """Per-indicator ranks of districts (directional indicators only) with the denominator guard for rates.

    Works on the cube: districts are grouped by parent, and each peer block is ranked along the unit axis for every
    (year, indicator) at once (a loop over peer groups, not rows).
    """
    min_peers = config["ranking"]["min_peers"]
    directions = meta["direction"].to_numpy(dtype=object)
    dist = np.flatnonzero(levels == "district")
    ind = np.flatnonzero(directions != "neutral")
    if len(dist) == 0 or len(ind) == 0:
        return pd.DataFrame(columns=INDICATOR_RANK_COLUMNS)
    peer = np.where(parents[dist] == "", NO_PARENT, parents[dist]).astype(object)
    peer_code, peer_uniq = pd.factorize(peer)
    # (Y, I, D) with the unit axis last, units ordered by peer group
    by_peer = np.argsort(peer_code, kind="stable")
    cols = np.ix_(dist[by_peer], np.arange(value.shape[1]), ind)
    v = np.ascontiguousarray(value[cols].transpose(1, 2, 0))
    d = denominator[cols].transpose(1, 2, 0)
    rank, n_peers, small_cube = _peer_block_ranks(v, d, meta, directions, ind, peer, peer_code, by_peer)
    allowed_cube = ~np.isnan(rank) & (n_peers >= min_peers)
    present = ~np.isnan(v)
    flat = np.flatnonzero(present)
    y, i, u_sorted = np.unravel_index(flat, v.shape)
    u = by_peer[u_sorted]
    vals, dens = v.ravel()[flat], d.ravel()[flat]
    small = small_cube.ravel()[flat]
    allowed = allowed_cube.ravel()[flat]
    npeer = n_peers.ravel()[flat]
    rk = np.where(allowed, rank.ravel()[flat], np.nan)
    orphan = (peer == NO_PARENT)[u]
    few = ~small & ~allowed & ~orphan
    return frame(
        {
            "unit_id": as_category(u, unit_ids[dist]),
            "year": years[y],
            "indicator_id": as_category(i, indicator_ids[ind]),
            "area": labels_to_category(meta["area"].to_numpy(dtype=object)[ind])[i],
            "peer_group": as_category(peer_code[u], peer_uniq),
            "value": vals,
            "rank": rk,
            "n_peers": npeer,
            "percentile": percentile_of(rk, npeer),
            "rank_allowed": allowed,
            "reason": _reason_codes(
                few, npeer, small & ~orphan, dens, meta["min_denominator"].to_numpy()[ind][i], min_peers, orphan
            ),
        }
    )


def _peer_block_ranks(
    v: np.ndarray,
    d: np.ndarray,
    meta: pd.DataFrame,
    directions: np.ndarray,
    ind: np.ndarray,
    peer: np.ndarray,
    peer_code: np.ndarray,
    by_peer: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rank and peer count on the (Y, I, D) cube, each peer block ranked on its own; rates with too small a
    denominator and units without a parent are left unranked. Also returns the small-denominator mask."""
    min_den_i = meta["min_denominator"].to_numpy(dtype=float)[ind][None, :, None]
    small_cube = d < min_den_i  # NaN denominators (counts, stated rates) compare False
    hib = (directions[ind] == "higher_better")[None, :, None]
    key = np.where(hib, -v, v)
    key[small_cube] = np.nan
    orphan_sorted = (peer == NO_PARENT)[by_peer]
    key[..., orphan_sorted] = np.nan
    rank = np.full(v.shape, np.nan)
    n_peers = np.zeros(v.shape, dtype=np.int64)
    bounds = np.flatnonzero(np.r_[True, np.diff(peer_code[by_peer]) != 0, True])
    for s, e in zip(bounds[:-1], bounds[1:], strict=True):
        rank[..., s:e], n_peers[..., s:e] = block_ranks(key[..., s:e])
    return rank, n_peers, small_cube
