"""Indicator roles, the no-green-over-a-worsened-outcome guard, the coverage gate and the 要点 narrative (issue 9)."""

from __future__ import annotations

import copy
import hashlib
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from analysis.metrics import compute_all, load_config
from analysis.metrics import narrative as nar
from analysis.metrics.config import ConfigError
from analysis.registry import RegistryError, validate_indicators
from conftest import REPO, TESTS, indicator

GOLDEN = TESTS / "fixtures" / "narrative_seed_2023.csv"


def _ind(iid, unit, direction, area, role, zh=None, **kw):
    """A shared inline-registry entry with its role and, when given, its Chinese name."""
    return indicator(iid, unit, direction, area, **({"name_zh": zh} if zh is not None else {}), role=role, **kw)


REG = validate_indicators(
    [
        _ind("issued", "件", "neutral", "p2_normative_docs", "volume", kind="count", zh="出台文件"),
        _ind("filed", "件", "neutral", "p2_normative_docs", "volume", kind="count", zh="备案文件"),
        _ind(
            "filing_rate",
            "%",
            "higher_better",
            "p2_normative_docs",
            "outcome",
            kind="rate",
            target=100,
            numerator="filed",
            denominator="issued",
            zh="报备率",
        ),  # fmt: skip
        _ind(
            "timely_rate",
            "%",
            "higher_better",
            "p2_normative_docs",
            "outcome",
            kind="rate",
            target=100,
            zh="报备及时率",
        ),  # fmt: skip
        _ind("trainings", "次", "higher_better", "p2_normative_docs", "activity", kind="count", zh="培训"),
        _ind("cleanups", "次", "higher_better", "p2_normative_docs", "activity", kind="count", zh="清理"),
        _ind("satisf", "%", "higher_better", "p1_effectiveness", "outcome", kind="rate", target=100, zh="满意率"),
        _ind("loss_rate", "%", "lower_better", "p1_effectiveness", "outcome", kind="rate", target=0, zh="败诉率"),
        _ind("win_rate", "%", "higher_better", "p1_effectiveness", "outcome", kind="rate", zh="胜诉率"),
        _ind("cert_rate", "%", "higher_better", "p3_enforcement", "outcome", kind="rate", target=100, zh="持证率"),
        _ind("enf_train", "场", "higher_better", "p3_enforcement", "activity", kind="count", zh="执法培训"),
    ]
)


def cfg(**cov) -> dict:
    c = copy.deepcopy(load_config())
    c["normalization"]["per_indicator"] = {
        "trainings": {"floor": 0.0, "goal": 2.0},
        "cleanups": {"floor": 0.0, "goal": 1.0},
        "enf_train": {"floor": 0.0, "goal": 4.0},
    }
    c["roles"]["core_outcomes"] = {
        "p1_effectiveness": ["satisf", "loss_rate"],
        "p2_normative_docs": ["filing_rate", "timely_rate"],
        "p3_enforcement": ["cert_rate"],
    }
    c["coverage"]["min_core_outcomes"] = {"p1_effectiveness": 1, "p2_normative_docs": 1, "p3_enforcement": 1} | cov
    c["coverage"]["min_area_coverage"] = 0.0
    return c


def obs(rows, names=None) -> pd.DataFrame:
    """rows: (unit_id, year, indicator_id, value or None[, approx])."""
    out = []
    for r in rows:
        unit, year, iid, value = r[:4]
        apx = bool(r[4]) if len(r) > 4 else False
        out.append(dict(unit_id=unit, unit_name=(names or {}).get(unit, unit), unit_level="district",
                        parent_unit_id="city", is_synthetic=True, year=year, indicator_id=iid,
                        value=np.nan if value is None else value, measure="",
                        value_state="not_reported" if value is None else ("approx" if apx else "exact"),
                        approx=apx, scope="year", source_file=f"{unit}.xlsx", locator=f"数据!{iid}{year}",
                        fact_id=f"{unit}:{iid}:{year}"))  # fmt: skip
    return pd.DataFrame(out)


def run(rows, config=None, problems=None, units=None, names=None):
    config = config or cfg()
    o = obs(rows, names)
    t = compute_all(o, REG, config)
    n = nar.build_narrative(t, o, REG, config, problems, units)
    return t, n


def sentences(n, unit="a", year=2024, area=None):
    sel = (n["unit_id"] == unit) & (n["year"] == year)
    if area is not None:
        sel &= n["area"] == area
    return n.loc[sel, "sentence"].tolist()


