"""The whole build with its derived tables: analysis.tidy.build plus the metrics and the narrative of this layer.

The tidy layer builds the tidy tables and writes every table of one build into one new version folder; it does not
import metrics. This module loads the configuration and passes the derived-table step (`derived_tables`: every
metrics table and the narrative) into that build, so they are written atomically with the tidy tables.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analysis.tidy.build import BuildResult, DeriveInputs
from analysis.tidy.build import build as tidy_build


def derived_tables(inputs: DeriveInputs, say: Callable[[str], None]) -> dict[str, pd.DataFrame]:
    """Every metrics table (analysis.metrics.compute_all) and the narrative of the build's observations."""
    from analysis.metrics import compute_all
    from analysis.metrics.narrative import build_narrative

    say("计算指标")
    metrics = compute_all(inputs.observations, inputs.indicators, inputs.config)
    say("生成要点文字")
    metrics["narrative"] = build_narrative(
        metrics,
        inputs.observations,
        inputs.indicators,
        inputs.config,
        inputs.problems,
        inputs.units,
        facts=inputs.facts,
    )
    return metrics


def build(
    raw_dir: Path | None = None,
    processed_dir: Path | None = None,
    include_sample: bool = True,
    config: dict | None = None,
    progress=None,
) -> BuildResult:
    """Build data/processed (or ``processed_dir``) from data/raw with every derived table (analysis.tidy.build.build);
    ``config`` defaults to config/scoring.yaml (analysis.metrics.load_config)."""
    from analysis.metrics import load_config

    config = config if config is not None else load_config()
    return tidy_build(raw_dir, processed_dir, include_sample, config, progress, derive=derived_tables)
