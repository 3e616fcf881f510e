"""Column contracts shared by the pipeline stages (see docs/ARCHITECTURE.md)."""

from __future__ import annotations

UNMAPPED = "unmapped"

VALUE_STATES = ("exact", "approx", "zero_in_words", "not_reported", "not_applicable")
SCOPES = ("year", "to_date", "cumulative", "half_year", "partial_period", "per_unit", "prior_year", "change", "target")
LEVELS = ("own", "city", "province", "national")
AREAS = ("p1_effectiveness", "p2_normative_docs", "p3_enforcement", "context")
DIRECTIONS = ("higher_better", "lower_better", "neutral")

FACT_COLUMNS = [
    "doc_id",
    "fact_id",
    "indicator_id",
    "value",
    "unit",
    "unit_raw",
    "approx",
    "value_state",
    "scope",
    "level",
    "number_text",
    "span_start",
    "span_end",
    "evidence",
    "evidence_start",
    "locator",
    "keyword",
    "parent_fact_id",
    "confidence",
    "rule",
    "candidates",
]

OBSERVATION_COLUMNS = [
    "unit_id",
    "unit_name",
    "unit_level",
    "parent_unit_id",
    "city",
    "province",
    "is_synthetic",
    "year",
    "indicator_id",
    "value",
    "unit",
    "value_state",
    "approx",
    "scope",
    "source_kind",
    "source_file",
    "locator",
    "evidence",
    "fact_id",
    "precedence_rank",
]

# Kept beside the observation columns when the corrections ledger touched a row (NA otherwise).
CORRECTION_COLUMNS = ["original_value", "correction"]

FINDING_COLUMNS = [
    "rule",
    "severity",
    "unit_id",
    "year",
    "indicator_id",
    "message",
    "source_file",
    "locator",
    "detail",
]