def area_row(t, unit, year, area):
    s = t["area_scores"]
    return s[(s["unit_id"] == unit) & (s["year"] == year) & (s["area"] == area)].iloc[0]


def p2_pair(issued24=9, filed24=8, trainings24=2):
    return [
        ("a", 2023, "issued", 7), ("a", 2023, "filed", 7), ("a", 2023, "trainings", 1), ("a", 2023, "cleanups", 3),
        ("a", 2024, "issued", issued24), ("a", 2024, "filed", filed24), ("a", 2024, "trainings", trainings24),
        ("a", 2024, "cleanups", 3),
    ]  # fmt: skip


# ---------------------------------------------------------------- roles and scores


def test_registry_file_gives_every_scored_indicator_a_role(indicators):
    ind = indicators
    scored = ind[ind["area"] != "context"]
    assert scored["role"].isin(["outcome", "activity", "volume"]).all()
    assert ind.loc["nd_filing_rate", "role"] == "outcome" and ind.loc["nd_training_sessions", "role"] == "activity"
    assert ind.loc["nd_issued", "role"] == "volume"
    core = load_config()["roles"]["core_outcomes"]
    for area, ids in core.items():
        assert ids and all(
            i in ind.index and ind.loc[i, "role"] == "outcome" and ind.loc[i, "area"] == area for i in ids
        )


def test_registry_role_is_validated():
    bad = _ind("x", "%", "higher_better", "p1_effectiveness", "result", kind="rate")
    with pytest.raises(RegistryError, match="role"):
        validate_indicators([bad])
    missing = {k: v for k, v in _ind("x", "%", "higher_better", "p1_effectiveness", "outcome").items() if k != "role"}
    with pytest.raises(RegistryError, match="缺少字段 role"):
        validate_indicators([missing], require_role=True)


def test_activities_are_a_minority_share_and_volume_is_never_scored():
    t, _ = run([("a", 2023, "issued", 10), ("a", 2023, "filed", 5), ("a", 2023, "trainings", 2)])
    p2 = area_row(t, "a", 2023, "p2_normative_docs")
    share = load_config()["roles"]["activity_share"]
    assert p2["score"] == pytest.approx(100 * ((1 - share) * 0.5 + share * 1.0))
    assert "issued" not in set(t["normalized"]["indicator_id"].astype(str))


def test_coverage_gate_says_data_insufficient_and_names_the_missing():
    t, n = run([("a", 2023, "satisf", 90), ("a", 2023, "trainings", 2)], cfg(p1_effectiveness=2))
    p1 = area_row(t, "a", 2023, "p1_effectiveness")
    assert np.isnan(p1["score"]) and "数据不足" in p1["reason"] and p1["missing_core"] == "loss_rate"
    s = sentences(n, year=2023, area="p1_effectiveness")
    assert "P1成效与均衡数据不足，不计分：核心结果指标仅1/2项已报告。" in s
    assert "败诉率未报告。" in s
    # activities alone never make a score
    p2 = area_row(t, "a", 2023, "p2_normative_docs")
    assert np.isnan(p2["score"]) and "数据不足" in p2["reason"]


# ---------------------------------------------------------------- the guard


def test_constructed_p2_case_inline_is_a_decline_naming_the_rate():
    t, n = run(p2_pair())
    p2 = area_row(t, "a", 2024, "p2_normative_docs")
    assert p2["headline_mark"] == "down" and p2["worsened"] == "filing_rate"
    assert "报备率88.9%（8/9），较上年100%（7/7）下降。" in sentences(n, area="p2_normative_docs")


def test_green_mark_never_stands_over_a_worsened_outcome():
    """The score rises (two more activities) while the outcome falls: the headline is still a decline."""
    rows = [
        ("a", 2023, "issued", 20), ("a", 2023, "filed", 20), ("a", 2023, "trainings", 0), ("a", 2023, "cleanups", 0),
        ("a", 2024, "issued", 20), ("a", 2024, "filed", 19), ("a", 2024, "trainings", 2), ("a", 2024, "cleanups", 1),
    ]  # fmt: skip
    t, n = run(rows)
    p2 = area_row(t, "a", 2024, "p2_normative_docs")
    assert p2["score_mark"] == "up" and p2["headline_mark"] == "down" and p2["worsened"] == "filing_rate"
    assert area_row(t, "a", 2024, "overall")["headline_mark"] == "down"
    s = sentences(n, area="p2_normative_docs")
    assert "报备率95%（19/20），较上年100%（20/20）下降。" in s
    assert not any("上升" in x for x in s)


