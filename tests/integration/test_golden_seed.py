"""Acceptance: the 56 hand-annotated facts of the real 马村区 2023 report, and nothing mapped beyond them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.ingest.reports.facts import extract_facts
from analysis.registry.schema import FACT_COLUMNS, UNMAPPED
from conftest import REPO

SEED_DIR = REPO / ".." / "shared" / "seed"
SEED_NAME = "000_280033b0075f93d2.txt"
REPO_COPY = REPO / "data" / "raw" / "reports" / "马村区" / "2023" / SEED_NAME

SOURCES = [p for p in (SEED_DIR / SEED_NAME, REPO_COPY) if p.exists()]


@pytest.fixture(scope="module")
def gold() -> pd.DataFrame:
    path = SEED_DIR / "seed_gold.csv"
    if not path.exists():
        pytest.skip("shared seed not present")
    return pd.read_csv(path)


def _match_gold(facts: pd.DataFrame, gold: pd.DataFrame) -> tuple[list[str], pd.DataFrame]:
    """(gold rows not found, mapped facts not in the gold)."""
    mapped = facts[facts.indicator_id != UNMAPPED]
    used: set[int] = set()
    missing = []
    for g in gold.itertuples():
        hit = mapped[
            (mapped.indicator_id == g.indicator_id)
            & (mapped.value == float(g.value))
            & (mapped.measure == g.unit)
            & (mapped.approx == bool(g.approx))
            & mapped.evidence.str.contains(g.evidence, regex=False)
        ]
        hit = hit[~hit.index.isin(used)]
        if hit.empty:
            missing.append(f"{g.indicator_id}={g.value}{g.unit} «{g.evidence}»")
        else:
            used.add(hit.index[0])
    return missing, mapped[~mapped.index.isin(used)]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: "shared" if "shared" in str(p) else "repo_copy")
def test_seed_report_gives_exactly_the_gold_facts(source: Path, gold: pd.DataFrame) -> None:
    text = source.read_text(encoding="utf-8")
    facts = extract_facts(text, doc_id=source.stem)
    missing, extra = _match_gold(facts, gold)
    assert missing == [], missing
    assert extra.empty, extra[["indicator_id", "value", "number_text", "evidence"]].to_string()
    assert (facts.indicator_id != UNMAPPED).sum() == len(gold) == 56


def test_seed_facts_are_well_formed(gold: pd.DataFrame) -> None:
    text = SOURCES[0].read_text(encoding="utf-8")
    facts = extract_facts(text, doc_id="seed")
    assert list(facts.columns) == FACT_COLUMNS
    for r in facts.itertuples():
        assert text[r.span_start : r.span_end] == r.number_text
        assert text[r.evidence_start : r.evidence_start + len(r.evidence)] == r.evidence
    assert facts.fact_id.is_unique
    assert facts.span_start.is_monotonic_increasing


def test_seed_structure(gold: pd.DataFrame) -> None:
    facts = extract_facts(SOURCES[0].read_text(encoding="utf-8"), doc_id="seed").set_index("indicator_id")
    four = facts.loc["enf_four_lists_cases", "fact_id"]
    parts = [
        "enf_no_penalty_cases",
        "enf_lighter_penalty_cases",
        "enf_mitigated_penalty_cases",
        "enf_no_compulsion_cases",
    ]
    assert [facts.loc[p, "parent_fact_id"] for p in parts] == [four] * 4
    assert sum(facts.loc[p, "value"] for p in parts) == facts.loc["enf_four_lists_cases", "value"]
    one = facts.loc["svc_one_thing_handled", "fact_id"]
    assert facts.loc["svc_one_thing_business_startups", "parent_fact_id"] == one
    assert facts.loc["svc_one_thing_individual_businesses", "parent_fact_id"] == one
    assert facts.loc["lit_lost", "value_state"] == "zero_in_words"
    assert facts.loc["pls_complaints", "value_state"] == "zero_in_words"
    assert facts.loc["pls_legal_aid_consultations", "value_state"] == "approx"
    assert facts.loc["enf_four_lists_cases", "scope"] == "to_date"
    assert facts.loc["enf_lighter_penalty_cases", "measure_raw"] == "项"
    assert set(facts.loc[["sup_npc_satisfaction_rate", "sup_cppcc_satisfaction_rate"], "number_text"]) == {"100%"}


@pytest.mark.parametrize("source", SOURCES[:1], ids=["seed"])
def test_seed_gold_facts_pass_the_confidence_threshold(source: Path, gold: pd.DataFrame) -> None:
    """Every mapped seed fact says which rule decided it and is confident enough to enter observations."""
    from analysis.metrics import load_config

    facts = extract_facts(source.read_text(encoding="utf-8"), doc_id=source.stem)
    mapped = facts[facts.indicator_id != UNMAPPED]
    assert (mapped.rule != "").all() and (mapped.candidates == "").all()
    assert (mapped.confidence >= load_config()["extraction"]["min_confidence"]).all(), mapped[
        mapped.confidence < load_config()["extraction"]["min_confidence"]
    ][["indicator_id", "number_text", "rule", "confidence"]]
