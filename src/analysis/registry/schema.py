"""Column contracts shared by the pipeline stages (see docs/ARCHITECTURE.md).

The id tuples (areas, value states, scopes, levels, directions) come from the vocabulary data
(``registry/vocabulary.yaml`` through ``analysis.registry.vocabulary``); the names are kept so imports keep working.
"""

from __future__ import annotations

from analysis.registry.vocabulary import load_vocabulary

UNMAPPED = "unmapped"

_VOCABULARY = load_vocabulary()
VALUE_STATES = _VOCABULARY.ids("value_states")
SCOPES = _VOCABULARY.ids("scopes")
LEVELS = _VOCABULARY.ids("levels")
AREAS = _VOCABULARY.ids("areas")
SCORED_AREAS = _VOCABULARY.scored_areas  # the areas scored and ranked, in their order (context is not)
DIRECTIONS = _VOCABULARY.ids("directions")

FACT_COLUMNS = [
    "doc_id",
    "fact_id",
    "indicator_id",
    "value",
    "measure",
    "measure_raw",
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
    # the clause structure of the number (analysis.ingest.reports.clause): who acts, the verb, the thing counted after
    # the measure word, the qualifier words before it (其中;累计 …)
    "subject",
    "predicate",
    "counted_noun",
    "qualifiers",
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
    "measure",
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

# Columns renamed since earlier builds (old → current): the measure word was ``unit``/``unit_raw`` before ``unit``
# came to mean only an administrative unit. The readers (analysis.tidy.load) rename them, so data/processed written
# by an older version still reads.
RENAMED_COLUMNS = {"unit": "measure", "unit_raw": "measure_raw"}

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