def test_decline_inside_the_wilson_interval_is_not_a_real_worsening():
    rows = [("a", 2023, "issued", 100), ("a", 2023, "filed", 52), ("a", 2024, "issued", 100), ("a", 2024, "filed", 50)]
    t, _ = run(rows)
    ch = t["changes"]
    fr = ch[(ch["indicator_id"] == "filing_rate") & (ch["year"] == 2024)].iloc[0]
    assert fr["better"] == "worse"  # beyond the 1-point band …
    assert area_row(t, "a", 2024, "p2_normative_docs")["worsened"] == ""  # … but inside sampling noise


def test_stated_rate_without_counts_is_judged_by_the_band_alone():
    t, n = run([("a", 2023, "satisf", 100), ("a", 2024, "satisf", 97)])
    assert area_row(t, "a", 2024, "p1_effectiveness")["worsened"] == "satisf"
    assert "满意率97%，较上年100%下降。" in sentences(n, area="p1_effectiveness")


def test_lower_better_outcome_rising_is_a_worsening():
    t, n = run([("a", 2023, "loss_rate", 5), ("a", 2024, "loss_rate", 12)])
    assert area_row(t, "a", 2024, "p1_effectiveness")["headline_mark"] == "down"
    assert "败诉率12%，较上年5%上升，属于变差。" in sentences(n, area="p1_effectiveness")


# ---------------------------------------------------------------- template branches


def test_score_change_branches():
    up = [("a", 2023, "satisf", 80), ("a", 2024, "satisf", 90)]
    _, n = run(up)
    assert "P1成效与均衡得分较上年80上升10分，结果指标未见下降。" in sentences(n, area="p1_effectiveness")
    flat = [("a", 2023, "satisf", 90), ("a", 2024, "satisf", 90.5)]
    _, n = run(flat)
    assert "P1成效与均衡得分与上年90相比无实质变化。" in sentences(n, area="p1_effectiveness")
    down = [("a", 2023, "satisf", 90), ("a", 2023, "trainings", 0), ("a", 2023, "filed", 5), ("a", 2023, "issued", 5),
            ("a", 2024, "filed", 5), ("a", 2024, "issued", 5), ("a", 2024, "trainings", 0), ("a", 2024, "cleanups", 0),
            ("a", 2023, "cleanups", 1)]  # fmt: skip
    _, n = run(down)
    assert "P2规范性文件备案审查得分较上年90上升".replace("上升", "下降") not in sentences(n, area="p2_normative_docs")
    assert "P2规范性文件备案审查得分较上年90下降10分。" in sentences(n, area="p2_normative_docs")


def test_level_branches_against_the_fixed_target():
    rows = [("a", 2023, "satisf", 100), ("a", 2023, "loss_rate", 8), ("a", 2023, "win_rate", 70),
            ("a", 2023, "cert_rate", 92.5), ("a", 2023, "filed", 3), ("a", 2023, "issued", 4)]  # fmt: skip
    _, n = run(rows)
    p1 = sentences(n, year=2023, area="p1_effectiveness")
    assert "满意率100%，达到目标100%。" in p1 and "败诉率8%，高于目标0%。" in p1
    assert "持证率92.5%，低于目标100%。" in sentences(n, year=2023, area="p3_enforcement")
    assert "报备率75%（3/4），低于目标100%。" in sentences(n, year=2023, area="p2_normative_docs")
    cfg_plain = cfg()
    cfg_plain["roles"]["core_outcomes"]["p1_effectiveness"] = ["win_rate"]
    _, n = run([("a", 2023, "win_rate", 70)], cfg_plain)
    assert "胜诉率70%。" in sentences(n, year=2023, area="p1_effectiveness")


def test_peer_sentence_only_where_a_rank_is_allowed():
    three = [(u, 2023, "satisf", v) for u, v in (("a", 90), ("b", 80), ("c", 70))]
    three += [(u, 2023, k, 90) for u in "abc" for k in ("loss_rate",)]
    three += [(u, 2023, "cert_rate", 95) for u in "abc"] + [(u, 2023, "filed", 9) for u in "abc"]
    three += [(u, 2023, "issued", 10) for u in "abc"]
    _, n = run(three)
    assert any("同组3个区县中列第" in s for s in sentences(n, "a", 2023, "p1_effectiveness"))
    _, n1 = run([r for r in three if r[0] == "a"])
    assert not any("同组" in s for s in n1["sentence"])


