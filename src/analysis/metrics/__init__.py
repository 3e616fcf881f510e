"""Honest metrics: rates with Wilson intervals, year-over-year change with a neutral band, peer ranks with
minimum-sample guards, fixed-anchor normalisation, P1/P2/P3 area scores with coverage, P1 balance across streets
and departments, and a rank-robustness check — all pure functions of (observations, indicator registry, config).

Entry points: ``compute_all(observations, indicators, config) -> dict[str, DataFrame]`` (tables described in
docs/ARCHITECTURE.md and the metrics contract) and ``load_config(path=None)`` (config/scoring.yaml); the methodology
page is ``analysis.metrics.methodology.render_methodology(indicators, config)``.

Tables: rates, changes, normalized, area_scores, ranks (area and overall scores), balance, robustness — the contract
columns first, a few explanatory columns after (rates.reported_rate/note, normalized.floor/anchor_source,
area_scores.reason, balance.unit_level, robustness.n_peers/n_weight_sets) — plus indicator_ranks (per-indicator peer
ranks with the denominator guard) and units (unit_id, unit_name, unit_level, parent_unit_id). In the large tables the
id and label columns are pandas Categoricals (string categories; dictionary-encoded in parquet).

Module map: config (scoring.yaml), panel (observations → dense unit × year × indicator cube, indicator metadata),
rates, change, scores (normalisation, area scores), compare (ranks), balance, robustness, methodology.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.metrics.balance import compute_balance
from analysis.metrics.change import add_headlines, compute_changes
from analysis.metrics.compare import area_ranks, indicator_ranks
from analysis.metrics.config import SCORED_AREAS, ConfigError, load_config, validate_config
from analysis.metrics.panel import Panel, build_panel, indicator_meta
from analysis.metrics.rates import compute_rates, effective_values, wilson_interval
from analysis.metrics.robustness import rank_robustness
from analysis.metrics.scores import area_score_arrays, area_scores_table, normalize, normalized_table, overall_arrays

__all__ = [
    "SCORED_AREAS",
    "ConfigError",
    "Panel",
    "build_panel",
    "compute_all",
    "indicator_meta",
    "load_config",
    "unit_info",
    "validate_config",
    "wilson_interval",
]

TABLES = ("rates", "changes", "normalized", "area_scores", "ranks", "indicator_ranks", "balance", "robustness", "units")


def unit_info(panel: Panel) -> pd.DataFrame:
    """One row per unit of the panel: unit_id, unit_name, unit_level, parent_unit_id ('' when none)."""
    return pd.DataFrame(
        {
            "unit_id": panel.unit_ids,
            "unit_name": panel.unit_names,
            "unit_level": panel.unit_levels,
            "parent_unit_id": panel.parents,
        }
    )


def compute_all(observations: pd.DataFrame, indicators: pd.DataFrame, config: dict) -> dict[str, pd.DataFrame]:
    """Every metrics table from the tidy observations, the indicator registry and the scoring config.

    Returns {'rates', 'changes', 'normalized', 'area_scores', 'ranks', 'indicator_ranks', 'balance', 'robustness',
    'units'}. ``config`` may be the raw YAML mapping; it is validated first.
    """
    if "_source" not in config:
        config = validate_config(config)
    meta = indicator_meta(indicators, config)
    panel = build_panel(observations, indicators.index, config["comparable_scopes"])
    rates, rate_cubes = compute_rates(panel, meta)
    value, approx, row = effective_values(panel, rate_cubes, inplace=True)  # the panel is ours: no copies
    changes = compute_changes(panel.unit_ids, panel.years, panel.indicator_ids, value, approx, row, meta, config)
    norm = normalize(value, meta["floor"].to_numpy(dtype=float), meta["goal"].to_numpy(dtype=float))
    norm[:, :, ~meta["scored"].to_numpy(dtype=bool)] = np.nan
    normalized = normalized_table(panel.unit_ids, panel.years, panel.indicator_ids, norm, value, approx, meta)
    per_area = area_score_arrays(
        norm,
        approx,
        meta,
        config["coverage"]["min_area_coverage"],
        config["roles"]["activity_share"],
        config["coverage"]["min_core_outcomes"],
    )
    overall = overall_arrays(per_area, config["area_weights"], config["coverage"]["min_areas_overall"])
    area_scores = area_scores_table(
        panel.unit_ids, panel.years, panel.has_unit_year, per_area, overall, meta, config, norm
    )
    area_scores = add_headlines(area_scores, changes, rates, meta, config["neutral_band"]["rate_pp"])
    units = unit_info(panel)
    denominator = np.full(value.shape, np.nan)
    if len(rate_cubes["indicator_index"]):
        denominator[:, :, rate_cubes["indicator_index"]] = rate_cubes["denominator"]
    return {
        "rates": rates,
        "changes": changes,
        "normalized": normalized,
        "area_scores": area_scores,
        "ranks": area_ranks(area_scores, units, config),
        "indicator_ranks": indicator_ranks(
            panel.unit_ids,
            panel.parents,
            panel.unit_levels,
            panel.years,
            panel.indicator_ids,
            value,
            denominator,
            meta,
            config,
        ),
        "balance": compute_balance(
            panel.unit_names, panel.parents, panel.unit_levels, panel.years, panel.indicator_ids, value, meta, config
        ),
        "robustness": rank_robustness(area_scores, units, config),
        "units": units,
    }
