"""The fictional 示例市 panel (analysis.ingest.sample): deterministic, synthetic, realistic, with its planted problems."""

from __future__ import annotations

import csv
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.ingest import sample
from analysis.ingest.datasets import SYNTHETIC_MARK, read_dataset
from analysis.registry import UNITS_FILE, validate_indicators
from analysis.tidy.quality import check_dataset
from conftest import SHARED, indicator

GOLD_FILE = SHARED / "seed" / "seed_gold.csv"


def _entry(iid: str, unit: str, kind: str, **extra: object) -> dict:
    """A shared inline-registry entry in area context, with a name and keyword of its own."""
    return indicator(iid, unit, area="context", name_zh=f"指标{iid}", keywords=[f"关键词{iid}"], kind=kind, **extra)


@pytest.fixture(scope="module")
def reg() -> pd.DataFrame:
    return validate_indicators(
        [
            _entry("nd_issued", "件", "count"),
            _entry("nd_filed", "件", "count", at_most="nd_issued"),
            _entry("nd_filing_rate", "%", "rate", numerator="nd_filed", denominator="nd_issued"),
            _entry("lit_cases", "件", "count"),
            _entry("lit_concluded", "件", "count", at_most="lit_cases"),
            _entry("med_cases", "件", "count", parts=["med_complex_cases"]),
            _entry("med_complex_cases", "件", "count", at_most="med_cases"),
            _entry("med_successes", "件", "count", at_most="med_cases"),
            _entry("med_success_rate", "%", "rate", numerator="med_successes", denominator="med_cases"),
            _entry("svc_one_thing_handled", "件", "count",
                   parts=["svc_one_thing_business_startups", "svc_one_thing_individual_businesses"]),
            _entry("svc_one_thing_business_startups", "件", "count"),
            _entry("svc_one_thing_individual_businesses", "件", "count"),
            _entry("enf_exam_participation_rate", "%", "rate"),
            _entry("open_info_disclosed", "条", "count"),
            _entry("pls_complaints", "件", "count"),
            _entry("med_amount", "万元", "money"),
            _entry("x_new_count", "件", "count"),  # no gold value: the 件 default
            _entry("x_area", "平方米", "count"),  # no gold value, no default: left out
            _entry("x_amount", "件", "amount"),  # kind the sample does not fill
        ]
    )  # fmt: skip


@pytest.fixture(scope="module")
def panel(reg) -> pd.DataFrame:
    return sample.generate_sample_panel(reg)


@pytest.fixture(scope="module")
def result(reg):
    return check_dataset(sample.sample_facts(reg), reg)


def _real_names() -> set[str]:
    doc = yaml.safe_load(UNITS_FILE.read_text(encoding="utf-8"))
    names = {"马村"}
    for u in doc.get("units", doc.get("real", [])):
        names.add(u["name"])
        names.update(u.get("aliases") or [])
    return names


def test_units_are_fictional_and_complete():
    units = sample.sample_units()
    assert list(units.columns) == ["unit_id", "name", "level", "parent", "city", "province", "synthetic"]
    assert units["synthetic"].all() and set(units["city"]) == {"示例市"} and set(units["province"]) == {"示例省"}
    districts = units[units["level"] == "district"]
    assert list(districts["name"]) == ["示例一区", "示例二区", "示例三区", "示例四区", "示例五区", "示例六区"]
    subs = units[units["level"].isin(["street", "department"])]
    assert subs["parent"].nunique() >= 2 and set(subs["parent"]) <= set(districts["unit_id"])
    assert {"示例一区第一街道", "示例一区市场监管局"} <= set(subs["name"])
    assert units["unit_id"].is_unique and units["name"].is_unique


def test_panel_layout(panel, reg):
    assert list(panel.columns[:4]) == ["单位", "上级单位", "单位类型", "年份"]
    assert list(panel.columns[-2:]) == ["来源", "数据性质"]
    assert (panel["数据性质"] == SYNTHETIC_MARK).all()
    ids = [c.rsplit("[", 1)[1].rstrip("]") for c in panel.columns[4:-2]]
    assert ids == [i for i in reg.index if i not in ("x_area", "x_amount")]
    assert "指标nd_issued（件）[nd_issued]" in panel.columns
    districts = panel[panel["单位类型"] == "区县"]
    assert districts["单位"].nunique() == 6
    assert all(sorted(set(g)) == list(range(2019, 2025)) for _, g in districts.groupby("单位")["年份"])
    assert set(panel.loc[panel["单位类型"] != "区县", "上级单位"]) == {"示例一区", "示例二区"}
    assert set(panel["单位类型"]) == {"区县", "街道", "部门"}


def test_every_fact_is_synthetic_and_states_are_varied(result):
    facts = result.facts
    assert facts["is_synthetic"].all()
    assert set(facts["source_file"]) == {sample.SAMPLE_SOURCE}
    counts = facts["value_state"].value_counts()
    for state in ("exact", "approx", "zero_in_words", "not_reported", "not_applicable"):
        assert counts.get(state, 0) > 0, state
    assert facts.loc[facts["value_state"] == "not_reported", "value"].isna().all()
    approx = facts[facts["value_state"] == "approx"]
    assert approx["evidence"].str.contains("余|约|近|多").all() and (approx["value"] % 10 == 0).all()
    assert set(facts.loc[facts["value_state"] == "zero_in_words", "evidence"]) <= {"无", "零"}
    assert set(facts["unit_id"]) <= set(sample.sample_units()["unit_id"])