def test_problem_and_gap_sentences_and_unit_and_city_blocks():
    problems = pd.DataFrame(
        [
            dict(
                unit_id="a",
                year=2024,
                area="p2_normative_docs",
                text="(二)规范性文件备案审查有待完善。起草部门不熟悉流程。",
                span_start=10,
                span_end=40,
                source_file="r.txt",
                problem_no=2,
            )
        ]  # fmt: skip
    )
    units = pd.DataFrame(
        [
            dict(unit_id="city", name="甲市", level="city", city="甲市"),
            dict(unit_id="a", name="甲区", level="district", city="甲市"),
            dict(unit_id="b", name="乙区", level="district", city="甲市"),
        ]  # fmt: skip
    )
    rows = p2_pair() + [("b", 2024, "satisf", 99), ("a", 2024, "satisf", 98), ("a", 2023, "satisf", 98)]
    t, n = run(rows, problems=problems, units=units, names={"a": "甲区", "b": "乙区"})
    p2 = n[(n["unit_id"] == "a") & (n["year"] == 2024) & (n["area"] == "p2_normative_docs")]
    prob = p2[p2["kind"] == "problem"].iloc[0]
    assert prob["sentence"] == "报告自述问题：规范性文件备案审查有待完善。" and prob["evidence"] == "r.txt#chars 10-40"
    assert "报备及时率未报告。" in p2["sentence"].tolist()
    whole = sentences(n, area="")
    assert whole[0].startswith("P1成效与均衡98分；P2规范性文件备案审查")
    assert "需关注：报备率88.9%（8/9），上年100%（7/7）。" in whole
    assert "报告自述存在问题：规范性文件备案审查有待完善。" in whole
    assert any(s.startswith("核心结果指标") and "持证率" in s for s in whole)
    city = n[(n["level"] == "city") & (n["year"] == 2024)]
    assert set(city["unit_id"]) == {"city"}
    cs = city["sentence"].tolist()
    assert "P1成效与均衡：甲区98分、乙区99分。" in cs
    assert "结果指标下降：甲区报备率88.9%（8/9），上年100%（7/7）。" in cs
    assert any(s.startswith("未报告较多：") for s in cs) and "甲区报告自述问题：规范性文件备案审查有待完善。" in cs
    a_prev = sentences(n, "a", 2024, "")
    assert "各领域结果指标未见实质下降。" not in a_prev
    _, n2 = run([("a", 2023, "satisf", 98), ("a", 2024, "satisf", 98)])
    assert "各领域结果指标未见实质下降。" in sentences(n2, area="")


def _streets(rows, parent="a"):
    """Street-level observations under district ``parent``: rows (street, year, indicator_id, value)."""
    o = obs(rows)
    return o.assign(unit_level="street", parent_unit_id=parent, unit_name=o["unit_id"])


def _run_with_streets(district_rows, street_rows, config=None):
    config = config or cfg()
    o = pd.concat([obs(district_rows), _streets(street_rows)], ignore_index=True)
    t = compute_all(o, REG, config)
    return t, nar.build_narrative(t, o, REG, config)


