"""The benchmark's synthetic national generator at small scale: valid registry fallback, determinism, and the
metrics tables surviving a parquet round trip (no timing assertions)."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.core import paths
from analysis.metrics import compute_all, load_config  # noqa: F401
from conftest import config_with_count_goals

sys.path.insert(0, str(paths.root() / "bench"))
national = pytest.importorskip("national")


@pytest.fixture(scope="module")
def tables() -> dict:
    inds = national.synthetic_indicators()
    obs = national.national_observations(inds, n_units=300)
    return compute_all(obs, inds, config_with_count_goals())


def test_synthetic_registry_fallback_is_valid_and_large_enough():
    inds = national.synthetic_indicators()
    assert len(inds) >= 100
    assert set(inds["area"]) == {"p1_effectiveness", "p2_normative_docs", "p3_enforcement", "context"}
    assert inds["numerator"].notna().sum() >= 10


def test_generator_is_deterministic_and_marked_synthetic():
    inds = national.synthetic_indicators()
    a = national.national_observations(inds, n_units=10)
    b = national.national_observations(inds, n_units=10)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 10 * len(national.YEARS) * len(inds) and a["is_synthetic"].all()
    assert a["value"].isna().any() and (a.loc[a["value"].isna(), "value_state"] == "not_reported").all()


def test_metrics_on_synthetic_panel(tables):
    r = tables["ranks"]
    assert r["rank_allowed"].any()  # 300 units over 60 cities: 5 peers each
    assert (r.loc[r["rank_allowed"], "n_peers"] >= 3).all()
    assert (r.loc[~r["rank_allowed"], "reason"] != "").all()
    rates = tables["rates"]
    computed = rates[(rates["source"] == "computed") & rates["rate"].notna()]
    assert ((computed["ci_low"] <= computed["rate"]) & (computed["rate"] <= computed["ci_high"])).all()
    s = tables["area_scores"]
    assert s["score"].dropna().between(0, 100).all() and s["coverage"].dropna().between(0, 1).all()


def test_tables_survive_parquet_round_trip(tables, tmp_path: Path):
    for name, df in tables.items():
        p = tmp_path / f"{name}.parquet"
        df.to_parquet(p)
        back = pd.read_parquet(p)
        assert list(back.columns) == list(df.columns) and len(back) == len(df), name


def test_dense_changes_line_up_with_the_input():
    inds = national.synthetic_indicators()
    obs = national.national_observations(inds, n_units=6).astype({"unit_id": str, "indicator_id": str})
    t = compute_all(obs, inds, config_with_count_goals())
    counts = [i for i in inds.index if inds.at[i, "measure"] != "%"]
    o = obs[obs["indicator_id"].isin(counts)].set_index(["unit_id", "year", "indicator_id"])["value"]
    c = t["changes"].astype({"unit_id": str, "indicator_id": str})
    c = c[c["indicator_id"].isin(counts)].set_index(["unit_id", "year", "indicator_id"])
    assert len(c) == len(o)
    pd.testing.assert_series_equal(c["value"], o.loc[c.index], check_names=False)
    prev = o.rename(lambda y: y + 1, level="year")
    has_prev = c.index.isin(prev.index)
    pd.testing.assert_series_equal(c.loc[has_prev, "prev_value"], prev.loc[c.index[has_prev]], check_names=False)
