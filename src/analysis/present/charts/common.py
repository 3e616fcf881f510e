"""Shared pieces of the figure builders: the canvas type, value-state colours, change glyphs, unit names."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure, SubFigure

from analysis.present.charts.style import (
    synthetic_flag,
)
from analysis.present.charts.views import unit_position
from analysis.registry.vocabulary import load_vocabulary

STATE_COLORS = load_vocabulary().labels("value_states", "color")  # registry/vocabulary.yaml
MARK_GLYPH = {"up": "▲", "down": "▼", "flat": "■", "na": "·"}

Canvas = Figure | SubFigure


def unit_name(units: pd.DataFrame, unit_id: str) -> str:
    pos = unit_position(units, str(unit_id), names=False)
    return str(units["name"].iloc[pos]) if pos is not None else str(unit_id)


def obs_synthetic(obs: pd.DataFrame, unit_id: str, units: pd.DataFrame | None = None) -> bool:
    if units is not None:
        return synthetic_flag([unit_id], units)
    flags = obs.loc[obs["unit_id"] == unit_id, "is_synthetic"]
    return bool(flags.astype(bool).any()) if len(flags) else False


# one 0–100 score scale, cut at the bottom when all scores are high


def score_axis_start(scores: object, step: int = 10, min_span: float = 30.0) -> int:
    """Where a 0–100 score axis starts so that differences are not flattened: 0 unless every score sits high, then
    the multiple of ``step`` at least ``step`` below the lowest score, keeping at least ``min_span`` points visible."""
    vals = pd.to_numeric(pd.Series(list(scores)), errors="coerce").dropna()
    if vals.empty:
        return 0
    lo = int(np.floor((float(vals.min()) - step) / step) * step)
    lo = min(lo, int(100 - min_span))
    return lo if lo >= 40 else 0  # a cut below 40 points gains little and reads as a trick


def axis_note(start: int) -> str:
    """'（轴自60分起，未从0开始）' when the axis was cut, '' otherwise."""
    return f"（轴自{start}分起，未从0开始）" if start > 0 else ""