def test_p1_balance_branches_spread_below_target_at_target_few_and_none():
    base = [("a", 2023, "satisf", 95), ("a", 2023, "loss_rate", 0)]
    # spread of the core outcome across four streets, three of them below the fixed target
    streets = [("s1", 2023, "satisf", 100), ("s2", 2023, "satisf", 90), ("s3", 2023, "satisf", 80),
               ("s4", 2023, "satisf", 96), ("s1", 2023, "win_rate", 10), ("s2", 2023, "win_rate", 90),
               ("s3", 2023, "win_rate", 50)]  # fmt: skip
    t, n = _run_with_streets(base, streets)
    b = t["balance"].set_index("indicator_id").loc["satisf"]
    low, high = nar.fmt_num(b["p10"]), nar.fmt_num(b["p90"])
    p1 = n[(n["unit_id"] == "a") & (n["area"] == "p1_effectiveness")]
    row = p1[p1["kind"] == "balance"].iloc[0]
    # the core outcome (满意率) is chosen over the wider spread of a non-core rate (胜诉率)
    assert row["sentence"] == f"4个街道的满意率多在{low}%至{high}%之间，其中3个未达到目标100%：s2、s3、s4。"
    assert row["indicator_ids"] == "satisf"
    # all at target
    at = [(s, 2023, "satisf", 100) for s in ("s1", "s2", "s3")]
    _, n = _run_with_streets(base, at)
    assert "3个街道的满意率多在100%至100%之间，均达到目标100%。" in sentences(n, year=2023, area="p1_effectiveness")
    # a balance row without a target (no explicit target for the sub-units): the spread alone
    o = pd.concat([obs(base), _streets(streets)], ignore_index=True)
    t, c = compute_all(o, REG, cfg()), cfg()
    t["balance"] = t["balance"].assign(target=np.nan, n_below_target=pd.NA)
    n = nar.build_narrative(t, o, REG, c)
    got = [s for s in sentences(n, year=2023, area="p1_effectiveness") if "街道" in s]
    assert got == [f"4个街道的满意率多在{low}%至{high}%之间。"]
    # sub-unit data, but too few streets for a spread
    _, n = _run_with_streets(base, [("s1", 2023, "satisf", 100), ("s2", 2023, "satisf", 90)])
    assert "街道分项数据不足：结果指标均少于3个街道报告，无法判断街道之间是否均衡。" in sentences(
        n, year=2023, area="p1_effectiveness"
    )
    # no sub-unit data at all: said, never silent
    _, n = run(base)
    s = sentences(n, year=2023, area="p1_effectiveness")
    assert "暂无街道、部门分项数据，无法判断街道、部门之间是否均衡。" in s
    assert not any("街道" in x for x in sentences(n, year=2023, area="p2_normative_docs"))


def test_a_long_p1_block_drops_target_levels_before_balance_problem_or_gap():
    problems = pd.DataFrame([dict(unit_id="a", year=2023, area="p1_effectiveness", text="(一)成效不均衡。",
                                  span_start=0, span_end=5, source_file="r.txt")])  # fmt: skip
    c = cfg()
    c["roles"]["core_outcomes"]["p1_effectiveness"] = ["satisf", "loss_rate", "win_rate"]
    o = obs([("a", 2023, "satisf", 90), ("a", 2023, "loss_rate", 5)])
    t = compute_all(o, REG, c)
    n = nar.build_narrative(t, o, REG, c, problems)
    kinds = n[(n["area"] == "p1_effectiveness")].sort_values("seq")["kind"].tolist()
    assert kinds == ["level", "level", "level", "balance", "problem", "gap"]
    t2 = copy.deepcopy(nar.load_templates())
    t2["max_sentences"] = 4
    n = nar.build_narrative(t, o, REG, c, problems, templates=t2)
    p1 = n[(n["area"] == "p1_effectiveness")].sort_values("seq")
    assert p1["kind"].tolist() == ["level", "balance", "problem", "gap"]
    assert p1["sentence"].iloc[0].startswith("P1成效与均衡")


def test_every_template_key_is_exercised_by_the_tests_above():
    """Guard against a template nobody renders: each key has a branch in the builder."""
    src = Path(nar.__file__).read_text(encoding="utf-8")
    for key in nar.REQUIRED_TEMPLATES:
        assert f'"{key}"' in src, key


def test_missing_data_never_yields_a_blank_or_a_zero():
    t = nar.load_templates()
    assert nar.render(t, "level_at_target", name="报备率", value=None, target="100%") is None
    assert nar.render(t, "gap", missing="") is None
    assert nar.render(t, "gap", missing="报备及时率") == "报备及时率未报告。"
    _, n = run([("a", 2023, "issued", 5), ("a", 2023, "filed", None), ("a", 2023, "trainings", 1)])
    assert not n["sentence"].str.contains(r"\{|\}|None|nan|：。|，。").any()
    assert not any("报备率0" in s for s in n["sentence"])


def test_approximate_values_keep_their_marker():
    assert nar.count_text(80, "人次", True, "80余人次") == "80余人次"
    assert nar.count_text(300, "件", True, "近300件") == "近300件"
    assert nar.count_text(995, "人次", False, "995人次") == "995人次"
    assert nar.rate_text(88.8889, 8, 9) == "88.9%（8/9）" and nar.rate_text(100.0) == "100%"


def test_templates_are_validated(tmp_path):
    doc = yaml.safe_load((REPO / "config" / "narrative.yaml").read_text(encoding="utf-8"))
    doc["templates"]["gap"] = "{indicator}未报告。"
    with pytest.raises(ConfigError, match=r"templates\.gap.*indicator"):
        nar.validate_templates(doc, "narrative.yaml")
    del doc["templates"]["problem"]
    with pytest.raises(ConfigError, match=r"templates\.problem：缺少此项"):
        nar.validate_templates(doc, "narrative.yaml")


