"""Rates (Wilson intervals, NA denominators, approx flags, stated rates) and year-over-year change."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.metrics import compute_all, load_config, wilson_interval  # noqa: F401
from analysis.metrics.change import classify_change
from analysis.metrics.rates import safe_rate
from analysis.registry import validate_indicators
from conftest import config_with_count_goals, indicator

REGISTRY = validate_indicators(
    [
        indicator("issued", "件", "neutral", kind="count"),
        indicator("filed", "件", "higher_better", kind="count", at_most="issued"),
        indicator(
            "filing_rate", "%", "higher_better", kind="rate", numerator="filed", denominator="issued", target=100
        ),
        indicator("cases", "件", "neutral", area="p1_effectiveness", kind="count"),
        indicator("lost", "件", "lower_better", area="p1_effectiveness", kind="count"),
        indicator(
            "loss_rate",
            "%",
            "lower_better",
            area="p1_effectiveness",
            kind="rate",
            numerator="lost",
            denominator="cases",
        ),
        indicator("satisfaction", "%", "higher_better", area="p1_effectiveness", kind="rate"),
    ]
)


def obs(rows: list[tuple], parent: str = "city") -> pd.DataFrame:
    """rows: (unit_id, year, indicator_id, value or None[, approx])."""
    out = []
    for r in rows:
        unit, year, iid, value = r[:4]
        approx = bool(r[4]) if len(r) > 4 else False
        out.append(
            dict(
                unit_id=unit,
                unit_name=f"{unit}区",
                unit_level="district",
                parent_unit_id=parent,
                is_synthetic=True,
                year=year,
                indicator_id=iid,
                value=np.nan if value is None else value,
                measure="",
                value_state="not_reported" if value is None else ("approx" if approx else "exact"),
                approx=approx,
                scope="year",
            )
        )
    return pd.DataFrame(out)


@pytest.fixture(scope="module")
def config() -> dict:
    return config_with_count_goals()


def rate_row(tables: dict, unit: str, year: int, iid: str) -> pd.Series:
    r = tables["rates"]
    hit = r[(r["unit_id"] == unit) & (r["year"] == year) & (r["indicator_id"] == iid)]
    assert len(hit) == 1, hit
    return hit.iloc[0]


def test_wilson_known_values():
    low, high = wilson_interval(np.array([7, 0, 230]), np.array([7, 7, 236]))
    assert low[0] * 100 == pytest.approx(64.57, abs=0.01) and high[0] == 1.0
    assert low[1] == 0.0 and high[1] * 100 == pytest.approx(35.43, abs=0.01)
    # 230/236: centre ≈ 0.9686, interval ≈ [94.56, 98.83] (textbook Wilson)
    assert low[2] * 100 == pytest.approx(94.56, abs=0.01) and high[2] * 100 == pytest.approx(98.83, abs=0.01)


def test_wilson_and_rate_refuse_bad_denominators():
    low, high = wilson_interval(np.array([0, 3, 5, 1]), np.array([0, np.nan, 4, -1]))
    assert np.isnan(low).all() and np.isnan(high).all()
    r = safe_rate(np.array([0, 3, 5]), np.array([0, np.nan, 4]))
    assert np.isnan(r).all()  # never 0, never inf


def test_rates_from_counts_with_intervals_and_labels(config):
    t = compute_all(
        obs([("a", 2023, "filed", 7), ("a", 2023, "issued", 7), ("a", 2023, "lost", 0), ("a", 2023, "cases", 7)]),
        REGISTRY,
        config,
    )
    fr = rate_row(t, "a", 2023, "filing_rate")
    assert fr["rate"] == 100.0 and fr["ci_low"] == pytest.approx(64.6, abs=0.05) and fr["ci_high"] == 100.0
    assert fr["source"] == "computed" and fr["label"] == "100.0% (7/7)"
    assert (fr["numerator_id"], fr["denominator_id"]) == ("filed", "issued")
    lr = rate_row(t, "a", 2023, "loss_rate")
    assert lr["rate"] == 0.0 and lr["ci_low"] == 0.0 and lr["ci_high"] == pytest.approx(35.4, abs=0.05)


def test_zero_or_missing_denominator_gives_na(config):
    t = compute_all(
        obs([("a", 2023, "filed", 0), ("a", 2023, "issued", 0), ("b", 2023, "lost", 2), ("b", 2023, "cases", None)]),
        REGISTRY,
        config,
    )
    zero = rate_row(t, "a", 2023, "filing_rate")
    assert np.isnan(zero["rate"]) and np.isnan(zero["ci_low"]) and zero["note"] == "denominator 0"
    assert zero["label"] == "NA"
    missing = rate_row(t, "b", 2023, "loss_rate")
    assert np.isnan(missing["rate"]) and missing["note"] == "denominator missing"
    assert not np.isinf(t["rates"]["rate"].to_numpy(dtype=float)).any()


def test_numerator_above_denominator_is_na_with_note(config):
    t = compute_all(obs([("a", 2023, "filed", 9), ("a", 2023, "issued", 7)]), REGISTRY, config)
    row = rate_row(t, "a", 2023, "filing_rate")
    assert np.isnan(row["rate"]) and row["note"] == "numerator > denominator"


def test_approx_input_keeps_flag_on_rate(config):
    t = compute_all(obs([("a", 2023, "filed", 95, True), ("a", 2023, "issued", 100)]), REGISTRY, config)
    row = rate_row(t, "a", 2023, "filing_rate")
    assert bool(row["approx"]) and row["label"] == "≈95.0% (95/100)"


def test_stated_rate_only_is_kept_as_reported_without_interval(config):
    t = compute_all(obs([("a", 2023, "satisfaction", 98.5), ("a", 2023, "loss_rate", 12.0)]), REGISTRY, config)
    sat = rate_row(t, "a", 2023, "satisfaction")
    assert sat["rate"] == 98.5 and sat["source"] == "reported" and np.isnan(sat["ci_low"])
    assert sat["label"] == "98.5%"
    lr = rate_row(t, "a", 2023, "loss_rate")  # counts absent: the stated % is used
    assert lr["rate"] == 12.0 and lr["source"] == "reported"


def test_computed_rate_wins_over_stated(config):
    t = compute_all(
        obs([("a", 2023, "filed", 9), ("a", 2023, "issued", 10), ("a", 2023, "filing_rate", 100)]), REGISTRY, config
    )
    row = rate_row(t, "a", 2023, "filing_rate")
    assert row["rate"] == 90.0 and row["source"] == "computed" and row["reported_rate"] == 100.0


# ---------------------------------------------------------------- change


def change_row(tables: dict, unit: str, year: int, iid: str) -> pd.Series:
    c = tables["changes"]
    hit = c[(c["unit_id"] == unit) & (c["year"] == year) & (c["indicator_id"] == iid)]
    assert len(hit) == 1, hit
    return hit.iloc[0]


def test_missing_year_is_na_not_zero_change(config):
    t = compute_all(
        obs([("a", 2021, "filed", 5), ("a", 2023, "filed", 5), ("a", 2022, "lost", None), ("a", 2023, "lost", 1)]),
        REGISTRY,
        config,
    )
    gap = change_row(t, "a", 2023, "filed")  # 2022 absent
    assert gap["mark"] == "na" and gap["better"] == "na" and np.isnan(gap["delta"]) and gap["prev_year"] == 2022
    nr = change_row(t, "a", 2023, "lost")  # 2022 not reported
    assert nr["mark"] == "na" and np.isnan(nr["prev_value"])
    first = change_row(t, "a", 2021, "filed")
    assert first["mark"] == "na"


def test_neutral_band_rates_and_counts(config):
    rows = [
        ("a", 2022, "satisfaction", 90.0),
        ("a", 2023, "satisfaction", 90.9),
        ("b", 2022, "satisfaction", 90.0),
        ("b", 2023, "satisfaction", 91.5),
        ("a", 2022, "filed", 100),
        ("a", 2023, "filed", 104),
        ("b", 2022, "filed", 100),
        ("b", 2023, "filed", 90),
    ]
    t = compute_all(obs(rows), REGISTRY, config)
    flat = change_row(t, "a", 2023, "satisfaction")
    assert flat["mark"] == "flat" and flat["within_neutral_band"] and flat["better"] == "neutral"
    assert flat["delta"] == pytest.approx(0.9)
    up = change_row(t, "b", 2023, "satisfaction")
    assert up["mark"] == "up" and up["better"] == "better" and not up["within_neutral_band"]
    assert change_row(t, "a", 2023, "filed")["mark"] == "flat"  # +4 % < 5 %
    down = change_row(t, "b", 2023, "filed")
    assert down["mark"] == "down" and down["better"] == "worse" and down["delta_pct"] == pytest.approx(-10.0)


def test_direction_decides_better_and_neutral_indicators_are_not_judged(config):
    rows = [("a", 2022, "lost", 4), ("a", 2023, "lost", 1), ("a", 2022, "issued", 10), ("a", 2023, "issued", 20)]
    t = compute_all(obs(rows), REGISTRY, config)
    assert change_row(t, "a", 2023, "lost")["better"] == "better"  # lower_better going down
    issued = change_row(t, "a", 2023, "issued")
    assert issued["mark"] == "up" and issued["better"] == "neutral"


def test_change_from_zero_has_no_percentage():
    ch = classify_change(
        np.array([0.0, 0.0]), np.array([3.0, 0.0]), np.array(False), np.array("higher_better"), 1.0, 5.0
    )
    assert np.isnan(ch["delta_pct"]).all()
    assert ch["mark_code"].tolist() == [0, 2]  # up, flat


def test_approx_travels_to_change(config):
    t = compute_all(obs([("a", 2022, "filed", 50, True), ("a", 2023, "filed", 80)]), REGISTRY, config)
    assert bool(change_row(t, "a", 2023, "filed")["approx"])


def test_non_comparable_scope_is_left_out(config):
    o = obs([("a", 2022, "filed", 50), ("a", 2023, "filed", 80)])
    o.loc[o["year"] == 2023, "scope"] = "cumulative"
    t = compute_all(o, REGISTRY, config)
    c = t["changes"]
    assert not ((c["unit_id"] == "a") & (c["year"] == 2023)).any()
