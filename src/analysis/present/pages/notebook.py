"""What the parameterized notebooks share: loading the processed data once (``load_context``), choosing the units a
notebook is about, and the few lines of Chinese narrative they print.

Narrative is Markdown; every interpolated name or sentence is HTML-escaped because notebook outputs are exported to
HTML.

The notebooks import this one module (``from analysis.present.pages import notebook as nb``); the code lives in
``notebook_context`` (loading, choosing units), ``notebook_text`` (Markdown lines, 要点) and ``notebook_tables``.
"""

from __future__ import annotations

from analysis.present.charts.style import AREA_LABELS, AREA_ORDER, MixedSourcesError
from analysis.present.pages.notebook_context import (
    AREA_IDS,
    SHORT_AREA_LABELS,
    Context,
    districts_with_data,
    has_changes,
    indicators_with_changes,
    load_context,
    neutral_band_points,
    select_districts,
)
from analysis.present.pages.notebook_tables import (
    CHANGE_VERDICTS,
    balance_table,
    changes_table,
    comparison_table,
    conflicts_rows,
    facts_table,
    findings_table,
    problems_beside_scores,
    problems_rows,
    quality_summary,
    rates_table,
    review_rows,
    split_by_synthetic,
    top_balance_rows,
    top_rate_indicators,
    values_by_unit,
    values_by_year,
)
from analysis.present.pages.notebook_text import (
    area_key_points,
    area_points,
    area_summary,
    esc,
    key_points,
    key_sentences,
    narrative_table,
    profile_intro,
    score_sentence,
    synthetic_banner,
)

__all__ = [
    "AREA_LABELS",
    "AREA_ORDER",
    "MixedSourcesError",
    "AREA_IDS",
    "CHANGE_VERDICTS",
    "Context",
    "SHORT_AREA_LABELS",
    "area_key_points",
    "area_points",
    "area_summary",
    "balance_table",
    "changes_table",
    "comparison_table",
    "conflicts_rows",
    "districts_with_data",
    "esc",
    "facts_table",
    "findings_table",
    "has_changes",
    "indicators_with_changes",
    "key_points",
    "key_sentences",
    "load_context",
    "narrative_table",
    "neutral_band_points",
    "problems_beside_scores",
    "problems_rows",
    "profile_intro",
    "quality_summary",
    "rates_table",
    "review_rows",
    "score_sentence",
    "select_districts",
    "split_by_synthetic",
    "synthetic_banner",
    "top_balance_rows",
    "top_rate_indicators",
    "values_by_unit",
    "values_by_year",
]