# ---------------------------------------------------------------- property: every printed number is a metrics value

NUM = re.compile(r"\d+(?:\.\d+)?")


def _allowed_numbers(t: dict, config: dict) -> set[str]:
    vals: set[float] = set()
    for name, cols in {
        "rates": ["rate", "numerator", "denominator"],
        "changes": ["value", "prev_value"],
        "area_scores": ["score", "prev_score", "n_core", "n_core_total"],
        "ranks": ["rank", "n_peers"],
        "normalized": ["target_or_anchor"],
        "balance": ["n_units", "p10", "p90", "target", "n_below_target"],
    }.items():
        for c in cols:
            vals |= set(pd.to_numeric(t[name][c], errors="coerce").dropna().astype(float))
    vals |= set(np.abs(pd.to_numeric(t["area_scores"]["score_delta"], errors="coerce").dropna()))
    vals |= {float(x) for x in REG["target"].dropna()}
    vals.add(float(config["balance"]["min_units"]))
    return {nar.fmt_num(v) for v in vals} | {nar.fmt_num(v, 0) for v in vals if float(v).is_integer()}


cells = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "s1", "s2", "s3", "s4"]),  # s*: streets of district a (P1 balance)
        st.sampled_from([2023, 2024]),
        st.sampled_from(["issued", "filed", "trainings", "cleanups", "satisf", "loss_rate", "cert_rate", "enf_train"]),
        st.one_of(
            st.none(), st.integers(0, 40).map(float), st.floats(0, 100, allow_nan=False).map(lambda x: round(x, 2))
        ),
    ),
    min_size=1,
    max_size=30,
    unique_by=lambda r: r[:3],
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells)
@example(
    [
        ("a", 2024, "satisf", 93.3),
        ("s1", 2024, "satisf", 91.25),
        ("s2", 2024, "satisf", 100.0),
        ("s3", 2024, "satisf", 87.5),
        ("a", 2023, "issued", 7.0),
        ("a", 2023, "filed", 7.0),
        ("a", 2024, "issued", 9.0),
        ("a", 2024, "filed", 8.0),
    ]
)  # fmt: skip  (a balance and a worsened rate)
def test_every_number_in_a_sentence_is_a_value_of_the_metrics_tables(rows):
    rows = [(u, y, i, v if v is None or i.endswith("rate") or v <= 40 else round(v)) for u, y, i, v in rows]
    config = cfg()
    o = obs(rows)
    street = o["unit_id"].str.startswith("s")
    o.loc[street, "unit_level"], o.loc[street, "parent_unit_id"] = "street", "a"
    t = compute_all(o, REG, config)
    n = nar.build_narrative(t, o, REG, config)
    allowed = _allowed_numbers(t, config)
    for s in n["sentence"]:
        for num in NUM.findall(s.replace("P1", "").replace("P2", "").replace("P3", "")):
            assert num in allowed, (num, s)


# ---------------------------------------------------------------- the seed and the constructed 2024 report


def _build_seed(tmp: Path, with_2024: bool) -> Path:
    from analysis.metrics.pipeline import build

    src = REPO / "data" / "raw" / "reports" / "马村区" / "2023"
    raw = tmp / "raw"
    shutil.copytree(src, raw / "reports" / "马村区" / "2023")
    if with_2024:
        text = (src / "000_280033b0075f93d2.txt").read_text(encoding="utf-8")
        new = text.replace("2023", "2024").replace("出台行政规范性文件7件,备案7件", "出台行政规范性文件9件,备案8件")
        new = new.replace("备案培训1次", "备案培训2次")
        assert new.count("备案8件") == 1 and new.count("备案培训2次") == 1
        d = raw / "reports" / "马村区" / "2024"
        d.mkdir(parents=True)
        (d / "report2024.txt").write_text(new, encoding="utf-8")
        side = (src / "000_280033b0075f93d2.source.yaml").read_text(encoding="utf-8")
        side = side.replace("000_280033b0075f93d2.txt", "report2024.txt").replace(
            "year_covered: 2023", "year_covered: 2024"
        )
        side = side.replace("published: 2024-01-05", "published: 2025-01-05")
        side = re.sub(r"sha256: \w+", "sha256: " + hashlib.sha256(new.encode("utf-8")).hexdigest(), side)
        (d / "report2024.source.yaml").write_text(side, encoding="utf-8")
    processed = tmp / "processed"
    build(raw_dir=raw, processed_dir=processed, include_sample=False)
    return processed