def test_planted_problems_are_exactly_what_import_finds(reg, result):
    planted = sample.planted_problems(reg)
    assert set(planted["rule"]) == {
        "at_most", "parts_vs_total", "rate_out_of_range", "text_in_number_cell", "yoy_jump",
        "duplicate_row",
    }  # fmt: skip
    name_to_id = dict(zip(sample.sample_units()["name"], sample.sample_units()["unit_id"], strict=True))
    expected = {
        (p.rule, name_to_id[p.unit_name], p.year, p.indicator_id if isinstance(p.indicator_id, str) else None)
        for p in planted.itertuples()
        if p.rule != "yoy_jump"  # not an import rule: the data-quality review finds it
    }
    found = {
        (f.rule, f.unit_id, f.year, f.indicator_id if isinstance(f.indicator_id, str) else None)
        for f in result.findings.itertuples()
    }
    assert found == expected


def test_jump_is_planted(reg, result):
    jump = sample.planted_problems(reg).query("rule == 'yoy_jump'").iloc[0]
    facts = result.facts
    f = facts[(facts["unit_name"] == jump["unit_name"]) & (facts["indicator_id"] == jump["indicator_id"])]
    f = f.set_index("year")
    assert f.loc[2023, "value"] >= 5 * f.loc[2022, "value"]


def test_arithmetic_is_consistent_outside_planted_cells(result):
    wide = result.facts.pivot_table(index=["unit_name", "year"], columns="indicator_id", values="value")
    planted = {("示例三区", 2021), ("示例四区", 2022), ("示例五区", 2020)}
    wide = wide[[k not in planted for k in wide.index]]
    both = wide[["nd_filed", "nd_issued"]].dropna()
    assert (both["nd_filed"] <= both["nd_issued"]).all()
    assert (wide["med_successes"].dropna() <= wide.loc[wide["med_successes"].notna(), "med_cases"]).all()
    parts = wide[["svc_one_thing_handled", "svc_one_thing_business_startups", "svc_one_thing_individual_businesses"]]
    parts = parts.dropna()
    assert len(parts) > 30
    assert (parts.iloc[:, 1] + parts.iloc[:, 2] == parts.iloc[:, 0]).all()
    rate = wide[["med_success_rate", "med_successes", "med_cases"]].dropna()
    assert np.allclose(rate["med_success_rate"], (100 * rate["med_successes"] / rate["med_cases"]).round(1))


def test_magnitudes_follow_the_gold_figures(result):
    d = result.facts[(result.facts["unit_type"] == "区县") & (result.facts["year"] == 2023)]
    med = d.groupby("indicator_id")["value"].median()
    assert 0.5 * 236 <= med["med_cases"] <= 2 * 236
    assert 3 <= med["nd_issued"] <= 15
    assert 0.5 * 800 <= med["open_info_disclosed"] <= 2 * 800
    assert 20 <= med["x_new_count"] <= 80  # default for 件 without gold value
    assert d.query("indicator_id == 'med_cases'")["value"].nunique() >= 5  # districts differ
    streets = result.facts.query("unit_type == '街道' and indicator_id == 'med_cases'")["value"]
    assert streets.median() < 0.5 * med["med_cases"]


def test_gold_base_matches_seed_file():
    if not GOLD_FILE.exists():
        pytest.skip("seed gold file not available")
    with GOLD_FILE.open(encoding="utf-8") as fh:
        gold = {r["indicator_id"]: float(r["value"]) for r in csv.DictReader(fh)}
    assert {k: float(v) for k, v in sample.GOLD_BASE.items()} == gold


def test_no_real_place_names(tmp_path):
    text = sample.write_sample(tmp_path / "s.csv").read_text(encoding="utf-8-sig")
    text += "".join(sample.sample_units()["name"])
    for name in _real_names():
        assert name not in text, name


def test_csv_is_byte_identical_across_runs(tmp_path):
    a = sample.write_sample(tmp_path / "a.csv").read_bytes()
    b = sample.write_sample(tmp_path / "b.csv", fmt="csv").read_bytes()
    assert a == b and a.startswith(b"\xef\xbb\xbf")
    code = f"from analysis.ingest import sample; sample.write_sample({str(tmp_path / 'c.csv')!r})"
    subprocess.run([sys.executable, "-c", code], check=True)
    assert (tmp_path / "c.csv").read_bytes() == a


def test_written_files_import_like_sample_facts(tmp_path, reg, result):
    cols = ["unit_name", "year", "indicator_id", "value", "value_state", "locator", "evidence", "is_synthetic"]
    xlsx = check_dataset(
        read_dataset(sample.write_sample(tmp_path / "s.xlsx", indicators=reg), reg, sample.sample_units()), reg
    )
    pd.testing.assert_frame_equal(xlsx.facts[cols], result.facts[cols])
    assert xlsx.findings["rule"].tolist() == result.findings["rule"].tolist()
    csv_res = check_dataset(
        read_dataset(sample.write_sample(tmp_path / "s.csv", indicators=reg), reg, sample.sample_units()), reg
    )
    assert csv_res.facts["is_synthetic"].all()
    pd.testing.assert_series_equal(csv_res.facts["value"], result.facts["value"])
    with pytest.raises(ValueError, match="fmt"):
        sample.write_sample(tmp_path / "s.json")


def test_real_registry_panel_uses_only_registry_ids(indicators):
    ind = indicators
    panel = sample.generate_sample_panel(ind)
    ids = {c.rsplit("[", 1)[1].rstrip("]") for c in panel.columns if c.endswith("]")}
    assert ids and ids <= set(ind.index)
    assert (panel["数据性质"] == SYNTHETIC_MARK).all()
    res = check_dataset(sample.sample_facts(ind), ind)
    assert res.facts["is_synthetic"].all()
    planted = sample.planted_problems(ind)
    assert set(res.findings["rule"]) == set(planted["rule"]) - {"yoy_jump"}
