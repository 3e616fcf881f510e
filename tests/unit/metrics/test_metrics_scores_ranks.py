"""Normalisation, area scores and coverage, peer ranks with guards, P1 balance, rank robustness."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from analysis.metrics import compute_all, load_config  # noqa: F401
from analysis.metrics.compare import group_rank
from analysis.metrics.robustness import weight_grid
from analysis.registry import validate_indicators
from conftest import config_with_count_goals, indicator

REGISTRY = validate_indicators(
    [
        indicator("p1_rate", "%", "higher_better", "p1_effectiveness", kind="rate", target=100),
        indicator("p1_bad", "%", "lower_better", "p1_effectiveness", kind="rate"),
        indicator("p2_docs", "件", "higher_better", "p2_normative_docs", kind="count"),
        indicator("p2_rate", "%", "higher_better", "p2_normative_docs", kind="rate"),
        indicator("p3_train", "场", "higher_better", "p3_enforcement", kind="count"),
        indicator("p3_neutral", "件", "neutral", "p3_enforcement", kind="count"),
        indicator("ctx_pop", "人", "neutral", "context", kind="count"),
        indicator("issued", "件", "neutral", "p2_normative_docs", kind="count"),
        indicator("filed", "件", "higher_better", "p2_normative_docs", kind="count"),
        indicator(
            "filing_rate",
            "%",
            "higher_better",
            "p2_normative_docs",
            kind="rate",
            numerator="filed",
            denominator="issued",
        ),
    ]
)


def obs(rows: list[tuple], level: str = "district", parent: str = "city", names: dict | None = None) -> pd.DataFrame:
    """rows: (unit_id, year, indicator_id, value or None[, approx])."""
    out = []
    for r in rows:
        unit, year, iid, value = r[:4]
        approx = bool(r[4]) if len(r) > 4 else False
        out.append(
            dict(
                unit_id=unit,
                unit_name=(names or {}).get(unit, unit),
                unit_level=level,
                parent_unit_id=parent,
                is_synthetic=True,
                year=year,
                indicator_id=iid,
                value=np.nan if value is None else value,
                measure="",
                value_state="not_reported" if value is None else "exact",
                approx=approx,
                scope="year",
            )
        )
    return pd.DataFrame(out)


def full_unit(unit: str, year: int = 2023, scale: float = 1.0, approx_ind: str = "") -> list[tuple]:
    vals = {
        "p1_rate": 90 * scale,
        "p1_bad": 10,
        "p2_docs": 25 * scale,
        "p2_rate": 80,
        "p3_train": 5 * scale,
        "p3_neutral": 3,
        "ctx_pop": 1000,
    }
    return [(unit, year, k, min(v, 100) if k.endswith("rate") else v, k == approx_ind) for k, v in vals.items()]


@pytest.fixture(scope="module")
def config() -> dict:
    return config_with_count_goals()


def score(t: dict, unit: str, area: str, year: int = 2023) -> pd.Series:
    s = t["area_scores"]
    hit = s[(s["unit_id"] == unit) & (s["year"] == year) & (s["area"] == area)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_normalisation_uses_fixed_anchors_and_inverts_lower_better(config):
    t = compute_all(obs(full_unit("a")), REGISTRY, config)
    n = t["normalized"].set_index("indicator_id")
    assert n.loc["p1_rate", "norm"] == pytest.approx(0.9) and n.loc["p1_rate", "target_or_anchor"] == 100
    assert n.loc["p1_bad", "norm"] == pytest.approx(0.8)  # floor 50, goal 0
    assert n.loc["p2_docs", "norm"] == pytest.approx(0.5)  # 件: goal 50
    assert n.loc["p3_train", "norm"] == pytest.approx(0.5)  # 场: goal 10
    assert "p3_neutral" not in n.index and "ctx_pop" not in n.index


def test_adding_an_extreme_district_does_not_move_another_norm(config):
    base = compute_all(obs(full_unit("a") + full_unit("b", scale=0.5)), REGISTRY, config)
    more = compute_all(obs(full_unit("a") + full_unit("b", scale=0.5) + full_unit("z", scale=40)), REGISTRY, config)
    key = ["unit_id", "year", "indicator_id"]
    left = base["normalized"].astype({"unit_id": str, "indicator_id": str}).set_index(key)["norm"]
    right = more["normalized"].astype({"unit_id": str, "indicator_id": str}).set_index(key)["norm"]
    pd.testing.assert_series_equal(left, right.loc[left.index])
    assert score(base, "a", "overall")["score"] == score(more, "a", "overall")["score"]


def test_area_score_is_mean_of_norms_with_coverage(config):
    rows = [r for r in full_unit("a") if r[2] != "p2_rate"]  # one P2 indicator missing
    cfg = copy.deepcopy(config)
    cfg["coverage"]["min_area_coverage"] = 0.2
    t = compute_all(obs(rows), REGISTRY, cfg)
    p1 = score(t, "a", "p1_effectiveness")
    assert p1["score"] == pytest.approx(85.0) and p1["n_used"] == 2 and p1["n_total"] == 2
    p2 = score(t, "a", "p2_normative_docs")  # p2_docs 0.5 only; filed / filing_rate absent
    assert p2["score"] == pytest.approx(50.0)  # the missing ones are not zeros
    assert (p2["n_used"], p2["n_total"]) == (1, 4) and p2["coverage"] == pytest.approx(0.25)


def test_below_minimum_coverage_is_na_with_reason(config):
    cfg = copy.deepcopy(config)
    cfg["coverage"]["min_area_coverage"] = 0.5
    t = compute_all(obs([("a", 2023, "p2_docs", 10)]), REGISTRY, cfg)
    p2 = score(t, "a", "p2_normative_docs")
    assert np.isnan(p2["score"]) and p2["coverage"] == pytest.approx(0.25) and "覆盖率" in p2["reason"]
    ov = score(t, "a", "overall")
    assert np.isnan(ov["score"]) and ov["reason"]


def test_weights_from_config_change_the_score(config):
    cfg = copy.deepcopy(config)
    cfg["indicator_weights"] = {"p1_rate": 3.0}
    cfg["area_weights"] = {"p1_effectiveness": 2.0, "p2_normative_docs": 1.0, "p3_enforcement": 1.0}
    del cfg["_source"]  # compute_all validates a raw mapping
    t = compute_all(obs(full_unit("a")), REGISTRY, cfg)
    p1 = score(t, "a", "p1_effectiveness")
    assert p1["score"] == pytest.approx((3 * 90 + 80) / 4) and p1["weights_source"] == "config"
    p2, p3 = score(t, "a", "p2_normative_docs")["score"], score(t, "a", "p3_enforcement")["score"]
    ov = score(t, "a", "overall")
    assert ov["score"] == pytest.approx((2 * p1["score"] + p2 + p3) / 4) and ov["weights_source"] == "config"
    eq = compute_all(obs(full_unit("a")), REGISTRY, config)
    assert score(eq, "a", "overall")["weights_source"] == "equal"


def test_approx_input_flags_the_score(config):
    t = compute_all(obs(full_unit("a", approx_ind="p3_train")), REGISTRY, config)
    assert bool(score(t, "a", "p3_enforcement")["approx_any"]) and bool(score(t, "a", "overall")["approx_any"])
    assert not bool(score(t, "a", "p1_effectiveness")["approx_any"])
    n = t["normalized"]
    assert bool(n.loc[n["indicator_id"] == "p3_train", "approx"].iloc[0])


# ---------------------------------------------------------------- ranks


def test_group_rank_ties_and_groups():
    rank, n = group_rank(np.array([5.0, 9.0, 5.0, np.nan, 1.0, 2.0]), np.array([0, 0, 0, 0, 1, 1]))
    assert rank[:3].tolist() == [2.0, 1.0, 2.0] and np.isnan(rank[3]) and rank[4:].tolist() == [2.0, 1.0]
    assert n.tolist() == [3, 3, 3, 3, 2, 2]
    low, _ = group_rank(np.array([5.0, 9.0, 1.0]), np.array([0, 0, 0]), higher_is_better=False)
    assert low.tolist() == [2.0, 3.0, 1.0]


def test_single_district_is_not_ranked(config):
    t = compute_all(obs(full_unit("a")), REGISTRY, config)
    r = t["ranks"]
    assert len(r) == 4 and not r["rank_allowed"].any() and r["rank"].isna().all()
    assert r["reason"].str.contains("少于3个").all()
    assert t["robustness"].empty


def test_three_districts_are_ranked_with_percentiles(config):
    rows = full_unit("a", scale=1.0) + full_unit("b", scale=0.5) + full_unit("c", scale=0.8)
    t = compute_all(obs(rows), REGISTRY, config)
    r = t["ranks"]
    ov = r[r["area"] == "overall"].set_index("unit_id")
    assert ov.loc[["a", "c", "b"], "rank"].tolist() == [1.0, 2.0, 3.0]
    assert ov.loc[["a", "c", "b"], "percentile"].tolist() == [100.0, 50.0, 0.0]
    assert (ov["n_peers"] == 3).all() and (ov["peer_group"] == "city").all()


def test_districts_of_other_cities_and_streets_are_not_peers(config):
    rows = obs(full_unit("a") + full_unit("b", scale=0.5) + full_unit("c", scale=0.8))
    other = obs(full_unit("x", scale=0.1), parent="other_city")
    street = obs(full_unit("s1", scale=0.3), level="street", parent="a")
    t = compute_all(pd.concat([rows, other, street], ignore_index=True), REGISTRY, config)
    r = t["ranks"]
    assert "s1" not in set(r["unit_id"])
    x = r[(r["unit_id"] == "x") & (r["area"] == "overall")].iloc[0]
    assert not x["rank_allowed"] and x["n_peers"] == 1


def test_small_denominator_rate_is_not_ranked(config):
    rows = []
    for u, (f, i) in {"a": (7, 7), "b": (18, 20), "c": (25, 30), "d": (40, 50)}.items():
        rows += [(u, 2023, "filed", f), (u, 2023, "issued", i)]
    t = compute_all(obs(rows), REGISTRY, config)
    ir = t["indicator_ranks"]
    fr = ir[ir["indicator_id"] == "filing_rate"].set_index("unit_id")
    assert not fr.loc["a", "rank_allowed"] and "分母7小于10" in fr.loc["a", "reason"]
    assert fr.loc[["b", "c", "d"], "rank"].tolist() == [1.0, 2.0, 3.0]
    assert (fr.loc[["b", "c", "d"], "n_peers"] == 3).all()


# ---------------------------------------------------------------- balance


def test_balance_percentiles_and_units_below_target(config):
    vals = {"s1": 100, "s2": 90, "s3": 70, "s4": 100, "s5": 40}
    names = {u: f"{u}街道" for u in vals}
    rows = [(u, 2023, "p1_rate", v) for u, v in vals.items()]
    t = compute_all(obs(rows, level="street", parent="a", names=names), REGISTRY, config)
    b = t["balance"]
    assert len(b) == 1
    row = b.iloc[0]
    arr = np.array(list(vals.values()), dtype=float)
    assert row["p10"] == pytest.approx(np.percentile(arr, 10)) and row["p90"] == pytest.approx(np.percentile(arr, 90))
    assert row["spread_p90_p10"] == pytest.approx(np.percentile(arr, 90) - np.percentile(arr, 10))
    assert (row["parent_unit_id"], row["unit_level"], row["n_units"], row["target"]) == ("a", "street", 5, 100)
    assert row["n_below_target"] == 3 and row["units_below_target"] == "s2街道, s3街道, s5街道"


def test_balance_needs_minimum_units_and_keeps_levels_apart(config):
    rows = obs([("s1", 2023, "p1_rate", 90), ("s2", 2023, "p1_rate", 80)], level="street", parent="a")
    deps = obs([(f"d{k}", 2023, "p1_rate", 100 - k) for k in range(4)], level="department", parent="a")
    b = compute_all(pd.concat([rows, deps], ignore_index=True), REGISTRY, config)["balance"].set_index("unit_level")
    assert np.isnan(b.loc["street", "p10"]) and b.loc["street", "n_units"] == 2
    assert b.loc["department", "n_units"] == 4 and not np.isnan(b.loc["department", "p90"])


# ---------------------------------------------------------------- robustness


def test_weight_grid_has_27_sets_base_first():
    g = weight_grid({"p1_effectiveness": 1.0, "p2_normative_docs": 1.0, "p3_enforcement": 1.0}, 0.2)
    assert g.shape == (27, 3) and g[0].tolist() == [1.0, 1.0, 1.0]
    assert sorted(set(np.round(g.ravel(), 6))) == [0.8, 1.0, 1.2]


def test_robustness_output_shape_and_stability(config):
    rows = (
        full_unit("a", scale=1.0) + full_unit("b", scale=0.5) + full_unit("c", scale=0.8) + full_unit("d", 2023, 0.79)
    )
    t = compute_all(obs(rows), REGISTRY, config)
    rb = t["robustness"].set_index("unit_id")
    assert list(t["robustness"].columns[:8]) == [
        "unit_id",
        "year",
        "peer_group",
        "base_rank",
        "min_rank",
        "max_rank",
        "rank_range",
        "stable",
    ]
    assert len(rb) == 4 and (rb["n_weight_sets"] == 27).all()
    assert (rb["min_rank"] <= rb["base_rank"]).all() and (rb["base_rank"] <= rb["max_rank"]).all()
    assert (rb["rank_range"] == rb["max_rank"] - rb["min_rank"]).all()
    assert rb.loc["a", "base_rank"] == 1 and rb.loc["a", "stable"]
    ranks = t["ranks"]
    base = ranks[ranks["area"] == "overall"].set_index("unit_id")["rank"]
    assert (rb["base_rank"] == base.loc[rb.index]).all()


def test_districts_without_parent_are_not_ranked_together(config):
    rows = obs(full_unit("a") + full_unit("b", scale=0.5) + full_unit("c", scale=0.8), parent=None)
    t = compute_all(rows, REGISTRY, config)
    assert not t["ranks"]["rank_allowed"].any() and t["ranks"]["reason"].str.contains("无上级单位").all()
    assert not t["indicator_ranks"]["rank_allowed"].any() and t["robustness"].empty