@pytest.fixture(scope="module")
def constructed(tmp_path_factory) -> Path:
    return _build_seed(tmp_path_factory.mktemp("p2case"), with_2024=True)


def test_constructed_2024_report_p2_shows_a_decline_never_a_green_up(constructed):
    from analysis.tidy import load

    sc = load.load_metric("area_scores", constructed)
    p2 = sc[(sc["unit_id"] == "jiaozuo-macun") & (sc["year"] == 2024) & (sc["area"] == "p2_normative_docs")].iloc[0]
    assert p2["headline_mark"] == "down" and p2["worsened"] == "nd_filing_rate"
    assert p2["score"] < p2["prev_score"]
    n = load.load_narrative(constructed, unit_id="jiaozuo-macun", year=2024, area="p2_normative_docs")
    row = n[n["kind"] == "change"].iloc[0]
    assert row["sentence"] == "规范性文件报备率88.9%（8/9），较上年100%（7/7）下降。"
    assert row["indicator_ids"] == "nd_filing_rate;nd_filed;nd_issued"
    assert "report2024.txt#para" in row["evidence"] and "000_280033b0075f93d2.txt#para" in row["evidence"]
    whole = load.load_narrative(constructed, unit_id="jiaozuo-macun", year=2024, area="")
    assert "需关注：规范性文件报备率88.9%（8/9），上年100%（7/7）。" in whole["sentence"].tolist()


