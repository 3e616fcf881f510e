"""The readers of data/processed keep reading a build written before the measure word was named ``measure``."""

from __future__ import annotations

import pandas as pd

from analysis.present.review import load_facts as review_facts
from analysis.registry.schema import FACT_COLUMNS, OBSERVATION_COLUMNS
from analysis.tidy import load


def _old_build(tmp_path):
    """A tiny data/processed as the previous version wrote it: the measure word in ``unit`` / ``unit_raw``."""
    obs = pd.DataFrame(
        {"unit_id": ["a"], "year": [2023], "indicator_id": ["nd_issued"], "value": [8.0], "unit": ["件"]}
    )
    facts = pd.DataFrame(
        {"doc_id": ["d"], "fact_id": ["d:1"], "indicator_id": ["nd_issued"], "value": [8.0], "unit": ["件"],
         "unit_raw": ["项"]}
    )  # fmt: skip
    obs.to_parquet(tmp_path / "observations.parquet")
    facts.to_parquet(tmp_path / "facts.parquet")
    return tmp_path


def test_an_older_build_reads_with_the_measure_columns(tmp_path) -> None:
    base = _old_build(tmp_path)
    obs = load.load_observations(base)
    assert "unit" not in obs.columns and list(obs["measure"]) == ["件"] and list(obs["unit_id"]) == ["a"]
    facts = load.load_facts(base)
    assert (facts.loc[0, "measure"], facts.loc[0, "measure_raw"]) == ("件", "项")
    assert not {"unit", "unit_raw"} & set(facts.columns)
    assert list(review_facts(base / "facts.parquet")[["measure", "measure_raw"]].iloc[0]) == ["件", "项"]
    before = load._CACHE
    load.enable_cache()  # the cached path renames too
    try:
        assert list(load.load_observations(base)["measure"]) == ["件"]
    finally:
        load._CACHE = before


def test_a_current_table_is_returned_as_it_is() -> None:
    df = pd.DataFrame({c: [] for c in OBSERVATION_COLUMNS})
    assert load.current_names(df) is df
    assert "measure" in OBSERVATION_COLUMNS and "measure_raw" in FACT_COLUMNS and "unit" not in FACT_COLUMNS
