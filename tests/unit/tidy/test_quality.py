import pandas as pd

from analysis.registry import validate_indicators
from analysis.tidy.quality import check_candidates, check_year_jumps

REG = validate_indicators(
    [
        {
            "id": "cases",
            "name_zh": "办理业务",
            "name_en": "cases",
            "measure": "件",
            "area": "p3_enforcement",
            "direction": "neutral",
            "framework_item": "行政执法严格规范公正文明",
            "keywords": [],
            "kind": "count",
            "parts": ["a", "b"],
        },
        {
            "id": "a",
            "name_zh": "甲",
            "name_en": "a",
            "measure": "件",
            "area": "p3_enforcement",
            "direction": "neutral",
            "framework_item": "行政执法严格规范公正文明",
            "keywords": [],
            "kind": "count",
            "at_most": "cases",
        },
        {
            "id": "b",
            "name_zh": "乙",
            "name_en": "b",
            "measure": "件",
            "area": "p3_enforcement",
            "direction": "neutral",
            "framework_item": "行政执法严格规范公正文明",
            "keywords": [],
            "kind": "count",
        },
        {
            "id": "rate",
            "name_zh": "成功率",
            "name_en": "rate",
            "measure": "%",
            "area": "p1_effectiveness",
            "direction": "higher_better",
            "framework_item": "社会矛盾纠纷依法有效预防化解",
            "keywords": [],
            "kind": "rate",
            "numerator": "a",
            "denominator": "cases",
        },
    ]
)


def cands(rows):
    return pd.DataFrame(
        [
            {
                "source_file": "f.txt",
                "unit_id": "u",
                "year": 2023,
                "indicator_id": i,
                "value": v,
                "locator": f"para {n}",
            }
            for n, (i, v) in enumerate(rows)
        ]
    )


def by_rule(f, rule):
    return f[f["rule"] == rule].reset_index(drop=True)


def test_parts_that_add_up_are_recorded_as_checked():
    f = check_candidates(cands([("cases", 76), ("a", 43), ("b", 33)]), REG)
    p = by_rule(f, "parts_vs_total")
    assert p.loc[0, "severity"] == "ok"
    assert "43 + 33 = 76，等于" in p.loc[0, "message"]


def test_parts_above_total_is_flagged_with_every_place():
    f = check_candidates(cands([("cases", 10), ("a", 8), ("b", 5)]), REG)
    p = by_rule(f, "parts_vs_total")
    assert p.loc[0, "severity"] == "warning"
    assert p.loc[0, "locator"] == "para 0" and p.loc[0, "source_file"] == "f.txt"
    assert p.loc[0, "detail"] == "a=8 at para 1; b=5 at para 2"


def test_approximate_values_do_not_contradict_a_total():
    c = cands([("cases", 10), ("a", 8), ("b", 5)]).assign(approx=[False, True, False])
    assert by_rule(check_candidates(c, REG), "parts_vs_total").loc[0, "severity"] == "info"


def test_rate_tolerance_follows_the_written_precision():
    # 2/3 = 66.67 %: a stated 67 % is within its rounding (±0.5), a stated 66.5 % is not (±0.05)
    assert (
        by_rule(check_candidates(cands([("cases", 3), ("a", 2), ("rate", 67)]), REG), "rate_vs_counts").loc[
            0, "severity"
        ]
        == "ok"
    )
    assert (
        by_rule(check_candidates(cands([("cases", 3), ("a", 2), ("rate", 66.5)]), REG), "rate_vs_counts").loc[
            0, "severity"
        ]
        == "warning"
    )


def test_rate_vs_counts_tolerates_rounding_but_not_errors():
    ok = by_rule(check_candidates(cands([("cases", 236), ("a", 230), ("rate", 97.5)]), REG), "rate_vs_counts")
    assert ok.loc[0, "severity"] == "ok"
    bad = by_rule(check_candidates(cands([("cases", 236), ("a", 230), ("rate", 99.0)]), REG), "rate_vs_counts")
    assert bad.loc[0, "severity"] == "warning" and "97.46%" in bad.loc[0, "message"]


def test_range_rules():
    f = check_candidates(cands([("rate", 120.0), ("b", -3)]), REG)
    assert set(f["rule"]) >= {"rate_out_of_range", "negative_count"}
    assert (f.loc[f["rule"].isin(["rate_out_of_range", "negative_count"]), "severity"] == "error").all()


def test_at_most():
    f = by_rule(check_candidates(cands([("cases", 5), ("a", 7)]), REG), "at_most")
    assert f.loc[0, "severity"] == "warning" and f.loc[0, "detail"] == "cases at para 0"


def test_missing_values_are_not_checked_as_zero():
    f = check_candidates(cands([("cases", 10), ("a", None), ("b", None)]), REG)
    assert by_rule(f, "parts_vs_total").empty


def test_year_jumps():
    obs = pd.DataFrame(
        {
            "unit_id": "u",
            "year": [2021, 2022, 2023, 2025],
            "indicator_id": "b",
            "value": [10.0, 60.0, 55.0, 1.0],
            "source_file": "s",
            "locator": "x",
        }
    )
    f = check_year_jumps(obs)
    assert list(f["year"]) == [2022]  # 2025 is not consecutive to 2023