def test_seed_2023_narrative_is_pinned(tmp_path):
    from analysis.tidy import load

    n = load.load_narrative(_build_seed(tmp_path, with_2024=False), year=2023)
    got = n[["level", "unit_id", "area", "seq", "kind", "sentence", "indicator_ids"]].fillna("")
    want = pd.read_csv(GOLDEN, dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(got.astype(str).reset_index(drop=True), want.astype(str))


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_position"))]


def test_constructed_case_brief_shows_red_down_naming_the_rate_and_outcomes_first(constructed):
    from analysis.present.briefs import brief_figure, header_lines
    from analysis.tidy import load

    units, obs = load.load_units(constructed), load.load_observations(constructed)
    scores, ranks = load.load_metric("area_scores", constructed), load.load_metric("ranks", constructed)
    ind = load.load_indicators()
    unit = units.set_index("unit_id", drop=False).loc["jiaozuo-macun"]
    p2 = header_lines(unit, 2024, scores, ranks)[1]
    assert p2[0] == "p2_normative_docs" and p2[1].endswith("▼") and "▲" not in p2[1]
    fig = brief_figure(
        "jiaozuo-macun", 2024, obs, ind, units, scores, ranks, 1.0, load.load_metric("rates", constructed),
        load.load_metric("narrative", constructed), load.load_metric("changes", constructed),
    )  # fmt: skip
    texts = "\n".join(_texts(fig))
    assert "要点" in texts and "需关注：规范性文件报备率88.9%（8/9），上年100%（7/7）。" in texts.replace("\n", "")
    assert "▼ 规范性文件报备率88.9%（8/" in texts
    assert "规范性文件报备率（结果）" in texts  # outcomes lead the P2 panel, with last year beside them
    assert "100%（7/7）" in texts


def test_ranked_rows_put_outcomes_first_then_real_changes():
    from analysis.present.briefs import ranked_rows

    rows = pd.DataFrame(
        {
            "indicator_id": ["issued", "trainings", "filing_rate", "timely_rate"],
            "name_zh": ["出台", "培训", "报备率", "及时率"],
            "value_state": ["exact", "exact", "computed", "not_reported"],
            "value": [9.0, 2.0, 88.9, np.nan],
            "value_text": ["9件", "2次", "88.9%（8/9）", "未报告"],
            "evidence": ["", "", "", ""],
            "source_file": ["", "", "", ""],
            "locator": ["", "", "", ""],
        }
    )
    t, _ = run(p2_pair())
    shown, footer = ranked_rows(rows, REG, "a", 2024, t["changes"], t["rates"], ["a"], max_rows=3)
    assert shown["indicator_id"].tolist()[0] == "filing_rate"
    assert shown.loc[0, "prev_text"] == "100%（7/7）" and shown.loc[0, "peer_text"] == "—"
    assert "另有" in footer


def test_approximate_values_keep_the_marker_their_source_wrote():
    from analysis.metrics.narrative import count_text, rate_text

    assert rate_text(95.0, approx=True, number_text="95%以上") == "95%以上"
    assert rate_text(90.0, approx=True, number_text="近90%") == "近90%"
    assert rate_text(97.5, approx=True) == "约97.5%"  # computed from approximate counts: no surface of its own
    assert rate_text(88.888, 8, 9) == "88.9%（8/9）"
    assert count_text(80, "人次", approx=True, number_text="80余人次") == "80余人次"
    assert count_text(80, "人次", approx=True) == "约80人次"  # never '80约人次'


def test_brief_rows_lead_with_the_worsened_outcome_then_real_changes_never_registry_order():
    """A volume count tripling (1 → 3, +200 %) never outranks a rate's real change in percentage points; the outcome
    that got worse comes first and carries ▼; the counts behind a rate already shown come last."""
    from analysis.present.briefs import ranked_rows

    ids = ["issued", "filed", "cleanups", "trainings", "timely_rate", "filing_rate"]  # registry-like order
    rows = pd.DataFrame(
        {
            "indicator_id": ids,
            "name_zh": ["出台", "备案", "清理", "培训", "及时率", "报备率"],
            "value_state": ["exact", "exact", "exact", "exact", "exact", "computed"],
            "value": [30.0, 24.0, 3.0, 2.0, 80.0, 80.0],
            "value_text": ["30件", "24件", "3次", "2次", "80%", "80%（24/30）"],
            "evidence": [""] * 6,
            "source_file": [""] * 6,
            "locator": [""] * 6,
        }
    )
    data = [
        ("a", 2023, "issued", 10), ("a", 2023, "filed", 10), ("a", 2023, "cleanups", 1), ("a", 2023, "trainings", 2),
        ("a", 2023, "timely_rate", 90), ("a", 2024, "issued", 30), ("a", 2024, "filed", 24),
        ("a", 2024, "cleanups", 3), ("a", 2024, "trainings", 2), ("a", 2024, "timely_rate", 80),
    ]  # fmt: skip
    t, _ = run(data)
    worsened = set(area_row(t, "a", 2024, "p2_normative_docs")["worsened"].split(";"))
    assert worsened == {"filing_rate", "timely_rate"} or "filing_rate" in worsened
    shown, _ = ranked_rows(rows, REG, "a", 2024, t["changes"], t["rates"], ["a"], max_rows=6, worsened=worsened)
    order = shown["indicator_id"].tolist()
    # outcomes first, the larger real worsening (100 % → 80 %: 20 points) before the smaller (90 % → 80 %)
    assert order[:2] == ["filing_rate", "timely_rate"], order
    assert shown.loc[0, "mark"] == "worse" and shown.loc[0, "prev_text"] == "100%（10/10）"
    # then the activity with a real change, then the activity without one; the rate's own counts last
    assert order[2:4] == ["cleanups", "trainings"], order
    assert set(order[4:]) == {"issued", "filed"}
    # a worsening inside sampling noise (not in the area's worsened list) gets no ▼
    shown, _ = ranked_rows(rows, REG, "a", 2024, t["changes"], t["rates"], ["a"], max_rows=6, worsened=set())
    assert (shown["mark"] == "").all()


def test_an_unreported_core_outcome_stays_on_the_brief_before_other_outcomes():
    from analysis.present.briefs import ranked_rows

    rows = pd.DataFrame(
        {
            "indicator_id": ["win_rate", "loss_rate", "satisf"],
            "name_zh": ["胜诉率", "败诉率", "满意率"],
            "value_state": ["exact", "not_reported", "exact"],
            "value": [80.0, np.nan, 99.0],
            "value_text": ["80%", "未报告", "99%"],
            "evidence": [""] * 3,
            "source_file": [""] * 3,
            "locator": [""] * 3,
        }
    )
    t, _ = run([("a", 2024, "win_rate", 80), ("a", 2024, "satisf", 99)])
    core = tuple(i for ids in cfg()["roles"]["core_outcomes"].values() for i in ids)
    shown, _ = ranked_rows(rows, REG, "a", 2024, t["changes"], t["rates"], ["a"], max_rows=2, core_outcomes=core)
    assert shown["indicator_id"].tolist() == ["satisf", "loss_rate"]
