"""Figure builders: contract-shaped DataFrames in, matplotlib Figures out.

Each chart has a ``draw_*`` function that draws into a given Figure or SubFigure (so the one-page brief can compose
them) and a ``*_figure`` function that makes a stand-alone Figure, adds the source note and — whenever the units on
it are fictional — the "示例数据（模拟）" watermark. Real and fictional units are never put on one chart.

Conventions: a value that is not reported is written "未报告" and never drawn as zero; rates are shown with their
Wilson interval and "97.5%（230/236）"; area scores share one 0–100 scale; a change inside the neutral band is grey
("无实质变化").

The builders live in one module per chart (``panel``, ``rate_chart``, ``peers``, ``trend``, ``balance``,
``heatmap``, ``quality``; shared pieces in ``common``); this module gathers them under one name for the notebooks.
"""

from __future__ import annotations

from analysis.present.charts.balance import balance_figure, below_target, draw_balance
from analysis.present.charts.common import MARK_GLYPH, STATE_COLORS, Canvas, axis_note, score_axis_start
from analysis.present.charts.heatmap import (
    draw_heatmap,
    drop_empty_columns,
    heatmap_figure,
    heatmap_matrix,
    pick_heatmap_rows,
)
from analysis.present.charts.panel import area_panel_figure, draw_area_panel
from analysis.present.charts.peers import (
    MIN_SCORES_FOR_CUT_AXIS,
    draw_peers,
    peer_frame,
    peers_axis_start,
    peers_figure,
    unscored_caption,
)
from analysis.present.charts.quality import SEVERITY_COLORS, SEVERITY_LABELS, findings_figure, review_counts_figure
from analysis.present.charts.rate_chart import draw_rates, rates_figure
from analysis.present.charts.trend import change_mark, draw_sparklines, trend_figure

__all__ = [
    "Canvas",
    "MARK_GLYPH",
    "MIN_SCORES_FOR_CUT_AXIS",
    "SEVERITY_COLORS",
    "SEVERITY_LABELS",
    "STATE_COLORS",
    "area_panel_figure",
    "axis_note",
    "balance_figure",
    "below_target",
    "change_mark",
    "draw_area_panel",
    "draw_balance",
    "draw_heatmap",
    "draw_peers",
    "draw_rates",
    "draw_sparklines",
    "drop_empty_columns",
    "findings_figure",
    "heatmap_figure",
    "heatmap_matrix",
    "peer_frame",
    "peers_axis_start",
    "peers_figure",
    "pick_heatmap_rows",
    "rates_figure",
    "review_counts_figure",
    "score_axis_start",
    "trend_figure",
    "unscored_caption",
]
