"""Charts: the house style (CJK font from mplfonts, palette, source notes, synthetic watermark, atomic saving) and
figure builders that take contract-shaped DataFrames and return matplotlib Figures.

Submodules: ``style`` (font, palette, source_note, mark_synthetic, save_figure), ``figures`` (all builders under one
name; each chart lives in its own module: ``panel``, ``rate_chart``, ``peers``, ``trend``, ``balance``, ``heatmap``,
``quality``, shared pieces in ``common``),
``views`` (value/rate labels and table shaping). Names below are loaded lazily, so importing the package does not
import matplotlib. Safe file names come from ``analysis.core.io`` (safe_name, inside).
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "WATERMARK_TEXT": "style",
    "MixedSourcesError": "style",
    "apply_style": "style",
    "has_watermark": "style",
    "mark_synthetic": "style",
    "save_and_show": "style",
    "save_figure": "style",
    "source_note": "style",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"analysis.present.charts.{_EXPORTS[name]}"), name)
    if name in ("figures", "views", "style"):
        return importlib.import_module(f"analysis.present.charts.{name}")
    raise AttributeError(f"module 'analysis.present.charts' has no attribute {name!r}")
